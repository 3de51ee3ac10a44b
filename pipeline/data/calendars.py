"""Trading days per symbol: an exchange calendar (XSHG, XNYS, ...), or every UTC day for 24/7.

Exchange calendars come from exchange-calendars. XSHG's holiday list is hard-coded and
ends with the last year China has announced (it is published each December): that day is the
calendar's horizon. Past it (and before its first day), each year comes from the first of:
the user's holiday file of that exchange (:mod:`pipeline.data.holidays`), an ``extra_sessions``
callable (tushare's ``trade_cal`` for XSHG), else weekdays, with one
``CalendarFallbackWarning`` per year. Weekdays no symbol of the exchange traded while later
bars exist (``closures``, found in the warehouse) never trade, whatever the source.
:mod:`pipeline.data.past_horizon` holds these sources per calendar.
"""

from __future__ import annotations

import warnings
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

from exchange_calendars.exchange_calendar_xshg import XSHGExchangeCalendar

from pipeline.data import past_horizon
from pipeline.data.holidays import HolidayList
from pipeline.data.past_horizon import ExtraSessions
from pipeline.data.symbols import ALWAYS_OPEN, XSHG, SymbolInfo, exchange_calendar
from pipeline.errors import InputError, SourceError

# Other exchanges: sessions from this day (or the calendar's first) to its default end.
EXCHANGE_FIRST_DAY = date(2000, 1, 1)

# The library's XSHG holiday list starts in 1999 (earlier years would be plain weekdays)
# and ends with the last announced year; its default start is only 20 years back.
XSHG_FIRST_DAY = date(1999, 1, 1)
XSHG_LAST_DAY: date = XSHGExchangeCalendar.bound_max().date()

_ONE_DAY = timedelta(days=1)
# China's longest closure (Spring Festival) is under two weeks, so a 2-week window
# usually finds the neighbouring session at the first try.
_SEARCH_WINDOW_DAYS = 14
_SEARCH_LIMIT_DAYS = 366


def today_in(info: SymbolInfo, now: datetime | None = None) -> date:
    """Today's date where the symbol's bars are dated."""
    return (now or datetime.now(tz=ZoneInfo("UTC"))).astimezone(ZoneInfo(info.timezone)).date()


class CalendarFallbackWarning(UserWarning):
    """The exchange calendar does not cover a date, so weekdays were assumed."""


@cache
def _sessions(name: str) -> tuple[tuple[date, ...], tuple[date, date]]:
    """The sessions of an exchange calendar and the range it covers (built once per process:
    constructing an exchange calendar takes a noticeable moment)."""
    if name == XSHG:
        calendar = XSHGExchangeCalendar(
            start=XSHG_FIRST_DAY.isoformat(), end=XSHGExchangeCalendar.bound_max()
        )
        # The bound, not the last session: days between them are known closures. (Tests pin
        # XSHG_LAST_DAY, so days past it stay past the horizon after a library update.)
        days = tuple(s.date() for s in calendar.sessions if s.date() <= XSHG_LAST_DAY)
        return days, (XSHG_FIRST_DAY, XSHG_LAST_DAY)
    lowest = type(exchange_calendar(name)).bound_min()
    first = max(EXCHANGE_FIRST_DAY, lowest.date()) if lowest is not None else EXCHANGE_FIRST_DAY
    calendar = exchange_calendar(name, start=first.isoformat())
    covered = (first, calendar.last_session.date())
    return tuple(session.date() for session in calendar.sessions), covered


def _as_date(day: date) -> date:
    # pd.Timestamp and datetime are date subclasses; compare plain dates only.
    return day.date() if isinstance(day, datetime) else day


def _weekdays(start: date, end: date) -> list[date]:
    count = (end - start).days + 1
    days = (start + timedelta(days=i) for i in range(count))
    return [d for d in days if d.weekday() < 5]


