"""How fetched bars compare with the stored ones: each staged bar new, changed or unchanged
(``warehouse.ingests`` stores by it; a same-day re-run asks it read-only, storing nothing), and
Yahoo's relative adjustment factors chained onto the stored ones first."""

from __future__ import annotations

import duckdb
import pandas as pd

from pipeline.data.adj_factors import RELATIVE_BASIS, chain_factors
from pipeline.data.bars import BAR_COLUMNS
from warehouse.bars import stored_factors

_VALUE_COLUMNS = ["open", "high", "low", "close", "volume", "amount", "adj_factor", "is_partial"]


def chain_stored_factors(
    con: duckdb.DuckDBPyConnection, frames: dict[str, pd.DataFrame]
) -> dict[str, pd.DataFrame]:
    """Each symbol's bars, Yahoo's relative factors chained onto the stored ones."""
    relative = {
        s: v
        for s, v in frames.items()
        if not v.empty and (v["price_adjustment"] == RELATIVE_BASIS).any()
    }
    if not relative:
        return frames
    spans = {s: (v["date"].min().date(), v["date"].max().date()) for s, v in relative.items()}
    stored = stored_factors(con, spans)
    return {s: chain_factors(v, stored[s]) if s in relative else v for s, v in frames.items()}


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


def classify(con: duckdb.DuckDBPyConnection) -> None:
    """Label each staged bar new, changed or unchanged against what is stored."""
    con.execute(f"create or replace temp table classified_bars as {_classified()}")


def would_change(con: duckdb.DuckDBPyConnection, symbol: str, valid: pd.DataFrame) -> bool:
    """Whether storing ``valid`` would add or revise a bar of ``symbol``: ``store_ingests``'s
    classification, read-only (a same-day re-run asks it before starting an ingest)."""
    valid = chain_stored_factors(con, {symbol: valid})[symbol]
    con.register("staged_bars", valid[BAR_COLUMNS].assign(symbol=symbol))
    try:
        [(changes,)] = con.execute(
            f"select count(*) filter (where change <> 'unchanged') from ({_classified()})"
        ).fetchall()
    finally:
        con.unregister("staged_bars")
    return bool(changes)
