"""The live daily step's record of each day's inputs, for reusing a same-day re-run."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import duckdb


@dataclass(frozen=True)
class DayRun:
    """A recorded day: the champion, its runs and when."""

    champion: str | None
    run_ids: list[str]
    forecasts: int
    recorded_at: datetime


def record_day_run(
    con: duckdb.DuckDBPyConnection,
    symbol: str,
    as_of: date,
    fingerprint: str,
    champion: str | None,
    run_ids: list[str],
    forecasts: int,
    recorded_at: datetime,
) -> None:
    """Store that ``symbol``'s day ``as_of`` ran on inputs ``fingerprint``."""
    con.execute(
        """
        insert into day_runs
            (symbol, as_of_date, fingerprint, champion, run_ids, forecasts, recorded_at)
        values (?, ?, ?, ?, ?, ?, ?)
        """,
        [symbol, as_of, fingerprint, champion, run_ids, forecasts, recorded_at],
    )


def reusable_day_run(
    con: duckdb.DuckDBPyConnection, symbol: str, as_of: date, fingerprint: str
) -> DayRun | None:
    """The day's newest recording when it ran on ``fingerprint``; else None (other inputs, a
    later run on other inputs, or nothing recorded). Its forecasts are stored: forecasts are
    never deleted, and one identical to an earlier issue is that issue."""
    row = con.execute(
        """
        with

        newest as (
            select *
            from day_runs
            where symbol = ? and as_of_date = ?
            order by recorded_at desc
            limit 1
        )

        select champion, run_ids, forecasts, recorded_at
        from newest
        where fingerprint = ?
        """,
        [symbol, as_of, fingerprint],
    ).fetchone()
    if row is None:
        return None
    champion, run_ids, forecasts, recorded_at = row
    return DayRun(champion, list(run_ids), int(forecasts), recorded_at)
