"""Closures past an exchange calendar's horizon: the holiday file a user keeps.

A holiday file lists an exchange's closures on weekdays, one ``YYYY-MM-DD`` a line (``#``
comments, blank lines allowed). A year with at least one date in the file is taken as listed in
full: every other weekday of it trades. Weekends never trade, so the weekend make-up working
days China announces with its holidays need no line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipeline.errors import InputError


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
