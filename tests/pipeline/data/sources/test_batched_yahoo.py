"""BatchedYahoo: yfinance's multi-ticker download against recorded chart responses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from local_server import LocalServer, Reply, Request
from test_yahoo import AAPL, AAPL_BODY, BTC, BTC_BODY, NOT_FOUND, yahoo

from pipeline.data.sources.batched_yahoo import BatchedYahoo
from pipeline.data.sources.yahoo import YahooSource
from pipeline.data.symbols import get_symbol
from pipeline.errors import NoDataError

Serve = Callable[[Callable[[Request], Reply]], LocalServer]
NOW = datetime(2020, 11, 6, 20, 59, tzinfo=UTC)  # AAPL's 2020-11-06 session still open
START, END = date(2020, 1, 1), date(2020, 11, 6)
pytestmark = pytest.mark.usefixtures("fresh_yfinance_state")


def charts(failures: dict[str, int] | None = None) -> Callable[[Request], Reply]:
    """Yahoo answering BTC-USD and AAPL from their recordings, 404 for other tickers; a ticker
    in ``failures`` gets that many HTTP 500 answers first."""
    left = dict(failures or {})

    def chart(request: Request) -> Reply:
        ticker = request.path.rsplit("/", 1)[1]
        if left.get(ticker, 0) > 0:
            left[ticker] -= 1
            return Reply(status=500, body="<html>oops</html>", content_type="text/html")
        body = {"BTC-USD": BTC_BODY, "AAPL": AAPL_BODY}.get(ticker)
        return Reply.json(body) if body else Reply.json(NOT_FOUND, status=404)

    return yahoo(chart)


def test_each_ticker_gets_the_per_symbol_sources_bars(serve: Serve) -> None:
    server = serve(charts())
    batched = BatchedYahoo(now=lambda: NOW, base_url=server.url, timeout=5, min_interval_s=0)

    bars = batched.fetch_many([BTC, AAPL], START, END)

    # one download: one chart request per ticker (Yahoo has no multi-ticker chart endpoint)
    assert sorted(server.paths("/v8/")) == ["/v8/finance/chart/AAPL", "/v8/finance/chart/BTC-USD"]
    alone = YahooSource(now=lambda: NOW, base_url=server.url, timeout=5)
    for info in (BTC, AAPL):
        frame = bars[info.symbol]
        assert isinstance(frame, pd.DataFrame)
        # the download aligns both on the union of their dates: none of that reaches the bars
        pd.testing.assert_frame_equal(frame, alone.fetch(info, START, END))
    btc, aapl = bars["BTC-USD"], bars["AAPL"]
    assert isinstance(btc, pd.DataFrame) and isinstance(aapl, pd.DataFrame)
    assert (len(btc), len(aapl)) == (3, 49)
    assert aapl["is_partial"].tolist() == [False] * 48 + [True]


def test_a_ticker_the_batch_missed_is_asked_alone(serve: Serve) -> None:
    server = serve(charts({"BTC-USD": 3}))
    batched = BatchedYahoo(
        base_url=server.url, timeout=5, min_interval_s=0, backoff_s=0, chunk_size=2
    )
    nope = get_symbol("NOPE-USD")

    bars = batched.fetch_many([BTC, AAPL, nope], START, END)

    btc = bars["BTC-USD"]
    assert isinstance(btc, pd.DataFrame) and len(btc) == 3
    # in the batch yfinance itself asks twice (a fresh cookie after a failure); then alone:
    # a failure, retried as transient
    assert len(server.paths("/v8/finance/chart/BTC-USD")) == 4
    error = bars["NOPE-USD"]
    assert isinstance(error, NoDataError)
    assert "NOPE-USD" in str(error) and "No data found, symbol may be delisted" in str(error)
    assert isinstance(bars["AAPL"], pd.DataFrame)
