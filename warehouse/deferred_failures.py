"""Ingest failures that could not be recorded because another process held the warehouse.

They wait in a JSON-lines file beside the warehouse and move into ``ingest_runs`` the next
time an ingest opens the warehouse for writing. The file is read line by line: a line that is
not a whole record (a truncated write, junk bytes) is set aside in ``<file>.bad`` with one
warning and never blocks an ingest.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict
from datetime import date, datetime
from pathlib import Path

import duckdb

from warehouse.ingests import IngestRequest, record_failed_ingest

log = logging.getLogger(__name__)


def deferred_path(warehouse: Path) -> Path:
    """Where a warehouse's deferred failures wait."""
    return warehouse.with_name(warehouse.name + ".failed-ingests.jsonl")


def defer_failed_ingest(warehouse: Path, request: IngestRequest, error: str) -> None:
    """Append one failed ingest to the waiting file."""
    row = {k: v.isoformat() if isinstance(v, date) else v for k, v in asdict(request).items()}
    with deferred_path(warehouse).open("a", encoding="utf-8") as out:
        out.write(json.dumps({**row, "error": error}) + "\n")


def _request(line: bytes) -> tuple[IngestRequest, str]:
    """One waiting line as the request and its error; ValueError/KeyError/TypeError if damaged."""
    row = json.loads(line.decode("utf-8"))
    error = str(row.pop("error"))
    request = IngestRequest(
        **{
            **row,
            "start": row["start"] and date.fromisoformat(row["start"]),
            "end": row["end"] and date.fromisoformat(row["end"]),
            "started_at": datetime.fromisoformat(row["started_at"]),
        }
    )
    return request, error


def record_deferred_failures(con: duckdb.DuckDBPyConnection, warehouse: Path) -> int:
    """Move the waiting failures into ``ingest_runs``; return how many were recorded.

    Damaged lines are appended to ``<file>.bad`` (one warning names it and the count).
    """
    path = deferred_path(warehouse)
    if not path.exists():
        return 0
    good, bad = [], []
    for line in path.read_bytes().splitlines():
        if not line.strip():
            continue
        try:
            good.append(_request(line))
        except (ValueError, KeyError, TypeError, AttributeError):
            bad.append(line)
    for request, error in good:
        record_failed_ingest(con, request, error)
    if bad:
        aside = path.with_name(path.name + ".bad")
        with aside.open("ab") as out:
            out.write(b"".join(line + b"\n" for line in bad))
        log.warning(
            "%s: %d damaged line(s) set aside in %s (not recorded in ingest_runs)",
            path,
            len(bad),
            aside,
        )
    path.unlink()
    return len(good)
