"""Calendars past exchange-calendars' horizon, as the warehouse sees them: closures found in
the bars (``calendar_closures``) and forecasts re-targeted when their day turned out not to
trade. A writer's open runs :func:`sync_calendars` (warehouse.connection), and a reader's
:func:`load_closures`, which builds no calendar: pipeline.data.calendars (exchange-calendars)
is imported where one is built."""

from __future__ import annotations

import warnings
from datetime import date, time, timedelta

import duckdb

from pipeline.data.past_horizon import use_closures
from pipeline.data.symbols import ALWAYS_OPEN, SymbolInfo
from warehouse.scores import refresh_scores
from warehouse.transactions import transaction

# Weekdays from $after to the calendar's last bar without any bar of it (from its first bar
# when it has none before $after).
_UNTRADED = """
with cal_bars as (
    select b.date from bars as b join symbols as s using (symbol) where s.calendar = $calendar
),
days as (select distinct date from cal_bars where date >= $after),
bounds as (
    select
        case when exists (select 1 from cal_bars where date < $after) then $after
             else min(date) end as lo,
        max(date) as hi
    from days
)
select cast(d as date) as day
from bounds, generate_series(lo, hi, interval 1 day) as t(d)
where isodow(d) <= 5 and cast(d as date) < hi and cast(d as date) not in (select date from days)
"""

_PENDING = """
select f.symbol, s.name, s.calendar, s.currency, s.timezone, s.session_close,
       f.as_of_date, f.target_date
from forecasts as f join symbols as s using (symbol)
left join bars as b on b.symbol = f.symbol and b.date = f.target_date and not b.is_partial
where b.date is null and s.calendar <> $always
group by all
"""


def record_closures(
    con: duckdb.DuckDBPyConnection, calendar: str, horizon: date
) -> frozenset[date]:
    """The weekdays after ``horizon`` that no symbol of ``calendar`` traded while later bars
    exist, kept in ``calendar_closures`` (a day a bar has since arrived for is dropped)."""
    after = horizon + timedelta(days=1)
    found = con.execute(_UNTRADED, {"calendar": calendar, "after": after}).fetchall()
    seen = frozenset(row[0] for row in found)
    stored = con.execute(
        "select date from calendar_closures where calendar = ?", [calendar]
    ).fetchall()
    known = frozenset(row[0] for row in stored)
    if seen != known:  # no write on an open that finds nothing new
        with transaction(con):
            con.execute(
                "delete from calendar_closures where calendar = ? and not list_contains(?, date)",
                [calendar, sorted(seen)],
            )
            con.executemany(
                "insert into calendar_closures values (?, ?, now())",
                [[calendar, day] for day in sorted(seen - known)],
            )
    return seen


def retarget_forecasts(con: duckdb.DuckDBPyConnection) -> int:
    """Move each unscored forecast whose target day is not a trading day (as now known) to the
    next trading day after its as-of day, keeping the first in ``retargeted_from``; the number
    of target days moved. Scores of the symbols touched are recomputed."""
    from pipeline.data.calendars import CalendarFallbackWarning, trading_calendar

    moved: list[tuple[date, str, date, date]] = []
    rows = con.execute(_PENDING, {"always": ALWAYS_OPEN}).fetchall()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarFallbackWarning)  # the runs warn, once
        for symbol, name, calendar, currency, zone, close, as_of, target in rows:
            info = SymbolInfo(symbol, name, calendar, currency, zone, close or time(0))
            days = trading_calendar(info)
            if not days.is_trading_day(target):
                moved.append((days.next_trading_day(as_of), symbol, as_of, target))
    if not moved:
        return 0
    with transaction(con):
        con.executemany(
            "update forecasts set retargeted_from = coalesce(retargeted_from, target_date), "
            "target_date = ? where symbol = ? and as_of_date = ? and target_date = ?",
            [list(m) for m in moved],
        )
        refresh_scores(con, {m[1] for m in moved})
    return len(moved)


def sync_calendars(con: duckdb.DuckDBPyConnection) -> None:
    """Closures seen in the bars past each calendar's horizon, recorded and made known to the
    calendars, then forecasts re-targeted where their day turned out not to trade."""
    from pipeline.data.calendars import trading_calendar

    rows = con.execute(
        "select any_value(symbol), calendar from symbols where calendar <> ? group by calendar",
        [ALWAYS_OPEN],
    ).fetchall()
    for symbol, calendar in rows:
        info = SymbolInfo(symbol, symbol, calendar, "", "UTC", time(0))
        horizon = trading_calendar(info).horizon
        if horizon is not None:
            use_closures(calendar, record_closures(con, calendar, horizon))
    retarget_forecasts(con)


def load_closures(con: duckdb.DuckDBPyConnection) -> None:
    """Make the recorded closures known to the calendars (a reader's open: no writes)."""
    try:
        rows = con.execute(
            "select calendar, list(date) from calendar_closures group by 1"
        ).fetchall()
    except duckdb.CatalogException:  # a file from before migration 011, opened read-only
        return
    for calendar, days in rows:
        use_closures(calendar, frozenset(days))
