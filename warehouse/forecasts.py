"""Issuing forecasts: identical re-issues are no-ops, different ones add a newer row."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

import duckdb
import pandas as pd

from warehouse.scores import refresh_scores
from warehouse.transactions import transaction

FORECAST_COLUMNS = [
    "symbol",
    "model",
    "run_id",
    "target",
    "as_of_date",
    "target_date",
    "issued_at",
    "predicted",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
    "last_known",
    "is_champion",
    "is_replay",
    "scale",
]
# What makes two issues "the same forecast": everything but when it was issued.
_IDENTITY = [
    "symbol",
    "model",
    "target",
    "as_of_date",
    "target_date",
    "is_replay",
    "is_champion",
    "predicted",
    "lower_80",
    "upper_80",
    "lower_95",
    "upper_95",
    "last_known",
]


def issue_forecasts(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Insert forecasts and their quantiles in one transaction; return how many were new."""
    with transaction(con):
        return write_forecasts(con, frame)


def write_forecasts(con: duckdb.DuckDBPyConnection, frame: pd.DataFrame) -> int:
    """Insert forecasts and their ``quantiles`` (a column of {level: price}, optional), and
    re-score their symbols (``warehouse.scores``); return how many forecasts were new (no
    transaction of its own: see :func:`issue_forecasts`)."""
    return sum(new_forecasts_by_day(con, frame).values())


def new_forecasts_by_day(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame
) -> Counter[tuple[str, date]]:
    """:func:`write_forecasts`, counting the new forecasts per (symbol, as-of day)."""
    if frame.empty:
        return Counter()
    identity = ", ".join(f"coalesce({c}::varchar, '')" for c in _IDENTITY)
    issued = frame.reindex(columns=FORECAST_COLUMNS).assign(issue_row=range(len(frame)))
    con.register("issued_forecasts", issued)
    con.register("issued_quantiles", _quantile_rows(frame))
    try:
        inserted = con.execute(
            f"""
            insert into forecasts (forecast_id, {", ".join(FORECAST_COLUMNS)})
            select md5(concat_ws('|', {identity})), {", ".join(FORECAST_COLUMNS)}
            from issued_forecasts
            on conflict (forecast_id) do nothing
            returning symbol, as_of_date
            """
        ).fetchall()
        con.execute(
            f"""
            insert into forecast_quantiles (forecast_id, level, value, symbol)
            select md5(concat_ws('|', {identity})), q.level, q.value, symbol
            from issued_quantiles as q
            join issued_forecasts using (issue_row)
            on conflict (forecast_id, level) do nothing
            """
        )
        refresh_scores(con, frame["symbol"])
        return Counter((symbol, day) for symbol, day in inserted)
    finally:
        con.unregister("issued_forecasts")
        con.unregister("issued_quantiles")


def _quantile_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per forecast (its position in ``frame``) and quantile level."""
    quantiles: list[dict[float, float] | None] = (
        frame["quantiles"].tolist() if "quantiles" in frame else [None] * len(frame)
    )
    rows = [
        (i, float(level), float(value))
        for i, levels in enumerate(quantiles)
        for level, value in (levels or {}).items()
    ]
    return pd.DataFrame(rows, columns=["issue_row", "level", "value"])


def latest_forecasts(con: duckdb.DuckDBPyConnection, symbols: list[str]) -> pd.DataFrame:
    """The ``latest_forecasts`` view for some symbols."""
    return con.execute(
        """
        select * from latest_forecasts where symbol in (select unnest(?::varchar[]))
        order by symbol, target, model
        """,
        [symbols],
    ).df()


def scored_history(
    con: duckdb.DuckDBPyConnection, symbol: str, since: date | None = None
) -> pd.DataFrame:
    """Scored forecasts of one symbol (latest issue each), oldest first."""
    return con.execute(
        """
        select * from forecast_accuracy
        where symbol = ? and is_latest_issue and (?::date is null or target_date >= ?::date)
        order by target_date, model
        """,
        [symbol, since, since],
    ).df()


def leaderboard(
    con: duckdb.DuckDBPyConnection, symbols: list[str], window_name: str = "all"
) -> pd.DataFrame:
    """The ``leaderboard`` view for some symbols and one window."""
    return con.execute(
        """
        select * from leaderboard
        where symbol in (select unnest(?::varchar[])) and window_name = ?
        order by symbol, target, window_name, mae
        """,
        [symbols, window_name],
    ).df()


def forecast_quantiles(con: duckdb.DuckDBPyConnection, forecast_id: str) -> dict[float, float]:
    """One forecast's stored quantiles: {level: price}."""
    rows = con.execute(
        "select level, value from forecast_quantiles where forecast_id = ? order by level",
        [forecast_id],
    ).fetchall()
    return {float(level): float(value) for level, value in rows}


