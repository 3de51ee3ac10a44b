"""Storing bars: set-based, one transaction for many symbols' ingests, keeping every replaced
value.

A re-fetched bar that differs from the stored one replaces it; the old values go to
``bar_revisions`` first. A final bar is never replaced by a partial one, and an ingest that
would rewrite much of a series stops first (``warehouse.overlap``).

A watch list's chunk of symbols is stored by one statement per step (classify, guard, keep
revisions, upsert, keep rejected rows, re-score, record the runs), not one per symbol. A symbol
the guard refuses is left out and the others stored; one whose stored history must be
rebased, or every symbol of a set whose transaction failed, is stored alone after.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import duckdb
import numpy as np
import pandas as pd

from pipeline.data.bars import BAR_COLUMNS
from warehouse.bar_changes import chain_stored_factors, classify
from warehouse.ingest_runs import IngestCounts, IngestRequest, record_runs
from warehouse.overlap import check_overlaps, rebase, rebase_factors
from warehouse.scores import refresh_scores
from warehouse.transactions import rollback

_VALUE_COLUMNS = ["open", "high", "low", "close", "volume", "amount", "adj_factor", "is_partial"]
_REJECTED_COLUMNS = ["date", "raw_date", "open", "high", "low", "close", "volume", "reason"]


@dataclass(frozen=True)
class SymbolBars:
    """One symbol's validated bars, to store: its request, the valid and the rejected rows."""

    request: IngestRequest
    valid: pd.DataFrame
    rejected: pd.DataFrame
    duplicates: int = 0


def store_ingest(
    con: duckdb.DuckDBPyConnection,
    request: IngestRequest,
    valid: pd.DataFrame,
    rejected: pd.DataFrame,
    *,
    duplicates: int = 0,
) -> IngestCounts:
    """Upsert valid bars, keep rejected rows, re-score the symbol's forecasts when a bar changed
    and record the run, all or nothing; raise what stopped it.

    Yahoo's relative adjustment factors are first chained onto the stored ones.
    """
    counts, _, _ = _store(con, [SymbolBars(request, valid, rejected, duplicates)], alone=True)
    return counts[request.symbol]


def store_ingests(
    con: duckdb.DuckDBPyConnection, items: list[SymbolBars]
) -> list[IngestCounts | Exception]:
    """:func:`store_ingest` of each item (one per symbol), in as few transactions as the guard
    allows: each item's counts, or the exception that kept it from being stored."""
    if not items:
        return []
    if len({i.request.symbol for i in items}) < len(items):
        raise ValueError("store_ingests takes one item per symbol")
    if len(items) == 1:
        item = items[0]
        try:
            return [
                store_ingest(
                    con, item.request, item.valid, item.rejected, duplicates=item.duplicates
                )
            ]
        except Exception as exc:
            return [exc]
    outcomes: dict[str, IngestCounts | Exception]
    try:
        counts, refused, alone = _store(con, items, alone=False)
        outcomes = {**counts, **refused}
    except Exception:  # the set's transaction failed: each symbol alone, so one fails alone
        outcomes, alone = {}, items
    for item in alone:
        [outcomes[item.request.symbol]] = store_ingests(con, [item])
    return [outcomes[item.request.symbol] for item in items]


def record_failed_ingest(
    con: duckdb.DuckDBPyConnection, request: IngestRequest, error: str
) -> None:
    """Record an ingest that stored nothing because it failed."""
    counts = IngestCounts(fetched=0, new=0, changed=0, unchanged=0, rejected=0)
    record_runs(con, [(request, counts)], status="failed", error=error)


def _store(
    con: duckdb.DuckDBPyConnection, items: list[SymbolBars], *, alone: bool
) -> tuple[dict[str, IngestCounts], dict[str, Exception], list[SymbolBars]]:
    """Store items in one transaction: the counts of those stored, the guard's refusals, and
    the items left to store alone (a rebase; none when ``alone``, which raises a refusal)."""
    items = _chained(con, items)
    staged = _staged(items)
    by_symbol = {item.request.symbol: item for item in items}
    con.execute("begin transaction")
    try:
        con.register("staged_bars", staged)
        classify(con)
        factors = rebase_factors(con)
        if alone:
            for symbol, factor in factors.items():
                request = by_symbol[symbol].request
                rebase(con, symbol, factor, request.run_id, request.started_at)
            if factors:
                classify(con)
        later = [] if alone else [by_symbol[s] for s in factors]
        replacing = {s for s, i in by_symbol.items() if i.request.replace}
        refused: dict[str, Exception] = {
            s: e for s, e in check_overlaps(con, replacing).items() if alone or s not in factors
        }
        if alone and refused:
            raise next(iter(refused.values()))
        out = set(refused) | {i.request.symbol for i in later}
        kept = [i for s, i in by_symbol.items() if s not in out]
        if len(kept) < len(items):
            _leave_out(con, [i.request.symbol for i in kept])
        _record_revisions(con)
        _write_bars(con)
        _record_rejected(con, kept)
        counts = _counts(con, kept)
        refresh_scores(con, [s for s, c in counts.items() if s in factors or c.new or c.changed])
        record_runs(
            con,
            [(i.request, counts[i.request.symbol]) for i in kept],
            status="succeeded",
            error=None,
        )
        con.execute("commit")
    except BaseException:
        rollback(con)
        raise
    finally:
        con.unregister("staged_bars")
        con.execute("drop table if exists classified_bars")
    return counts, refused, later


