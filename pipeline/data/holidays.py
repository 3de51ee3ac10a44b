"""Closures past an exchange calendar's horizon: a holiday file a user keeps, and the warning
that says, from 30 days before a horizon, what to supply.

A holiday file lists an exchange's closures on weekdays, one ``YYYY-MM-DD`` a line (``#``
comments, blank lines allowed). A year with at least one date in the file is taken as listed in
full: every other weekday of it trades. Weekends never trade, so the weekend make-up working
days China announces with its holidays need no line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from pipeline.errors import InputError

HORIZON_WARNING_DAYS = 30  # each run warns this many days before a calendar's horizon
HOW_TO_SUPPLY = (
    "list its closures (YYYY-MM-DD, one a line) in a file named in nextbar.toml as "
    '[calendar] holidays_file = {{{calendar} = "path"}}'
)


@dataclass(frozen=True)
class HolidayList:
    """The closures of one exchange that a user's file lists, and the years it covers."""

    path: str
    days: frozenset[date]

    @property
    def years(self) -> frozenset[int]:
        """Years the file lists (each taken as complete)."""
        return frozenset(d.year for d in self.days)


def read_holidays(path: Path, calendar: str) -> HolidayList:
    """The holiday file of ``calendar``; InputError naming the file, line and reason."""
    where = f"[calendar] holidays_file {calendar} = {path}"
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{where}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{where}: cannot read it ({exc})") from None
    days: set[date] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        entry = line.split("#", 1)[0].strip()
        if not entry:
            continue
        try:
            day = date.fromisoformat(entry)
        except ValueError:
            raise InputError(
                f"{where}: line {number}: {entry[:40]!r} is not a YYYY-MM-DD date"
            ) from None
        if len(entry) != 10:
            raise InputError(f"{where}: line {number}: write {day.isoformat()}, not {entry!r}")
        days.add(day)
    return HolidayList(str(path), frozenset(days))


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
