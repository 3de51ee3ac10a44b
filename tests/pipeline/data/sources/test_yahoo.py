"""YahooSource: the real yfinance code path against recorded Yahoo chart API responses."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from local_server import LocalServer, Reply, Request

from pipeline.data.sources.yahoo import YahooSource
from pipeline.data.symbols import DEFAULT_SYMBOLS, SymbolInfo, get_symbol
from pipeline.errors import NoDataError, RateLimitError, TransientSourceError
from warehouse.bars import load_bars
from warehouse.connection import connect
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.symbols import sync_symbols

DATA = Path(__file__).resolve().parents[4].parent / "shared" / "data"
BTC = get_symbol("BTC-USD")
AAPL = SymbolInfo(
    symbol="AAPL",
    name="Apple",
    calendar="XNYS",
    currency="USD",
    timezone="America/New_York",
    session_close=time(16, 0),
    yahoo_ticker="AAPL",
)
NOT_FOUND = {
    "chart": {
        "result": None,
        "error": {"code": "Not Found", "description": "No data found, symbol may be delisted"},
    }
}
Serve = Callable[[Callable[[Request], Reply]], LocalServer]
pytestmark = pytest.mark.usefixtures("fresh_yfinance_state")


def chart_body(name: str) -> Any:
    """Yahoo's JSON body of a recorded fixture (see shared/data/fixtures/README.md)."""
    return json.loads((DATA / "fixtures" / name).read_text())["response"]["bodyJson"]


BTC_BODY = chart_body("chart-BTC-USD-2020-01-01-to-2020-01-03.json")
AAPL_BODY = chart_body("chart-AAPL-2020-08-31-to-2020-11-07.json")
WEEKEND_BODY = chart_body(
    "chart-AAPL-2025-02-01-to-2025-02-02-includePrePost-false-interval-1m.json"
)


def yahoo(chart: Callable[[Request], Reply]) -> Callable[[Request], Reply]:
    """A fake Yahoo: the cookie and crumb endpoints yfinance calls first, then ``chart``."""

    def handler(request: Request) -> Reply:
        if request.path.startswith("/v8/finance/chart/"):
            return chart(request)
        if request.path == "/v1/test/getcrumb":
            return Reply(body="test-crumb", content_type="text/plain")
        return Reply(body="<html>ok</html>", content_type="text/html")

    return handler


def source(server: LocalServer, now: datetime = datetime(2025, 1, 1, tzinfo=UTC)) -> YahooSource:
    return YahooSource(now=lambda: now, base_url=server.url, timeout=5)


def test_btc_days_match_the_yahoo_csv(serve: Serve) -> None:
    server = serve(yahoo(lambda _: Reply.json(BTC_BODY)))

    bars = source(server).fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))

    csv = pd.read_csv(DATA / "BTC-USD.csv", parse_dates=["Date"]).set_index("Date")
    expected = csv.loc["2020-01-01":"2020-01-03"]
    assert list(bars["date"]) == list(expected.index)  # tz-naive UTC days
    assert bars["date"].dt.tz is None
    for ours, theirs in [("open", "Open"), ("high", "High"), ("low", "Low"), ("close", "Close")]:
        assert bars[ours].round(6).tolist() == expected[theirs].tolist()
    assert bars["close"].round(6).tolist() == [7200.174316, 6985.470215, 7344.884277]
    assert bars["volume"].tolist() == expected["Volume"].astype(float).tolist()
    assert not bars["is_partial"].any()
    assert set(bars["volume_unit"]) == {"usd"}
    assert set(bars["price_adjustment"]) == {"split"}
    assert set(bars["source"]) == {"yfinance"}
    assert bars[["amount", "adj_factor"]].isna().all().all()
    # yfinance asked our server for cookie and crumb, then the chart with dates as UTC seconds.
    assert "/v1/test/getcrumb" in server.paths()
    (chart,) = [r for r in server.requests if r.path == "/v8/finance/chart/BTC-USD"]
    assert (chart.query["period1"], chart.query["period2"]) == ("1577836800", "1578096000")


def test_unfinished_utc_day_is_partial(serve: Serve) -> None:
    server = serve(yahoo(lambda _: Reply.json(BTC_BODY)))
    now = datetime(2020, 1, 3, 12, 0, tzinfo=UTC)

    bars = source(server, now=now).fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))

    assert bars["is_partial"].tolist() == [False, False, True]


def test_equity_days_are_local_and_final_after_the_close(serve: Serve) -> None:
    server = serve(yahoo(lambda _: Reply.json(AAPL_BODY)))
    # 15:59 in New York on 2020-11-06 (EST, UTC-5): that day's session is still open.
    now = datetime(2020, 11, 6, 20, 59, tzinfo=UTC)

    bars = source(server, now=now).fetch(AAPL, date(2020, 8, 31), date(2020, 11, 6))

    # Bars are stamped 13:30 or 14:30 UTC across the DST change; each is its New York day.
    assert len(bars) == 49
    assert bars["date"].iloc[0] == pd.Timestamp("2020-08-31")
    assert bars["date"].iloc[-1] == pd.Timestamp("2020-11-06")
    assert (bars["date"].dt.weekday < 5).all()
    assert bars["is_partial"].tolist() == [False] * 48 + [True]
    assert set(bars["volume_unit"]) == {"shares"}


