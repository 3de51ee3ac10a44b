"""Past exchange-calendars' horizon: a user's holiday file, closures seen in the bars, trade_cal
after the file, and the warning from 30 days before the horizon. The 2027 dates are test data."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import pytest

from pipeline.data import past_horizon
from pipeline.data.calendars import CalendarFallbackWarning, TradingCalendar, next_trading_day
from pipeline.data.holidays import read_holidays
from pipeline.data.horizons import horizon_rows, horizon_warning
from pipeline.data.symbols import get_symbol
from pipeline.errors import InputError

MOUTAI = get_symbol("600519.SH")
pytestmark = pytest.mark.usefixtures("xshg_until_2026")


def test_a_holiday_file_carries_the_calendar_across_the_horizon(holidays_2027_file: Path) -> None:
    holidays = read_holidays(holidays_2027_file, "XSHG")
    calendar = TradingCalendar(MOUTAI, holidays=holidays)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarFallbackWarning)  # 2027 is covered: no warning
        assert calendar.next_trading_day(date(2026, 12, 31)) == date(2027, 1, 4)
        assert calendar.previous_trading_day(date(2027, 1, 4)) == date(2026, 12, 31)
        assert calendar.next_trading_day(date(2027, 2, 5)) == date(2027, 2, 15)
        assert not calendar.is_trading_day(date(2027, 2, 10))
        assert calendar.is_trading_day(date(2027, 2, 15))
        assert calendar.source_of(2027) == f"holiday file {holidays_2027_file}"
    assert calendar.source_of(2026) == "exchange-calendars"
    with pytest.warns(CalendarFallbackWarning, match="in 2028"):  # the file says nothing of 2028
        assert calendar.is_trading_day(date(2028, 1, 3))


def test_without_a_file_weekdays_are_assumed_once_warned() -> None:
    calendar = TradingCalendar(MOUTAI)
    with pytest.warns(CalendarFallbackWarning, match="assuming weekdays .* in 2027"):
        assert calendar.next_trading_day(date(2026, 12, 31)) == date(2027, 1, 1)
    assert calendar.source_of(2027) is None


def test_the_file_comes_before_trade_cal(holidays_2027_file: Path) -> None:
    asked: list[int] = []

    def trade_cal(start: date, end: date) -> list[date]:
        asked.append(start.year)
        return [date(2027, 1, 1)]  # disagrees with the file: the file wins

    holidays = read_holidays(holidays_2027_file, "XSHG")
    calendar = TradingCalendar(MOUTAI, extra_sessions=trade_cal, holidays=holidays)
    assert calendar.next_trading_day(date(2026, 12, 31)) == date(2027, 1, 4)
    assert asked == []
    assert calendar.trading_days(date(2028, 1, 1), date(2028, 1, 31)) == []  # 2028: trade_cal's
    assert asked == [2028]


def test_closures_seen_in_the_bars_never_trade() -> None:
    calendar = TradingCalendar(MOUTAI, closures=frozenset({date(2027, 1, 1)}))
    with pytest.warns(CalendarFallbackWarning):
        assert calendar.next_trading_day(date(2026, 12, 31)) == date(2027, 1, 4)


def test_a_deferred_configuration_runs_at_the_first_calendar_use(
    holidays_2027_file: Path,
) -> None:
    ran = []

    def configure() -> None:
        ran.append(1)
        past_horizon.use_holidays({"XSHG": read_holidays(holidays_2027_file, "XSHG")})

    past_horizon.defer(configure)
    assert ran == []  # nothing read yet
    assert next_trading_day(MOUTAI, date(2027, 2, 5)) == date(2027, 2, 15)  # the file's
    assert next_trading_day(MOUTAI, date(2027, 2, 8)) == date(2027, 2, 15)
    assert ran == [1]  # once
    past_horizon.defer(configure)
    past_horizon.use_holidays({})  # a later choice holds over an earlier deferred one
    assert ran == [1, 1]
    with pytest.warns(CalendarFallbackWarning):
        assert next_trading_day(MOUTAI, date(2027, 2, 5)) == date(2027, 2, 8)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("2027-13-01\n", "line 1: '2027-13-01' is not a YYYY-MM-DD date"),
        ("# ok\n\n2027/01/01\n", "line 3: '2027/01/01' is not a YYYY-MM-DD date"),
        ("20270101\n", "line 1: write 2027-01-01, not '20270101'"),
    ],
)
def test_a_bad_holiday_file_names_its_line(tmp_path: Path, text: str, reason: str) -> None:
    path = tmp_path / "holidays.txt"
    path.write_text(text)
    with pytest.raises(InputError) as error:
        read_holidays(path, "XSHG")
    assert str(error.value) == f"[calendar] holidays_file XSHG = {path}: {reason}"


def test_a_missing_holiday_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"holidays_file XSHG = .*: no such file"):
        read_holidays(tmp_path / "missing.txt", "XSHG")


def test_runs_warn_from_30_days_before_the_horizon(holidays_2027_file: Path) -> None:
    # 2026-12-03, the day this was written: 28 days before XSHG's horizon.
    line = horizon_warning(MOUTAI, date(2026, 12, 3))
    assert line is not None and "\n" not in line
    assert line.startswith(
        "XSHG calendar: exchange-calendars knows its trading days until 2026-12-31 (in 28 days)"
    )
    assert "for 2027" in line and "[calendar] holidays_file = {XSHG" in line and "trade_cal" in line
    assert horizon_warning(MOUTAI, date(2026, 11, 30)) is None  # 31 days before
    assert "5 days ago" in (horizon_warning(MOUTAI, date(2027, 1, 5)) or "")
    assert horizon_warning(get_symbol("BTC-USD"), date(2026, 12, 3)) is None
    past_horizon.use_holidays({"XSHG": read_holidays(holidays_2027_file, "XSHG")})
    try:
        assert horizon_warning(MOUTAI, date(2026, 12, 3)) is None  # 2027 supplied
        # late in 2027 the next year is needed again
        assert "for 2028" in (horizon_warning(MOUTAI, date(2027, 12, 10)) or "")
    finally:
        past_horizon.use_holidays({})


def test_config_shows_each_calendars_horizon(holidays_2027_file: Path) -> None:
    infos = [MOUTAI, get_symbol("BTC-USD"), get_symbol("000858.SZ")]
    assert horizon_rows(infos) == [
        (
            "XSHG",
            "2026-12-31",
            "every weekday, warned (supply calendar.holidays_file in nextbar.toml)",
        ),
        ("24/7", "none", "every day trades"),
    ]
    past_horizon.use_holidays({"XSHG": read_holidays(holidays_2027_file, "XSHG")})
    try:
        [xshg, _] = horizon_rows(infos)
        assert xshg[2] == f"holiday file {holidays_2027_file} (2027)"
    finally:
        past_horizon.use_holidays({})
