"""tushare's trade_cal past XSHG's horizon, through the real client against a local server that
speaks the tushare pro protocol. The 2027 calendar served is test data (invented closures)."""

from __future__ import annotations

import warnings
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from local_server import LocalServer
from test_tushare import CAL_FIELDS, TOKEN, FakeTusharePro, Serve

from pipeline.data.calendars import CalendarFallbackWarning, TradingCalendar
from pipeline.data.holidays import read_holidays
from pipeline.data.sources.tushare_pro import TushareSource
from pipeline.data.symbols import get_symbol

MOUTAI = get_symbol("600519.SH")
pytestmark = pytest.mark.usefixtures("xshg_until_2026")


def _server_of_2027(
    serve: Serve, closed: set[date], error: tuple[int, str] | None = None
) -> LocalServer:
    rows = [
        ["SSE", d.strftime("%Y%m%d"), int(d.weekday() < 5 and d.date() not in closed)]
        for d in pd.date_range("2027-01-01", "2027-12-31")
    ]
    fake = FakeTusharePro(error=error)
    fake.tables["trade_cal"] = (CAL_FIELDS, rows, "cal_date")
    return serve(fake)


def test_trade_cal_serves_the_days_past_the_horizon(serve: Serve, holidays_2027_file: Path) -> None:
    closed = set(read_holidays(holidays_2027_file, "XSHG").days)
    server = _server_of_2027(serve, closed)
    source = TushareSource(TOKEN, http_url=server.url, timeout=5)
    calendar = TradingCalendar(MOUTAI, extra_sessions=source.trade_cal)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalendarFallbackWarning)
        assert calendar.next_trading_day(date(2026, 12, 31)) == date(2027, 1, 4)
        assert calendar.next_trading_day(date(2027, 2, 5)) == date(2027, 2, 15)
        assert calendar.source_of(2027) == "tushare trade_cal"
    assert server.paths() == ["/trade_cal"]  # one call for the whole year, remembered
    sent = server.requests[0].json()["params"]
    assert (sent["start_date"], sent["end_date"], sent["exchange"]) == (
        "20270101",
        "20271231",
        "SSE",
    )


def test_a_token_without_trade_cal_points_falls_back_with_a_warning(serve: Serve) -> None:
    server = _server_of_2027(serve, set(), error=(40203, "抱歉，您没有访问该接口的权限"))
    source = TushareSource(TOKEN, http_url=server.url, timeout=5)
    calendar = TradingCalendar(MOUTAI, extra_sessions=source.trade_cal)
    with pytest.warns(CalendarFallbackWarning, match="lacks permission"):
        assert calendar.next_trading_day(date(2026, 12, 31)) == date(2027, 1, 1)
    assert calendar.source_of(2027) is None