class TradingCalendar:
    """The trading days of one symbol's calendar."""

    def __init__(
        self,
        info: SymbolInfo,
        extra_sessions: ExtraSessions | None = None,
        holidays: HolidayList | None = None,
        closures: frozenset[date] = frozenset(),
    ) -> None:
        self.info = info
        self.extra_sessions = extra_sessions
        self.holidays = holidays
        self.closures = closures
        self._extra_years: dict[int, list[date]] = {}
        self._extra_failed: dict[int, str] = {}
        self._warned_years: set[int] = set()
        self._always_open = info.calendar == ALWAYS_OPEN
        if not self._always_open:
            try:
                self._sessions, self._covered = _sessions(info.calendar)
            except InputError as exc:
                raise InputError(f"{info.symbol}: {exc}") from None

    def trading_days(self, start: date, end: date) -> list[date]:
        """Trading days from start to end inclusive, ascending (empty if start > end)."""
        start, end = _as_date(start), _as_date(end)
        if start > end:
            return []
        if self._always_open:
            return [start + timedelta(days=i) for i in range((end - start).days + 1)]
        first, last = self._covered
        days: list[date] = []
        if start < first:
            days += self._outside(start, min(end, first - _ONE_DAY))
        if start <= last and end >= first:
            lo = bisect_left(self._sessions, max(start, first))
            hi = bisect_right(self._sessions, min(end, last))
            days += self._sessions[lo:hi]
        if end > last:
            days += self._outside(max(start, last + _ONE_DAY), end)
        return days

    def is_trading_day(self, day: date) -> bool:
        """Whether the exchange trades on day."""
        return bool(self.trading_days(day, day))

    def next_trading_day(self, day: date) -> date:
        """The first trading day after day."""
        day = _as_date(day)
        window = _SEARCH_WINDOW_DAYS
        while window <= _SEARCH_LIMIT_DAYS:
            days = self.trading_days(day + _ONE_DAY, day + timedelta(days=window))
            if days:
                return days[0]
            window *= 2
        raise ValueError(f"{self.info.symbol}: no trading day within a year after {day}")

    def previous_trading_day(self, day: date) -> date:
        """The last trading day before day."""
        day = _as_date(day)
        window = _SEARCH_WINDOW_DAYS
        while window <= _SEARCH_LIMIT_DAYS:
            days = self.trading_days(day - timedelta(days=window), day - _ONE_DAY)
            if days:
                return days[-1]
            window *= 2
        raise ValueError(f"{self.info.symbol}: no trading day within a year before {day}")

    def find_gaps(self, dates: Sequence[date]) -> list[date]:
        """Trading days between the first and last of dates that dates lacks."""
        present = {_as_date(d) for d in dates}
        if not present:
            return []
        return [d for d in self.trading_days(min(present), max(present)) if d not in present]

    def last_final_day(self, now: datetime) -> date:
        """The latest trading day whose session has closed at now (a tz-aware datetime)."""
        if now.tzinfo is None:
            raise ValueError("last_final_day needs a timezone-aware datetime")
        tz = ZoneInfo(self.info.timezone)
        today = now.astimezone(tz).date()
        day = today if self.is_trading_day(today) else self.previous_trading_day(today)
        while self._session_end(day, tz) > now:
            day = self.previous_trading_day(day)
        return day

    def _session_end(self, day: date, tz: ZoneInfo) -> datetime:
        close = self.info.session_close
        # A close of 00:00 means midnight at the end of the day (24/7 UTC bars).
        close_day = day + _ONE_DAY if close == time(0) else day
        return datetime.combine(close_day, close, tzinfo=tz)

    @property
    def horizon(self) -> date | None:
        """The last day exchange-calendars covers (None: 24/7, every day trades)."""
        return None if self._always_open else self._covered[1]

    def source_of(self, year: int) -> str | None:
        """Where the sessions of ``year`` come from, or None when weekdays are assumed."""
        if self._always_open:
            return "every day"
        first, last = self._covered
        if first <= date(year, 1, 1) and date(year, 12, 31) <= last:
            return "exchange-calendars"
        if self.holidays is not None and year in self.holidays.years:
            return f"holiday file {self.holidays.path}"
        if self.extra_sessions is not None and self._extra_year(year)[0] is not None:
            return "tushare trade_cal" if self.info.calendar == XSHG else "extra sessions"
        return None

    def _outside(self, start: date, end: date) -> list[date]:
        """Sessions in a range the exchange calendar does not cover, a year at a time."""
        days: list[date] = []
        for year in range(start.year, end.year + 1):
            lo, hi = max(start, date(year, 1, 1)), min(end, date(year, 12, 31))
            days += [d for d in self._outside_year(year, lo, hi) if d not in self.closures]
        return days

    def _outside_year(self, year: int, start: date, end: date) -> list[date]:
        if self.holidays is not None and year in self.holidays.years:
            return [d for d in _weekdays(start, end) if d not in self.holidays.days]
        reason = "no holiday file or extra_sessions source covers it"
        if self.extra_sessions is not None:
            known, reason = self._extra_year(year)
            if known is not None:
                return [d for d in known if start <= d <= end]
        if year not in self._warned_years:  # once per year and calendar, not per query
            self._warned_years.add(year)
            first, last = self._covered
            warnings.warn(
                f"{self.info.symbol}: the {self.info.calendar} calendar covers {first}..{last} "
                f"only and {reason}; assuming weekdays are trading days in {year}",
                CalendarFallbackWarning,
                stacklevel=3,
            )
        return _weekdays(start, end)

    def _extra_year(self, year: int) -> tuple[list[date] | None, str]:
        """extra_sessions' sessions of a year (None and why when it cannot say). Whole years
        per call, remembered, failures too: extra_sessions is typically a remote API, asked
        again by the next run (each run's settings build new calendars)."""
        if year in self._extra_years:
            return self._extra_years[year], ""
        if year in self._extra_failed:
            return None, self._extra_failed[year]
        assert self.extra_sessions is not None
        try:
            sessions = self.extra_sessions(date(year, 1, 1), date(year, 12, 31))
        except SourceError as exc:
            self._extra_failed[year] = f"extra_sessions failed ({exc})"
            return None, self._extra_failed[year]
        if sessions is None:
            self._extra_failed[year] = "extra_sessions does not know this range"
            return None, self._extra_failed[year]
        self._extra_years[year] = sorted(
            {_as_date(d) for d in sessions if _as_date(d).year == year}
        )
        return self._extra_years[year], ""