def distribution_scores(con: duckdb.DuckDBPyConnection, symbol: str) -> pd.DataFrame:
    """The ``leaderboard``'s distribution scores of one symbol over all scored days, naive's
    beside each model's, best 95% interval score first."""
    return con.execute(
        """
        select model, target, n, interval_score_80, naive_interval_score_80, interval_score_95,
               naive_interval_score_95, pinball_loss, naive_pinball_loss, coverage_80,
               coverage_95, coverage_95_low_vol, coverage_95_mid_vol, coverage_95_high_vol,
               mean_width_95, is_beating_naive_interval
        from leaderboard
        where symbol = ? and window_name = 'all'
        order by target, interval_score_95
        """,
        [symbol],
    ).df()


def interval_breaches(
    con: duckdb.DuckDBPyConnection, symbols: list[str], since: datetime
) -> pd.DataFrame:
    """Live forecasts scored by bars stored since ``since`` whose actual fell outside the 95%."""
    return con.execute(
        """
        select a.*
        from forecast_accuracy as a
        join bars as b on b.symbol = a.symbol and b.date = a.target_date
        where a.symbol in (select unnest(?::varchar[]))
          and not a.is_inside_95 and not a.is_replay and a.is_latest_issue
          and b.ingested_at >= ?
        """,
        [symbols, since],
    ).df()


# Each scored day forecast's relative error, standardised by the scale it was calibrated with
# (1: a point model; pipeline.forecast.intervals.relative_errors), for one symbol and target up
# to a target day, raw for the ``flat`` models and standardised for the others
_DAY_ERRORS = """
    select
        model,
        strftime(target_date, '%Y-%m-%d') as day,
        (actual - predicted) / abs(last_known) / coalesce(scale, 1.0) as relative_error,
        is_replay
    from forecast_accuracy
    where symbol = ? and target = ? and is_day_forecast and target_date <= ?
      and (scale is null) = list_contains(?::varchar[], model)
"""


def recent_errors(
    con: duckdb.DuckDBPyConnection,
    symbol: str,
    target: str,
    as_of: date,
    window: int,
    flat: Sequence[str] = ("naive",),
) -> dict[str, dict[str, float]]:
    """Per model: its last ``window`` scored forecasts' relative errors
    (``(actual - predicted) / last_known``, over ``scale`` for a forecast issued with one) by
    ISO target day, target days on or before ``as_of`` only (what was known that day). A day
    forecast live and in a replay counts once, live first. The ``flat`` models (calibrated on
    raw errors) count only their forecasts without a scale, the others only those with one, so
    a pool never mixes raw and standardised errors."""
    rows = con.execute(
        f"""
        select model, day, relative_error from ({_DAY_ERRORS})
        qualify row_number() over (partition by model order by day desc) <= ?
        """,
        [symbol, target, as_of, list(flat), window],
    ).fetchall()
    out: dict[str, dict[str, float]] = {}
    for model, day, error in rows:
        out.setdefault(model, {})[day] = float(error)
    return out


def day_errors(
    con: duckdb.DuckDBPyConnection,
    symbol: str,
    target: str,
    until: date,
    flat: Sequence[str] = ("naive",),
) -> pd.DataFrame:
    """Every scored day forecast with a target day on or before ``until``: model, day (ISO),
    relative_error and is_replay (a replay may replace it, a live forecast stands); raw or
    standardised as the model's calibration takes them (``flat``, as in :func:`recent_errors`)."""
    return con.execute(_DAY_ERRORS, [symbol, target, until, list(flat)]).df()
