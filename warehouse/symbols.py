"""The symbols table: configured or inferred instruments, upserted by key."""

from __future__ import annotations

from collections.abc import Iterable

import duckdb
import pandas as pd

from pipeline.data.symbols import SymbolInfo


def sync_symbols(con: duckdb.DuckDBPyConnection, infos: Iterable[SymbolInfo]) -> None:
    """Insert or update the instruments (configured or inferred from their codes) in one
    statement."""
    frame = pd.DataFrame(
        [
            {
                "symbol": i.symbol,
                "name": i.name,
                "calendar": i.calendar,
                "currency": i.currency,
                "timezone": i.timezone,
                "tushare_code": i.tushare_code,
                "yahoo_ticker": i.yahoo_ticker,
                "session_close": i.session_close,
                "default_source": i.default_source,
                "is_inferred": i.is_inferred,
            }
            for i in infos
        ]
    )
    if frame.empty:
        return
    con.register("incoming_symbols", frame)
    try:
        con.execute(
            """
            insert into symbols
            select symbol, name, calendar, currency, timezone, tushare_code, yahoo_ticker,
                session_close, default_source, is_inferred
            from incoming_symbols
            on conflict (symbol) do update set
                name = excluded.name, calendar = excluded.calendar,
                currency = excluded.currency, timezone = excluded.timezone,
                tushare_code = excluded.tushare_code, yahoo_ticker = excluded.yahoo_ticker,
                session_close = excluded.session_close,
                default_source = excluded.default_source, is_inferred = excluded.is_inferred
            """
        )
    finally:
        con.unregister("incoming_symbols")
