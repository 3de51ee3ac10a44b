"""Batched ingest through the real ``ingest`` flow, against a local tushare pro and Yahoo.

The tushare rows are the real 600519.SH pro ``daily`` rows of ../shared/data (2022-06-20..
2022-07-01); the other codes are those rows scaled (made up). Yahoo answers its recordings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from local_server import LocalServer, Reply, Request
from test_batched_yahoo import charts
from test_yahoo import AAPL, BTC, DATA

import flows.calendars
from flows.ingest import ingest
from pipeline.data import batch_ingest
from pipeline.data.past_horizon import use_extra_sessions
from pipeline.data.sources.batched import BatchedTushare
from pipeline.data.sources.batched_yahoo import BatchedYahoo
from pipeline.data.sources.tushare_pro import TushareSource
from pipeline.data.sources.yahoo import YahooSource
from pipeline.data.symbols import get_symbol
from pipeline.errors import NextbarError
from warehouse.connection import connect

Serve = Callable[[Callable[[Request], Reply]], LocalServer]
TOKEN = "batch-test-token-0123456789"
DAILY_FIELDS = ["ts_code", "trade_date", "open", "high", "low", "close", "vol", "amount"]
START, END = date(2022, 6, 20), date(2022, 7, 1)  # 10 XSHG trading days
# a baijiu watch list: 11 codes over 10 dates, where two calls a date beat two per code
WATCHED = ["600519.SH", "000858.SZ", "000568.SZ", "002304.SZ", "000596.SZ", "600809.SH"]
WATCHED += ["603369.SH", "000799.SZ", "600702.SH", "603589.SH", "600559.SH"]
SCALE = {code: 1.0 / (1 + i) for i, code in enumerate([*WATCHED, "000001.SZ"])}
pytestmark = pytest.mark.usefixtures("prefect_harness", "fresh_yfinance_state")


def _market() -> pd.DataFrame:
    real = pd.read_csv(DATA / "SH600519_tushare_pro_daily_raw_2012-01-04_2022-07-01.csv")
    real = real[real["trade_date"] >= 20220620][DAILY_FIELDS]
    frames = []
    for code, scale in SCALE.items():
        frame = real.assign(ts_code=code, trade_date=real["trade_date"].astype(str))
        frame[["open", "high", "low", "close"]] = (
            frame[["open", "high", "low", "close"]] * scale
        ).round(2)
        frames.append(frame.assign(adj_factor=8.0 if code == "600519.SH" else 1.0))
    return pd.concat(frames, ignore_index=True)


MARKET = _market()


class Tushare:
    """tushare pro: ``trade_date`` queries answer the market (SCALE's codes) that day,
    ``ts_code`` queries one code's range; ``fail``: (api, trade_date) answered once with 502."""

    def __init__(self, fail: set[tuple[str, str]] = frozenset()) -> None:  # type: ignore[assignment]
        self.fail = set(fail)

    def __call__(self, request: Request) -> Reply:
        body = request.json()
        api, params = body["api_name"], body["params"]
        if (api, params.get("trade_date")) in self.fail:
            self.fail.discard((api, params["trade_date"]))
            return Reply(status=502, body="bad gateway", content_type="text/plain")
        if "trade_date" in params:
            rows = MARKET[MARKET["trade_date"] == params["trade_date"]]
        else:
            dates = MARKET["trade_date"].between(params["start_date"], params["end_date"])
            rows = MARKET[(MARKET["ts_code"] == params["ts_code"]) & dates]
        fields = DAILY_FIELDS if api == "daily" else ["ts_code", "trade_date", "adj_factor"]
        items: list[list[Any]] = rows[fields].to_numpy().tolist()
        data = {"fields": fields, "items": items, "has_more": False}
        return Reply.json({"request_id": "x", "code": 0, "msg": "", "data": data})


@pytest.fixture
def served(
    serve: Serve, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[[Tushare, Callable[[Request], Reply]], tuple[LocalServer, LocalServer]]]:
    """Points the ingest's batched (and calendar) sources at local servers; returns them."""

    def start(
        tushare: Tushare, yahoo: Callable[[Request], Reply]
    ) -> tuple[LocalServer, LocalServer]:
        ts, yh = serve(tushare), serve(yahoo)
        local = {"http_url": ts.url, "timeout": 5}
        monkeypatch.setenv("TUSHARE_TOKEN", TOKEN)
        monkeypatch.setattr(flows.calendars, "TushareSource", partial(TushareSource, **local))
        fast = {"min_interval_s": 0, "backoff_s": 0}
        monkeypatch.setattr(
            batch_ingest, "BatchedTushare", partial(BatchedTushare, **local, **fast)
        )
        yahoo_at = partial(BatchedYahoo, base_url=yh.url, timeout=5, **fast)
        monkeypatch.setattr(batch_ingest, "BatchedYahoo", yahoo_at)
        return ts, yh

    yield start
    use_extra_sessions(None)  # load_settings installed tushare's calendar


def _stored(path: Path, symbol: str) -> pd.DataFrame:
    with connect(path, read_only=True) as con:
        return con.execute(
            "select date, open, high, low, close, volume, adj_factor, is_partial from bars"
            " where symbol = ? order by date",
            [symbol],
        ).df()


def _runs(path: Path) -> dict[str, tuple[str, str]]:
    with connect(path, read_only=True) as con:
        rows = con.execute("select symbol, source, status from ingest_runs").fetchall()
    return {symbol: (source, status) for symbol, source, status in rows}


def test_a_watch_list_of_a_shares_costs_two_calls_per_trading_date(
    served: Any, warehouse_path: Path
) -> None:
    ts, _ = served(Tushare(), charts())

    results = ingest(symbols=WATCHED, start=START, end=END, warehouse=str(warehouse_path))

    assert ts.paths() == ["/daily", "/adj_factor"] * 10  # not two per code
    assert all("trade_date" in r.json()["params"] for r in ts.requests)
    assert {r.symbol: r.new for r in results} == dict.fromkeys(WATCHED, 10)
    assert _runs(warehouse_path) == dict.fromkeys(WATCHED, ("tushare", "succeeded"))
    # each code is stored as the per-code path fetches it from the same server
    alone = TushareSource(TOKEN, http_url=ts.url, timeout=5)
    for symbol in WATCHED:
        expected = alone.fetch(get_symbol(symbol), START, END)
        stored = _stored(warehouse_path, symbol)
        assert stored["close"].tolist() == expected["close"].tolist()
        assert stored["volume"].tolist() == expected["volume"].tolist()
        assert stored["adj_factor"].tolist() == expected["adj_factor"].tolist()


def test_a_transient_error_is_retried_and_a_bad_code_is_one_line(
    served: Any, warehouse_path: Path
) -> None:
    # 600000.SH is not in the served market: tushare has no bars, nor has Yahoo (404)
    ts, yh = served(Tushare(fail={("daily", "20220622")}), charts())

    with pytest.raises(NextbarError) as raised:
        ingest(symbols=[*WATCHED, "600000.SH"], start=START, end=END, warehouse=str(warehouse_path))

    message = str(raised.value)
    assert message.startswith("600000.SH: Yahoo 600000.SS 2022-06-20..2022-07-01: Yahoo has no")
    assert ";" not in message  # one line, for that symbol only
    assert ts.paths().count("/daily") == 11  # the 502 was asked again
    # in the batch, then alone; yfinance asks twice each time (a fresh cookie after a failure)
    assert yh.paths("/v8/") == ["/v8/finance/chart/600000.SS"] * 4
    runs = _runs(warehouse_path)
    assert runs.pop("600000.SH") == ("tushare", "failed")  # as on the per-code path
    assert runs == dict.fromkeys(WATCHED, ("tushare", "succeeded"))
    assert all(len(_stored(warehouse_path, s)) == 10 for s in WATCHED)


def test_yahoo_tickers_are_batched_with_the_per_symbol_bars(
    served: Any, warehouse_path: Path
) -> None:
    _, yh = served(Tushare(), charts({"BTC-USD": 3}))
    start, end = date(2020, 1, 1), date(2020, 11, 6)

    with pytest.raises(NextbarError, match=r"^NOPE-USD: Yahoo NOPE-USD .*delisted"):
        ingest(
            symbols=["BTC-USD", "AAPL", "NOPE-USD"],
            start=start,
            end=end,
            warehouse=str(warehouse_path),
        )

    # BTC-USD failed twice in the batch and once alone; its retry stored it
    assert len(yh.paths("/v8/finance/chart/BTC-USD")) == 4
    runs = _runs(warehouse_path)
    assert runs.pop("NOPE-USD")[1] == "failed"
    assert runs == {"BTC-USD": ("yfinance", "succeeded"), "AAPL": ("yfinance", "succeeded")}
    alone = YahooSource(base_url=yh.url, timeout=5)
    for info in (BTC, AAPL):
        expected = alone.fetch(info, start, end)
        stored = _stored(warehouse_path, info.symbol)
        assert len(stored) == len(expected) > 0
        for column in ("open", "high", "low", "close", "volume", "adj_factor", "is_partial"):
            assert stored[column].tolist() == pytest.approx(expected[column].tolist(), nan_ok=True)
