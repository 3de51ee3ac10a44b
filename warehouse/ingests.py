"""Storing bars: one transaction per symbol ingest, set-based, keeping every replaced value.

A re-fetched bar that differs from the stored one replaces it; the old values go to
``bar_revisions`` first. A final bar is never replaced by a partial one, and an ingest that
would rewrite much of a series stops first (``warehouse.overlap``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

import duckdb
import pandas as pd

from pipeline.data.adj_factors import chain_factors
from pipeline.data.bars import BAR_COLUMNS
from warehouse.connection import rollback
from warehouse.overlap import check_overlap, rebase, rebase_factor
from warehouse.scores import refresh_scores

_VALUE_COLUMNS = ["open", "high", "low", "close", "volume", "amount", "adj_factor", "is_partial"]


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


def store_ingest(
    con: duckdb.DuckDBPyConnection,
    request: IngestRequest,
    valid: pd.DataFrame,
    rejected: pd.DataFrame,
    *,
    duplicates: int = 0,
) -> IngestCounts:
    """Upsert valid bars, keep rejected rows, re-score the symbol's forecasts when a bar changed
    and record the run, all or nothing.

    Yahoo's relative adjustment factors are first chained onto the stored ones.
    """
    valid = chain_factors(valid, _stored_factors(con, request.symbol, valid))
    staged = valid[BAR_COLUMNS].assign(symbol=request.symbol)
    con.execute("begin transaction")
    try:
        con.register("staged_bars", staged)
        _classify(con)
        factor = rebase_factor(con)
        if factor is not None:
            rebase(con, request.symbol, factor, request.run_id, request.started_at)
            _classify(con)
        check_overlap(con, request.symbol, replace=request.replace)
        _record_revisions(con, request)
        _write_bars(con, request)
        _record_rejected(con, request, rejected)
        counts = replace(
            _counts(con, fetched=len(valid) + len(rejected), rejected=len(rejected)),
            duplicates=duplicates,
        )
        if factor is not None or counts.new or counts.changed:
            refresh_scores(con, [request.symbol])
        _record_run(con, request, counts, status="succeeded", error=None)
        con.execute("commit")
    except BaseException:
        rollback(con)
        raise
    finally:
        con.unregister("staged_bars")
        con.execute("drop table if exists classified_bars")
    return counts


def record_failed_ingest(
    con: duckdb.DuckDBPyConnection, request: IngestRequest, error: str
) -> None:
    """Record an ingest that stored nothing because it failed."""
    counts = IngestCounts(fetched=0, new=0, changed=0, unchanged=0, rejected=0)
    _record_run(con, request, counts, status="failed", error=error)


def _stored_factors(
    con: duckdb.DuckDBPyConnection, symbol: str, fetched: pd.DataFrame
) -> pd.Series:
    """The stored factors of symbol's bars on the fetched dates, by date."""
    if fetched.empty:
        return pd.Series(dtype="float64")
    rows = con.execute(
        """
        select date, adj_factor from bars
        where symbol = ? and date between ? and ? and adj_factor is not null
        """,
        [symbol, fetched["date"].min().date(), fetched["date"].max().date()],
    ).df()
    return pd.Series(rows["adj_factor"].to_numpy(), index=pd.to_datetime(rows["date"]))


def _classified() -> str:
    """Each staged bar labelled new, changed or unchanged against what is stored."""
    differs = " or ".join(f"s.{c} is distinct from b.{c}" for c in _VALUE_COLUMNS)
    return f"""
        select
            s.*,
            case
                when b.date is null then 'new'
                -- a partial bar never replaces a final one
                when s.is_partial and not b.is_partial then 'unchanged'
                when {differs} then 'changed'
                else 'unchanged'
            end as change
        from staged_bars as s
        left join bars as b on b.symbol = s.symbol and b.date = s.date
        """


def _classify(con: duckdb.DuckDBPyConnection) -> None:
    """Label each staged bar new, changed or unchanged against what is stored."""
    con.execute(f"create or replace temp table classified_bars as {_classified()}")


