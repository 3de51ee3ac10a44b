"""What an ingest records of each symbol: ``ingest_runs`` rows (``warehouse.ingests`` writes
the bars), and the counts they hold."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb
import pandas as pd


@dataclass(frozen=True)
class IngestCounts:
    """What one ingest did to one symbol's bars."""

    fetched: int
    new: int
    changed: int
    unchanged: int
    rejected: int
    duplicates: int = 0  # exact duplicate input rows, stored once


@dataclass(frozen=True)
class IngestRequest:
    """Who asked for which bars: recorded in ``ingest_runs``."""

    run_id: str
    symbol: str
    source: str
    start: date | None
    end: date | None
    started_at: datetime
    replace: bool = False  # the user accepts rewriting stored bars (``--replace``)


def record_runs(
    con: duckdb.DuckDBPyConnection,
    runs: list[tuple[IngestRequest, IngestCounts]],
    *,
    status: str,
    error: str | None,
) -> None:
    """One ``ingest_runs`` row per (request, counts), in one statement."""
    if not runs:
        return
    frame = pd.DataFrame(
        [
            {
                "run_id": r.run_id,
                "symbol": r.symbol,
                "source": r.source,
                "requested_start": r.start,
                "requested_end": r.end,
                "rows_fetched": c.fetched,
                "rows_new": c.new,
                "rows_changed": c.changed,
                "rows_unchanged": c.unchanged,
                "rows_rejected": c.rejected,
                "started_at": pd.Timestamp(r.started_at),
                "rows_duplicate": c.duplicates,
            }
            for r, c in runs
        ]
    )
    con.register("finished_runs", frame)
    try:
        con.execute(
            """
            insert into ingest_runs (
                run_id, symbol, source, requested_start, requested_end, rows_fetched, rows_new,
                rows_changed, rows_unchanged, rows_rejected, started_at, finished_at, status,
                error, rows_duplicate
            )
            select run_id, symbol, source, requested_start::date, requested_end::date,
                   rows_fetched, rows_new, rows_changed, rows_unchanged, rows_rejected,
                   started_at::timestamptz, now(), ?, ?, rows_duplicate
            from finished_runs
            """,
            [status, error],
        )
    finally:
        con.unregister("finished_runs")
