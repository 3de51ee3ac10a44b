"""What covers the days past an exchange calendar's horizon, per calendar: the user's holiday
files, an ``extra_sessions`` source (tushare's ``trade_cal`` for XSHG) and the weekdays no
symbol traded (closures, found in the warehouse). pipeline.data.calendars builds the calendars
from them; nothing here loads exchange-calendars, so the warehouse and the settings hand them
over without building one. A configuration handed over with :func:`defer` runs at the first
calendar use after it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import date

from pipeline.data.holidays import HolidayList
from pipeline.data.symbols import XSHG

ExtraSessions = Callable[[date, date], list[date] | None]
"""Sessions in start..end inclusive, or None when the range is unknown to it."""

_extra_sessions: dict[str, ExtraSessions] = {}  # per calendar, e.g. XSHG: tushare's trade_cal
_holidays: dict[str, HolidayList] = {}  # per calendar: the user's holiday files
_closures: dict[str, frozenset[date]] = {}  # per calendar: weekdays without any bar
_deferred: list[Callable[[], None]] = []  # the configuration to run at the next calendar use
_settling = threading.RLock()  # a flow's threads wait for the configuration, then use it
_listeners: list[Callable[[], None]] = []  # called on every change (the calendars' cache)


def use_extra_sessions(extra_sessions: ExtraSessions | None, calendar: str = XSHG) -> None:
    """Make ``extra_sessions`` (e.g. tushare's ``trade_cal``) the source of ``calendar``'s
    sessions past the library's range for every symbol asked for without one; None: none."""
    _settle()  # a deferred configuration comes first: the later choice holds
    if extra_sessions is None:
        _extra_sessions.pop(calendar, None)
    else:
        _extra_sessions[calendar] = extra_sessions
    _changed()


def use_holidays(lists: Mapping[str, HolidayList]) -> None:
    """The users' holiday files, per calendar (replacing those given before)."""
    _settle()
    _holidays.clear()
    _holidays.update(lists)
    _changed()


def use_closures(calendar: str, days: frozenset[date]) -> None:
    """Weekdays past ``calendar``'s horizon on which none of its symbols traded."""
    if _closures.get(calendar, frozenset()) != days:
        _closures[calendar] = days
        _changed()


def defer(configure: Callable[[], None]) -> None:
    """Run ``configure`` (which calls the ``use_`` functions) at the next calendar use, in
    place of one deferred before and not run yet."""
    with _settling:
        _deferred[:] = [configure]


def sources(calendar: str) -> tuple[ExtraSessions | None, HolidayList | None, frozenset[date]]:
    """``calendar``'s extra sessions, holiday file and closures, after the deferred
    configuration has run."""
    _settle()
    closures = _closures.get(calendar, frozenset())
    return _extra_sessions.get(calendar), _holidays.get(calendar), closures


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever what covers a calendar changes."""
    _listeners.append(listener)


def _settle() -> None:
    if _deferred:
        with _settling:
            while _deferred:
                _deferred.pop()()


def _changed() -> None:
    for listener in _listeners:
        listener()
