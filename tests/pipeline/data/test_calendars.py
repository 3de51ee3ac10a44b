"""Trading days of the Shanghai exchange and of 24/7 crypto, and the beyond-calendar fallback."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from pipeline.data import calendars, past_horizon
from pipeline.data.calendars import (
    CalendarFallbackWarning,
    TradingCalendar,
    find_gaps,
    is_trading_day,
    last_final_day,
    next_trading_day,
    previous_trading_day,
    trading_calendar,
    trading_days,
)
from pipeline.data.symbols import get_symbol
from pipeline.errors import SourceError

MOUTAI = get_symbol("600519.SH")
BTC = get_symbol("BTC-USD")
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_next_trading_day_skips_the_weekend() -> None:
    # 2020-04-24 is a Friday.
    assert next_trading_day(MOUTAI, date(2020, 4, 24)) == date(2020, 4, 27)


def test_next_trading_day_skips_national_day_week() -> None:
    # The exchange closed 2019-10-01..07 for National Day.
    assert next_trading_day(MOUTAI, date(2019, 9, 30)) == date(2019, 10, 8)
    assert previous_trading_day(MOUTAI, date(2019, 10, 8)) == date(2019, 9, 30)


def test_weekends_and_holidays_are_not_trading_days() -> None:
    assert is_trading_day(MOUTAI, date(2020, 4, 24))
    assert not is_trading_day(MOUTAI, date(2020, 4, 25))  # Saturday
    assert not is_trading_day(MOUTAI, date(2020, 4, 26))  # Sunday
    assert not is_trading_day(MOUTAI, date(2019, 10, 1))  # National Day


def test_2010_is_covered() -> None:
    # exchange-calendars' default start is only 20 years back; the bundled file starts 2010.
    assert trading_days(MOUTAI, date(2010, 4, 23), date(2010, 4, 27)) == [
        date(2010, 4, 23),
        date(2010, 4, 26),
        date(2010, 4, 27),
    ]


def test_btc_trades_every_day() -> None:
    assert next_trading_day(BTC, date(2020, 4, 24)) == date(2020, 4, 25)
    assert previous_trading_day(BTC, date(2020, 3, 1)) == date(2020, 2, 29)
    assert is_trading_day(BTC, date(2019, 10, 1))
    assert len(trading_days(BTC, date(2020, 1, 1), date(2020, 12, 31))) == 366


def test_accepts_timestamps() -> None:
    assert next_trading_day(MOUTAI, pd.Timestamp("2020-04-24")) == date(2020, 4, 27)


def test_find_gaps_reports_missing_trading_days() -> None:
    series = [date(2020, 4, 20), date(2020, 4, 21), date(2020, 4, 23), date(2020, 4, 27)]
    # 04-22 (Wed) and 04-24 (Fri) are missing; the weekend between is not a gap.
    assert find_gaps(MOUTAI, series) == [date(2020, 4, 22), date(2020, 4, 24)]
    assert find_gaps(BTC, [date(2020, 1, 1), date(2020, 1, 3)]) == [date(2020, 1, 2)]
    assert find_gaps(MOUTAI, []) == []


def test_the_bundled_moutai_file_gaps_are_its_suspension_days() -> None:
    bundled = pd.read_csv(
        Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv",
        usecols=["date"],
    )
    dates = pd.to_datetime(bundled["date"]).dt.date.tolist()
    # The exchange was open but Moutai was suspended (e.g. shareholder meetings), so
    # tushare has no bar: a gap that no source will ever fill.
    assert find_gaps(MOUTAI, dates) == [
        date(2010, 5, 27),
        date(2010, 5, 28),
        date(2011, 5, 25),
        date(2012, 5, 29),
        date(2012, 9, 3),
        date(2012, 12, 10),
    ]


def test_last_final_day_before_and_after_the_close() -> None:
    monday = date(2026, 11, 23)
    before = datetime(2026, 11, 23, 14, 59, tzinfo=SHANGHAI)
    after = datetime(2026, 11, 23, 15, 0, tzinfo=SHANGHAI)
    # Before Monday's 15:00 close the latest final bar is Friday's.
    assert last_final_day(MOUTAI, before) == date(2026, 11, 20)
    assert last_final_day(MOUTAI, after) == monday
    # The same instant given in UTC (07:00Z is 15:00 in Shanghai).
    assert last_final_day(MOUTAI, datetime(2026, 11, 23, 7, 0, tzinfo=UTC)) == monday
    # On Saturday, Friday's bar is the latest.
    saturday = datetime(2026, 11, 28, 10, 0, tzinfo=SHANGHAI)
    assert last_final_day(MOUTAI, saturday) == date(2026, 11, 27)


def test_last_final_day_btc_is_yesterday_utc() -> None:
    now = datetime(2026, 11, 23, 0, 5, tzinfo=UTC)
    assert last_final_day(BTC, now) == date(2026, 11, 22)
    # 23:59 UTC: today's bar is still forming.
    assert last_final_day(BTC, now.replace(hour=23, minute=59)) == date(2026, 11, 22)


def test_last_final_day_needs_a_timezone() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        last_final_day(MOUTAI, datetime(2026, 11, 23, 16, 0))


def test_the_library_calendar_ends_within_a_year_or_two() -> None:
    # China announces each year's holidays in December, so the library runs out soon.
    assert date(2026, 12, 31) <= calendars.XSHG_LAST_DAY < date(2030, 1, 1)


@pytest.mark.usefixtures("xshg_until_2026")
def test_beyond_the_calendar_assumes_weekdays_with_a_warning() -> None:
    calendar = TradingCalendar(MOUTAI)
    with pytest.warns(CalendarFallbackWarning, match="assuming weekdays"):
        # 2027-01-01 is a Friday; 2027's holidays are unknown, so it counts as trading.
        assert calendar.next_trading_day(date(2026, 12, 31)) == date(2027, 1, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarFallbackWarning)  # once a year, not per query
        assert calendar.trading_days(date(2026, 12, 30), date(2027, 1, 4)) == [
            date(2026, 12, 30),
            date(2026, 12, 31),
            date(2027, 1, 1),
            date(2027, 1, 4),
        ]
        assert calendar.last_final_day(datetime(2027, 1, 9, 12, 0, tzinfo=SHANGHAI)) == date(
            2027, 1, 8
        )
    with pytest.warns(CalendarFallbackWarning, match="in 2028"):
        calendar.is_trading_day(date(2028, 1, 3))


@pytest.mark.usefixtures("xshg_until_2026")
def test_beyond_the_calendar_uses_extra_sessions() -> None:
    calls: list[tuple[date, date]] = []

    def trade_cal(start: date, end: date) -> list[date]:
        calls.append((start, end))
        # As if 2027-01-01 were a holiday; a date outside the asked year is ignored.
        return [date(2027, 1, 4), date(2027, 1, 5), date(2026, 1, 5)]

    calendar = TradingCalendar(MOUTAI, extra_sessions=trade_cal)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarFallbackWarning)
        assert calendar.next_trading_day(date(2026, 12, 31)) == date(2027, 1, 4)
        assert calendar.trading_days(date(2026, 12, 31), date(2027, 1, 4)) == [
            date(2026, 12, 31),
            date(2027, 1, 4),
        ]
    # Asked once, for the whole uncovered year, however many queries touch it.
    assert calls == [(date(2027, 1, 1), date(2027, 12, 31))]


@pytest.mark.usefixtures("xshg_until_2026")
def test_extra_sessions_failure_falls_back_to_weekdays() -> None:
    def broken(start: date, end: date) -> list[date]:
        raise SourceError("trade_cal unavailable")

    calendar = TradingCalendar(MOUTAI, extra_sessions=broken)
    with pytest.warns(CalendarFallbackWarning, match="trade_cal unavailable"):
        assert calendar.is_trading_day(date(2027, 1, 4))


@pytest.mark.usefixtures("xshg_until_2026")
def test_extra_sessions_not_knowing_a_range_falls_back_to_weekdays() -> None:
    calendar = TradingCalendar(MOUTAI, extra_sessions=lambda start, end: None)
    with pytest.warns(CalendarFallbackWarning, match="does not know"):
        assert not calendar.is_trading_day(date(2027, 1, 2))  # a Saturday


def test_calendar_is_cached_per_symbol() -> None:
    assert trading_calendar(MOUTAI) is trading_calendar(MOUTAI)
    assert trading_calendar(MOUTAI) is not trading_calendar(BTC)


def test_a_long_range_is_fast_enough_for_the_ingest_loop() -> None:
    start = datetime.now()
    days = trading_days(MOUTAI, date(2000, 1, 1), date(2026, 12, 31))
    assert len(days) > 6000
    assert datetime.now() - start < timedelta(seconds=1)


@pytest.mark.usefixtures("xshg_until_2026")
def test_a_default_extra_sessions_source_serves_every_calendar() -> None:
    # What flows do once a tushare token is configured: trade_cal becomes the default.
    def trade_cal(start: date, end: date) -> list[date]:
        return [date(2027, 1, 4)]

    past_horizon.use_extra_sessions(trade_cal)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", CalendarFallbackWarning)
            assert calendars.next_trading_day(MOUTAI, date(2026, 12, 31)) == date(2027, 1, 4)
    finally:
        past_horizon.use_extra_sessions(None)
    with pytest.warns(CalendarFallbackWarning):
        assert calendars.next_trading_day(MOUTAI, date(2026, 12, 31)) == date(2027, 1, 1)
