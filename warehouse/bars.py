"""Reading bars: the modelling series the splits are built from, and what is stored.

``warehouse.ingests`` writes them.
"""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from pipeline.data.bars import PRICE_COLUMNS


def load_bars(
    con: duckdb.DuckDBPyConnection,
    symbol: str,
    *,
    until: date | None = None,
    final_only: bool = True,
) -> pd.DataFrame:
    """One symbol's bars dated <= until, ascending, on the modelling basis; partial bars left out.

    The modelling basis is one continuous series: OHLC x adj_factor / the newest bar's factor,
    so the newest bar is the price a holder sees and an ex-dividend day is no jump. A bar
    without a factor (the bundled forward-adjusted history, stored before the first factored
    bar) counts with the first known factor; a symbol without factors (BTC-USD) is as stored.
    Only factors known by ``until`` are used, so a replayed day sees that day's basis.
    """
    return load_bars_of(con, [symbol], until=until, final_only=final_only)[symbol]


def load_bars_of(
    con: duckdb.DuckDBPyConnection,
    symbols: list[str],
    *,
    until: date | None = None,
    final_only: bool = True,
) -> dict[str, pd.DataFrame]:
    """:func:`load_bars` of each symbol, in one scan of ``bars`` (a watch list's thousands of
    symbols: one query each would scan the table once per symbol)."""
    scaled = ", ".join(f"{c} * scale as {c}" for c in PRICE_COLUMNS)
    frame = con.execute(
        f"""
        with chosen as (
            select *, coalesce(adj_factor, first_value(adj_factor ignore nulls) over whole) as f
            from bars
            where symbol in (select unnest(?::varchar[]))
              and (?::date is null or date <= ?::date)
              and (not ? or not is_partial)
            window whole as (
                partition by symbol order by date
                rows between unbounded preceding and unbounded following
            )
        ),
        based as (
            select *, coalesce(f / last_value(f ignore nulls) over whole, 1.0) as scale
            from chosen
            window whole as (
                partition by symbol order by date
                rows between unbounded preceding and unbounded following
            )
        )
        select symbol, date, {scaled}, volume, amount, adj_factor, is_partial,
               volume_unit, price_adjustment, source
        from based
        order by symbol, date
        """,
        [symbols, until, until, final_only],
    ).df()
    frame["date"] = pd.to_datetime(frame["date"])
    groups = {
        str(s): part.drop(columns="symbol").reset_index(drop=True)
        for s, part in frame.groupby("symbol", sort=False)
    }
    empty = frame.drop(columns="symbol").iloc[:0]
    return {s: groups.get(s, empty) for s in symbols}


def volume_unit(con: duckdb.DuckDBPyConnection, symbol: str) -> str | None:
    """The volume unit of a symbol's stored bars (None when none are stored)."""
    return series_facts(con, [symbol])[symbol][0]


def close_range(con: duckdb.DuckDBPyConnection, symbol: str) -> tuple[float, float] | None:
    """The lowest and highest stored close of a symbol, as stored (None when none are stored)."""
    return series_facts(con, [symbol])[symbol][1]


def series_facts(
    con: duckdb.DuckDBPyConnection, symbols: list[str]
) -> dict[str, tuple[str | None, tuple[float, float] | None]]:
    """:func:`volume_unit` and :func:`close_range` of each symbol, in one query."""
    rows = con.execute(
        "select symbol, any_value(volume_unit), min(close), max(close) from bars "
        "where symbol in (select unnest(?::varchar[])) group by symbol",
        [symbols],
    ).fetchall()
    found = {s: (unit, (float(low), float(high))) for s, unit, low, high in rows}
    return {s: found.get(s, (None, None)) for s in symbols}


def bar_dates(con: duckdb.DuckDBPyConnection, symbols: list[str]) -> dict[str, list[date]]:
    """Each symbol's stored bar dates, ascending, in one query."""
    rows = con.execute(
        "select symbol, list(date order by date) from bars "
        "where symbol in (select unnest(?::varchar[])) group by symbol",
        [symbols],
    ).fetchall()
    found = dict(rows)
    return {s: found.get(s, []) for s in symbols}


def stored_factors(
    con: duckdb.DuckDBPyConnection, spans: dict[str, tuple[date, date]]
) -> dict[str, pd.Series]:
    """Each symbol's stored adjustment factors by date within its (first, last) span, in one
    query (dates without a factor left out)."""
    frame = pd.DataFrame(
        [(s, low, high) for s, (low, high) in spans.items()], columns=["symbol", "low", "high"]
    )
    con.register("factor_spans", frame)
    try:
        rows = con.execute(
            """
            select b.symbol, b.date, b.adj_factor
            from bars as b join factor_spans as f on b.symbol = f.symbol
            where b.date between f.low and f.high and b.adj_factor is not null
            """
        ).df()
    finally:
        con.unregister("factor_spans")
    rows["date"] = pd.to_datetime(rows["date"])
    found = {str(s): part.set_index("date")["adj_factor"] for s, part in rows.groupby("symbol")}
    return {s: found.get(s, pd.Series(dtype="float64")) for s in spans}


def last_bar_dates(con: duckdb.DuckDBPyConnection, symbols: list[str]) -> dict[str, date | None]:
    """:func:`last_bar_date` of each symbol, in one query."""
    rows = con.execute(
        "select symbol, max(date) from bars where symbol in (select unnest(?::varchar[])) "
        "group by symbol",
        [symbols],
    ).fetchall()
    found = dict(rows)
    return {s: found.get(s) for s in symbols}


def last_bar_date(con: duckdb.DuckDBPyConnection, symbol: str) -> date | None:
    """The date of the newest stored bar of a symbol (partial or not), or None."""
    [(last,)] = con.execute("select max(date) from bars where symbol = ?", [symbol]).fetchall()
    return last


def bar_summary(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Per symbol: rows, first and last date, partial rows."""
    return con.execute(
        """
        select symbol, count(*) as rows, min(date) as first_date, max(date) as last_date,
               count(*) filter (where is_partial) as partial_rows
        from bars
        group by symbol
        order by symbol
        """
    ).df()
