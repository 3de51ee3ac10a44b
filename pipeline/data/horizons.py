"""Each calendar's horizon (the last day exchange-calendars knows), what covers the days past
it, and the one warning line each run gives from 30 days before a horizon."""

from __future__ import annotations

import warnings
from datetime import date, timedelta

from pipeline.data.calendars import CalendarFallbackWarning, trading_calendar
from pipeline.data.symbols import SymbolInfo

HORIZON_WARNING_DAYS = 30  # each run warns this many days before a calendar's horizon
HOW_TO_SUPPLY = (
    "list its closures (YYYY-MM-DD, one a line) in a file named in nextbar.toml as "
    '[calendar] holidays_file = {{{calendar} = "path"}}'
)


def needed_years(horizon: date, today: date) -> list[int]:
    """Years a calendar must know past ``horizon`` for runs up to 30 days after ``today``."""
    first = horizon + timedelta(days=1)
    last = max(today, horizon) + timedelta(days=HORIZON_WARNING_DAYS)
    return list(range(first.year, last.year + 1))


def is_near(horizon: date, today: date) -> bool:
    """Whether today is within 30 days of the horizon, or past it."""
    return today >= horizon - timedelta(days=HORIZON_WARNING_DAYS)


def horizon_message(calendar: str, horizon: date, today: date, years: list[int]) -> str:
    """The one warning line for a calendar whose horizon is near and whose next ``years``
    nothing covers."""
    days = (horizon - today).days
    when = f"in {days} days" if days >= 0 else f"{-days} days ago"
    listed = ", ".join(str(y) for y in years)
    tushare = " or set a tushare token whose points allow trade_cal," if calendar == "XSHG" else ""
    return (
        f"{calendar} calendar: exchange-calendars knows its trading days until {horizon} "
        f"({when}); past it every weekday counts as a trading day: for {listed}, "
        f"{HOW_TO_SUPPLY.format(calendar=calendar)},{tushare} or upgrade exchange-calendars"
    )


def horizon_warning(info: SymbolInfo, today: date) -> str | None:
    """From 30 days before the horizon of info's calendar, the line that says what to supply
    for the years nothing covers yet; None when nothing is missing."""
    calendar = trading_calendar(info)
    horizon = calendar.horizon
    if horizon is None or not is_near(horizon, today):
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalendarFallbackWarning)
        missing = [y for y in needed_years(horizon, today) if calendar.source_of(y) is None]
    return horizon_message(info.calendar, horizon, today, missing) if missing else None


def horizon_rows(infos: list[SymbolInfo]) -> list[tuple[str, str, str]]:
    """(calendar, horizon, what comes past it) once per calendar of infos, for ``nextbar
    config``. Asks no remote source: a configured trade_cal is named, not called."""
    rows: dict[str, tuple[str, str, str]] = {}
    for info in infos:
        if info.calendar in rows:
            continue
        calendar = trading_calendar(info)
        horizon = calendar.horizon
        if horizon is None:
            rows[info.calendar] = (info.calendar, "none", "every day trades")
            continue
        year = horizon.year + 1
        past = "every weekday, warned (supply calendar.holidays_file in nextbar.toml)"
        if calendar.holidays is not None and year in calendar.holidays.years:
            listed = ", ".join(str(y) for y in sorted(calendar.holidays.years))
            past = f"holiday file {calendar.holidays.path} ({listed})"
        elif calendar.extra_sessions is not None:
            past = "tushare trade_cal, if the token's points allow it, else every weekday"
        rows[info.calendar] = (info.calendar, horizon.isoformat(), past)
    return list(rows.values())
