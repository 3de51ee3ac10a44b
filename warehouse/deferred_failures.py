"""Ingest failures that could not be recorded because another process held the warehouse.

They wait in a JSON-lines file beside the warehouse and move into ``ingest_runs`` the next
time an ingest opens the warehouse for writing.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

import duckdb

from warehouse.ingests import IngestRequest, record_failed_ingest


def deferred_path(warehouse: Path) -> Path:
    """Where a warehouse's deferred failures wait."""
    return warehouse.with_name(warehouse.name + ".failed-ingests.jsonl")


def defer_failed_ingest(warehouse: Path, request: IngestRequest, error: str) -> None:
    """Append one failed ingest to the waiting file."""
    row = {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(request).items()}
    with deferred_path(warehouse).open("a", encoding="utf-8") as out:
        out.write(json.dumps({**row, "error": error}) + "\n")


def record_deferred_failures(con: duckdb.DuckDBPyConnection, warehouse: Path) -> int:
    """Move the waiting failures into ``ingest_runs``; return how many there were."""
    path = deferred_path(warehouse)
    if not path.exists():
        return 0
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    for row in rows:
        error = row.pop("error")
        request = IngestRequest(
            **{
                **row,
                "start": row["start"] and date.fromisoformat(row["start"]),
                "end": row["end"] and date.fromisoformat(row["end"]),
                "started_at": datetime.fromisoformat(row["started_at"]),
            }
        )
        record_failed_ingest(con, request, error)
    path.unlink()
    return len(rows)