def would_change(con: duckdb.DuckDBPyConnection, symbol: str, valid: pd.DataFrame) -> bool:
    """Whether storing ``valid`` would add or revise a bar of ``symbol``: :func:`store_ingest`'s
    classification, read-only (a same-day re-run asks it before starting an ingest)."""
    valid = chain_factors(valid, _stored_factors(con, symbol, valid))
    con.register("staged_bars", valid[BAR_COLUMNS].assign(symbol=symbol))
    try:
        [(changes,)] = con.execute(
            f"select count(*) filter (where change <> 'unchanged') from ({_classified()})"
        ).fetchall()
    finally:
        con.unregister("staged_bars")
    return bool(changes)


def _record_revisions(con: duckdb.DuckDBPyConnection, request: IngestRequest) -> None:
    con.execute(
        """
        insert into bar_revisions
        select
            b.symbol, b.date, ?::timestamptz as revised_at,
            case
                when b.is_partial and not c.is_partial then 'partial bar completed'
                when b.is_partial then 'partial bar updated'
                when b.source <> c.source then 'replaced by ' || c.source
                else 'revised by source'
            end as reason,
            ? as revised_by_run_id,
            b.open, b.high, b.low, b.close, b.volume, b.amount, b.adj_factor, b.is_partial,
            b.price_adjustment, b.source, b.ingest_run_id, b.ingested_at,
            c.source as new_source
        from classified_bars as c
        join bars as b on b.symbol = c.symbol and b.date = c.date
        where c.change = 'changed'
        """,
        [request.started_at, request.run_id],
    )


def _write_bars(con: duckdb.DuckDBPyConnection, request: IngestRequest) -> None:
    columns = ", ".join(["symbol", *BAR_COLUMNS])
    updates = ", ".join(
        f"{c} = excluded.{c}" for c in [*BAR_COLUMNS[1:], "ingest_run_id", "ingested_at"]
    )
    con.execute(
        f"""
        insert into bars ({columns}, ingest_run_id, ingested_at)
        select {columns}, ? as ingest_run_id, ?::timestamptz as ingested_at
        from classified_bars
        where change in ('new', 'changed')
        on conflict (symbol, date) do update set {updates}
        """,
        [request.run_id, request.started_at],
    )


def _record_rejected(
    con: duckdb.DuckDBPyConnection, request: IngestRequest, rejected: pd.DataFrame
) -> None:
    if rejected.empty:
        return
    frame = rejected.reindex(
        columns=["date", "raw_date", "open", "high", "low", "close", "volume", "reason"]
    )
    con.register("rejected_rows", frame)
    try:
        con.execute(
            """
            insert into rejected_bars
            select ?, ?, date::date, raw_date::varchar, open, high, low, close, volume, reason,
                   ?::timestamptz
            from rejected_rows
            """,
            [request.run_id, request.symbol, request.started_at],
        )
    finally:
        con.unregister("rejected_rows")


def _counts(con: duckdb.DuckDBPyConnection, *, fetched: int, rejected: int) -> IngestCounts:
    [row] = con.execute(
        """
        select
            count(*) filter (where change = 'new'),
            count(*) filter (where change = 'changed'),
            count(*) filter (where change = 'unchanged')
        from classified_bars
        """
    ).fetchall()
    return IngestCounts(
        fetched=fetched, new=row[0], changed=row[1], unchanged=row[2], rejected=rejected
    )


def _record_run(
    con: duckdb.DuckDBPyConnection,
    request: IngestRequest,
    counts: IngestCounts,
    *,
    status: str,
    error: str | None,
) -> None:
    con.execute(
        """
        insert into ingest_runs (
            run_id, symbol, source, requested_start, requested_end, rows_fetched, rows_new,
            rows_changed, rows_unchanged, rows_rejected, started_at, finished_at, status, error,
            rows_duplicate
        )
        values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?, ?, ?)
        """,
        [
            request.run_id,
            request.symbol,
            request.source,
            request.start,
            request.end,
            counts.fetched,
            counts.new,
            counts.changed,
            counts.unchanged,
            counts.rejected,
            request.started_at,
            status,
            error,
            counts.duplicates,
        ],
    )
