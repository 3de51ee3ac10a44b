"""The stored scores behind ``forecast_accuracy`` and ``leaderboard`` (migration 008), the
interval champions and ``risk_backtest`` (migration 009).

The views read tables, so they answer fast with hundreds of symbols and years of forecasts.
Every row is per symbol, so a symbol's rows are recomputed from their definitions (the
``forecast_accuracy_of`` and ``leaderboard_of`` macros in ``views/``) in the same transaction as
every write of its forecasts or bars: a bar arriving later or revised re-scores its forecasts,
a live forecast takes a replayed one's place as the day forecast, at once. A writer's open
recomputes everything when the view files changed (``derived_tables``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

import duckdb

from warehouse.transactions import transaction

# in refresh order: the others read forecast_scores
DERIVED_TABLES = {
    "forecast_scores": "forecast_accuracy_of",
    "interval_champions": "interval_champions_of",
    "leaderboard_scores": "leaderboard_of",
    "risk_backtest_scores": "risk_backtest_of",
}


def refresh_scores(con: duckdb.DuckDBPyConnection, symbols: Iterable[str]) -> None:
    """Recompute the stored scores of ``symbols`` (no transaction of its own: call it inside
    the one that wrote their forecasts or bars); forecast_scores first, the others read it."""
    codes = sorted(set(symbols))
    if not codes:
        return
    for table, definition in DERIVED_TABLES.items():
        con.execute(f"delete from {table} where symbol in (select unnest(?::varchar[]))", [codes])
        # in symbol order: a symbol's rows stay together, so reading one skips the rest
        con.execute(
            f"insert into {table} by name select * from {definition}(?::varchar[]) order by symbol",
            [codes],
        )


def refresh_all_scores(con: duckdb.DuckDBPyConnection) -> None:
    """Recompute every stored score, in one transaction."""
    with transaction(con):
        for table in DERIVED_TABLES:
            con.execute(f"delete from {table}")
        symbols = con.execute("select distinct symbol from forecasts order by symbol").fetchall()
        refresh_scores(con, [s for (s,) in symbols])


def refresh_if_redefined(con: duckdb.DuckDBPyConnection, views_sql: str) -> bool:
    """Recompute every stored score when ``views_sql`` (the text of the view files) is not the
    one they were computed with; True when it did."""
    digest = hashlib.md5(views_sql.encode("utf-8")).hexdigest()
    stored = dict(con.execute("select name, definition_md5 from derived_tables").fetchall())
    if all(stored.get(table) == digest for table in DERIVED_TABLES):
        return False
    refresh_all_scores(con)
    con.executemany(
        """
        insert into derived_tables (name, definition_md5, refreshed_at) values (?, ?, now())
        on conflict (name) do update set
            definition_md5 = excluded.definition_md5, refreshed_at = excluded.refreshed_at
        """,
        [[table, digest] for table in DERIVED_TABLES],
    )
    return True