def _chained(con: duckdb.DuckDBPyConnection, items: list[SymbolBars]) -> list[SymbolBars]:
    """Items with Yahoo's relative factors chained onto the stored ones (one query for all)."""
    chained = chain_stored_factors(con, {i.request.symbol: i.valid for i in items})
    return [replace(i, valid=chained[i.request.symbol]) for i in items]


def _staged(items: list[SymbolBars]) -> pd.DataFrame:
    """The items' valid bars with their symbol and run: the rows of ``staged_bars``."""
    sizes = [len(i.valid) for i in items]
    staged = pd.concat([i.valid[BAR_COLUMNS] for i in items], ignore_index=True)
    return staged.assign(
        symbol=np.repeat([i.request.symbol for i in items], sizes),
        ingest_run_id=np.repeat([i.request.run_id for i in items], sizes),
        ingested_at=pd.DatetimeIndex(
            np.repeat([pd.Timestamp(i.request.started_at) for i in items], sizes)
        ),
    )


def _leave_out(con: duckdb.DuckDBPyConnection, kept: list[str]) -> None:
    """Drop from ``classified_bars`` every symbol but ``kept``."""
    con.execute(
        "delete from classified_bars where symbol not in (select unnest(?::varchar[]))", [kept]
    )


def _record_revisions(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        """
        insert into bar_revisions
        select
            b.symbol, b.date, c.ingested_at as revised_at,
            case
                when b.is_partial and not c.is_partial then 'partial bar completed'
                when b.is_partial then 'partial bar updated'
                when b.source <> c.source then 'replaced by ' || c.source
                else 'revised by source'
            end as reason,
            c.ingest_run_id as revised_by_run_id,
            b.open, b.high, b.low, b.close, b.volume, b.amount, b.adj_factor, b.is_partial,
            b.price_adjustment, b.source, b.ingest_run_id, b.ingested_at,
            c.source as new_source
        from classified_bars as c
        join bars as b on b.symbol = c.symbol and b.date = c.date
        where c.change = 'changed'
        """
    )


def _write_bars(con: duckdb.DuckDBPyConnection) -> None:
    columns = ", ".join(["symbol", *BAR_COLUMNS, "ingest_run_id", "ingested_at"])
    updates = ", ".join(
        f"{c} = excluded.{c}" for c in [*BAR_COLUMNS[1:], "ingest_run_id", "ingested_at"]
    )
    con.execute(
        f"""
        insert into bars ({columns})
        select {columns}
        from classified_bars
        where change in ('new', 'changed')
        on conflict (symbol, date) do update set {updates}
        """
    )


def _record_rejected(con: duckdb.DuckDBPyConnection, items: list[SymbolBars]) -> None:
    frames = [
        i.rejected.reindex(columns=_REJECTED_COLUMNS).assign(
            run_id=i.request.run_id,
            symbol=i.request.symbol,
            rejected_at=pd.Timestamp(i.request.started_at),
        )
        for i in items
        if not i.rejected.empty
    ]
    if not frames:
        return
    con.register("rejected_rows", pd.concat(frames, ignore_index=True))
    try:
        con.execute(
            """
            insert into rejected_bars
            select run_id, symbol, date::date, raw_date::varchar, open, high, low, close,
                   volume, reason, rejected_at::timestamptz
            from rejected_rows
            """
        )
    finally:
        con.unregister("rejected_rows")


def _counts(con: duckdb.DuckDBPyConnection, items: list[SymbolBars]) -> dict[str, IngestCounts]:
    rows = con.execute(
        """
        select
            symbol,
            count(*) filter (where change = 'new'),
            count(*) filter (where change = 'changed'),
            count(*) filter (where change = 'unchanged')
        from classified_bars
        group by symbol
        """
    ).fetchall()
    found = {symbol: counts for symbol, *counts in rows}
    out = {}
    for item in items:
        new, changed, unchanged = found.get(item.request.symbol, (0, 0, 0))
        out[item.request.symbol] = IngestCounts(
            fetched=len(item.valid) + len(item.rejected),
            new=new,
            changed=changed,
            unchanged=unchanged,
            rejected=len(item.rejected),
            duplicates=item.duplicates,
        )
    return out