def trading_calendar(
    info: SymbolInfo, extra_sessions: ExtraSessions | None = None
) -> TradingCalendar:
    """The (cached) TradingCalendar of a symbol, with what covers its calendar past the
    horizon (pipeline.data.past_horizon)."""
    extra, holidays, closures = past_horizon.sources(info.calendar)
    return _trading_calendar(info, extra_sessions or extra, holidays, closures)


@lru_cache(maxsize=32)
def _trading_calendar(
    info: SymbolInfo,
    extra_sessions: ExtraSessions | None,
    holidays: HolidayList | None,
    closures: frozenset[date],
) -> TradingCalendar:
    return TradingCalendar(info, extra_sessions, holidays, closures)


past_horizon.on_change(_trading_calendar.cache_clear)


def trading_days(
    info: SymbolInfo, start: date, end: date, *, extra_sessions: ExtraSessions | None = None
) -> list[date]:
    """Trading days of info from start to end inclusive, ascending."""
    return trading_calendar(info, extra_sessions).trading_days(start, end)


def is_trading_day(
    info: SymbolInfo, day: date, *, extra_sessions: ExtraSessions | None = None
) -> bool:
    """Whether info trades on day."""
    return trading_calendar(info, extra_sessions).is_trading_day(day)


def next_trading_day(
    info: SymbolInfo, day: date, *, extra_sessions: ExtraSessions | None = None
) -> date:
    """The first trading day of info after day."""
    return trading_calendar(info, extra_sessions).next_trading_day(day)


def previous_trading_day(
    info: SymbolInfo, day: date, *, extra_sessions: ExtraSessions | None = None
) -> date:
    """The last trading day of info before day."""
    return trading_calendar(info, extra_sessions).previous_trading_day(day)


def find_gaps(
    info: SymbolInfo, dates: Sequence[date], *, extra_sessions: ExtraSessions | None = None
) -> list[date]:
    """Trading days within the first..last of dates that are missing from dates."""
    return trading_calendar(info, extra_sessions).find_gaps(dates)


def last_final_day(
    info: SymbolInfo, now: datetime, *, extra_sessions: ExtraSessions | None = None
) -> date:
    """The latest trading day of info whose session has closed at now (tz-aware)."""
    return trading_calendar(info, extra_sessions).last_final_day(now)