def test_null_prices_are_kept_as_nan(serve: Serve) -> None:
    body = copy.deepcopy(BTC_BODY)
    quote = body["chart"]["result"][0]["indicators"]["quote"][0]
    for key in ("open", "high", "low", "close"):
        quote[key][1] = None
    server = serve(yahoo(lambda _: Reply.json(body)))

    bars = source(server).fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))

    assert len(bars) == 3
    assert bars.loc[1, ["open", "high", "low", "close"]].isna().all()
    assert bars["close"].round(6).iloc[2] == 7344.884277


def test_empty_answer_for_btc_is_no_data(serve: Serve) -> None:
    server = serve(yahoo(lambda _: Reply.json(WEEKEND_BODY)))

    with pytest.raises(NoDataError, match=r"BTC-USD 2020-01-01\.\.2020-01-03"):
        source(server).fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))


def test_empty_answer_for_an_equity_weekend_is_an_empty_frame(serve: Serve) -> None:
    server = serve(yahoo(lambda _: Reply.json(WEEKEND_BODY)))

    bars = source(server).fetch(AAPL, date(2025, 2, 1), date(2025, 2, 2))

    assert bars.empty


def test_not_found_names_the_ticker_and_yahoos_reason(serve: Serve) -> None:
    server = serve(yahoo(lambda _: Reply.json(NOT_FOUND, status=404)))

    with pytest.raises(NoDataError) as raised:
        source(server).fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))

    assert "BTC-USD" in str(raised.value)
    assert "No data found, symbol may be delisted" in str(raised.value)
    # The source seeds yfinance's time-zone cache, so yfinance does not fall back to quoteSummary.
    assert server.paths("/v10/") == []


def test_http_429_is_a_rate_limit(serve: Serve) -> None:
    server = serve(
        yahoo(lambda _: Reply(status=429, body="Too Many Requests", content_type="text/plain"))
    )

    with pytest.raises(RateLimitError, match="BTC-USD"):
        source(server).fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))


def test_http_500_is_transient_and_a_retry_asks_again(serve: Serve) -> None:
    answers = iter([Reply(status=500, body="<html>oops</html>", content_type="text/html")] * 2)
    server = serve(yahoo(lambda _: next(answers, Reply.json(BTC_BODY))))
    yahoo_source = source(server)

    with pytest.raises(TransientSourceError, match="BTC-USD"):
        yahoo_source.fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))
    # yfinance caches past ranges in memory; the source must not get the error page back.
    bars = yahoo_source.fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))

    assert len(bars) == 3


def test_connection_refused_is_transient() -> None:
    with LocalServer(yahoo(lambda _: Reply.json(BTC_BODY))) as server:
        yahoo_source = source(server)

    with pytest.raises(TransientSourceError, match="BTC-USD"):
        yahoo_source.fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))


def test_equity_factor_steps_by_the_dividend_on_its_ex_date_only(serve: Serve) -> None:
    server = serve(yahoo(lambda _: Reply.json(AAPL_BODY)))

    bars = source(server).fetch(AAPL, date(2020, 8, 31), date(2020, 11, 6)).set_index("date")

    # The 4:1 split of 2020-08-31 is already in Yahoo's prices: no step. The 0.205 dividend
    # going ex on 2020-11-06 steps the factor by C / (C - D), C the close of 11-05.
    factor = bars["adj_factor"]
    assert (factor.loc[:"2020-11-05"] == 1.0).all()
    before = bars.loc["2020-11-05", "close"]
    assert factor.loc["2020-11-06"] == pytest.approx(before / (before - 0.205), rel=1e-12)
    # raw x factor moves as Yahoo's dividend-adjusted close does.
    adjclose = AAPL_BODY["chart"]["result"][0]["indicators"]["adjclose"][0]["adjclose"]
    modelled = (bars["close"] * factor).to_numpy()
    assert modelled[-1] / modelled[-2] == pytest.approx(adjclose[-1] / adjclose[-2], rel=1e-6)


def test_btc_has_no_dividends_so_no_factor(serve: Serve) -> None:
    server = serve(yahoo(lambda _: Reply.json(BTC_BODY)))

    bars = source(server).fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))

    assert bars["adj_factor"].isna().all()


def test_stored_yahoo_bars_model_without_a_jump_on_the_ex_date(
    serve: Serve, warehouse_path: Path
) -> None:
    server = serve(yahoo(lambda _: Reply.json(AAPL_BODY)))
    bars = source(server).fetch(AAPL, date(2020, 8, 31), date(2020, 11, 6))
    # Stored under a registered symbol: the warehouse knows only the XSHG and 24/7 calendars.
    request = IngestRequest("r1", "600519.SH", "yfinance", None, None, datetime.now(UTC))
    with connect(warehouse_path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        store_ingest(con, request, bars, pd.DataFrame())
        series = load_bars(con, "600519.SH")["close"].to_numpy()

    adjclose = AAPL_BODY["chart"]["result"][0]["indicators"]["adjclose"][0]["adjclose"]
    assert series[-1] == bars["close"].iloc[-1]  # the newest bar is the holder's price
    assert series[-1] / series[-2] == pytest.approx(adjclose[-1] / adjclose[-2], rel=1e-6)
