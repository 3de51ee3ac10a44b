"""TushareSource against a local server that speaks the tushare pro HTTP protocol."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import pytest
from local_server import LocalServer, Reply, Request

from pipeline.data.sources.tushare_pro import TushareSource
from pipeline.data.symbols import get_symbol
from pipeline.errors import (
    AuthError,
    NoDataError,
    PermissionDeniedError,
    RateLimitError,
    SourceError,
    TransientSourceError,
)

TOKEN = "s3cr3t-token-0123456789abcdef"
MOUTAI = get_symbol("600519.SH")
Serve = Callable[[Callable[[Request], Reply]], LocalServer]

# Open/high/low/close and vol (lots) are the real 600519 rows of ../shared/data/SH600519.csv.
# That file is forward-adjusted as of May 2020, and no dividend went ex between these days and
# then, so they equal the raw prices pro `daily` returns. `amount` (thousand CNY) and the
# adj_factor values are made up but plausible.
DAILY_FIELDS = ["ts_code", "trade_date", "open", "high", "low", "close", "vol", "amount"]
DAILY = [
    ["600519.SH", "20200417", 1210.0, 1234.56, 1205.01, 1226.0, 38246.0, 4679000.0],
    ["600519.SH", "20200420", 1221.0, 1231.5, 1216.8, 1227.3, 24239.0, 2966000.0],
    ["600519.SH", "20200421", 1221.02, 1223.99, 1193.0, 1200.0, 29224.0, 3520000.0],
    ["600519.SH", "20200422", 1206.0, 1249.5, 1202.22, 1244.5, 44035.0, 5437000.0],
    ["600519.SH", "20200423", 1250.0, 1265.68, 1247.77, 1252.26, 26899.0, 3375000.0],
    ["600519.SH", "20200424", 1248.0, 1259.89, 1235.18, 1250.56, 19122.0, 2384000.0],
]
ADJ_FIELDS = ["ts_code", "trade_date", "adj_factor"]
ADJ = [["600519.SH", row[1], 7.0 if str(row[1]) < "20200422" else 7.1] for row in DAILY]
CAL_FIELDS = ["exchange", "cal_date", "is_open"]
CAL = [
    ["SSE", d.strftime("%Y%m%d"), int(d.weekday() < 5)]
    for d in pd.date_range("2020-04-17", "2020-04-26")
]


@dataclass
class FakeTusharePro:
    """Answers like api.tushare.pro: rows newest first, at most ``max_rows`` per call."""

    max_rows: int = 6000
    error: tuple[int, str] | None = None  # (code, msg) to answer instead of data
    tables: dict[str, tuple[list[str], list[list[Any]], str]] = field(
        default_factory=lambda: {
            "daily": (DAILY_FIELDS, DAILY, "trade_date"),
            "adj_factor": (ADJ_FIELDS, ADJ, "trade_date"),
            "trade_cal": (CAL_FIELDS, CAL, "cal_date"),
        }
    )

    def __call__(self, request: Request) -> Reply:
        body = request.json()
        if self.error is not None:
            code, msg = self.error
            return Reply.json({"request_id": "x", "code": code, "msg": msg, "data": None})
        fields, rows, date_field = self.tables[body["api_name"]]
        params = body["params"]
        i = fields.index(date_field)
        chosen = [r for r in rows if params["start_date"] <= r[i] <= params["end_date"]]
        if "is_open" in params:
            chosen = [r for r in chosen if str(r[fields.index("is_open")]) == params["is_open"]]
        chosen.sort(key=lambda r: r[i], reverse=True)
        data = {"fields": fields, "items": chosen[: self.max_rows], "has_more": False}
        return Reply.json({"request_id": "x", "code": 0, "msg": "", "data": data})


def source_for(server: LocalServer, max_rows: int = 6000) -> TushareSource:
    return TushareSource(TOKEN, http_url=server.url, timeout=5, max_rows=max_rows)


def test_fetch_merges_adj_factor_in_ascending_canonical_order(serve: Serve) -> None:
    server = serve(FakeTusharePro())

    bars = source_for(server).fetch(MOUTAI, date(2020, 4, 20), date(2020, 4, 24))

    assert list(bars["date"]) == list(pd.bdate_range("2020-04-20", "2020-04-24"))
    assert list(bars["close"]) == [1227.3, 1200.0, 1244.5, 1252.26, 1250.56]
    assert list(bars["volume"]) == [24239.0, 29224.0, 44035.0, 26899.0, 19122.0]
    assert list(bars["adj_factor"]) == [7.0, 7.0, 7.1, 7.1, 7.1]
    assert bars["amount"].iloc[0] == 2966000.0
    assert set(bars["volume_unit"]) == {"lots_100"}
    assert set(bars["price_adjustment"]) == {"none"}
    assert set(bars["source"]) == {"tushare"}
    assert not bars["is_partial"].any()
    # The real client posts to <http_url>/<api_name> with the token and YYYYMMDD dates.
    assert server.paths() == ["/daily", "/adj_factor"]
    sent = server.requests[0].json()
    assert sent["token"] == TOKEN
    assert sent["params"]["ts_code"] == "600519.SH"
    assert (sent["params"]["start_date"], sent["params"]["end_date"]) == ("20200420", "20200424")


def test_fetch_pages_backwards_when_a_call_is_full(serve: Serve) -> None:
    server = serve(FakeTusharePro(max_rows=2))

    bars = source_for(server, max_rows=2).fetch(MOUTAI, date(2020, 4, 17), date(2020, 4, 24))

    assert len(bars) == 6
    assert bars["date"].is_monotonic_increasing
    assert list(bars["adj_factor"]) == [7.0, 7.0, 7.0, 7.1, 7.1, 7.1]
    # 6 rows at 2 a call: 3 full pages per API, each ending the day before the oldest row so far;
    # the last page reaches the start date, so no fourth call is needed.
    assert server.paths() == ["/daily"] * 3 + ["/adj_factor"] * 3
    end_dates = [r.json()["params"]["end_date"] for r in server.requests[:3]]
    assert end_dates == ["20200424", "20200422", "20200420"]


def test_trade_cal_returns_open_days(serve: Serve) -> None:
    server = serve(FakeTusharePro())

    days = source_for(server).trade_cal(date(2020, 4, 17), date(2020, 4, 26))

    assert days == [d.date() for d in pd.bdate_range("2020-04-17", "2020-04-24")]
    assert server.requests[0].json()["params"]["exchange"] == "SSE"


@pytest.mark.parametrize(
    ("msg", "error"),
    [
        ("您的token不对，请确认。", AuthError),
        (
            "抱歉，您没有访问该接口的权限，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。",
            PermissionDeniedError,
        ),
        (
            "抱歉，您每分钟最多访问该接口500次，权限的具体详情访问：https://tushare.pro/document/1?doc_id=108。",
            RateLimitError,
        ),
        (f"unexpected failure for token {TOKEN}", AuthError),
        ("系统内部错误", SourceError),
    ],
    ids=["bad-token", "no-permission", "rate-limit", "token-echoed", "other"],
)
def test_error_answers_map_to_typed_errors(serve: Serve, msg: str, error: type[Exception]) -> None:
    server = serve(FakeTusharePro(error=(40203, msg)))

    with pytest.raises(error) as raised:
        source_for(server).fetch(MOUTAI, date(2020, 4, 20), date(2020, 4, 24))

    assert type(raised.value) is error
    assert TOKEN not in str(raised.value) and TOKEN not in repr(raised.value)
    assert "daily" in str(raised.value)


def test_http_500_is_transient(serve: Serve) -> None:
    server = serve(
        lambda _: Reply(status=500, body="Internal Server Error", content_type="text/plain")
    )

    with pytest.raises(TransientSourceError, match="empty") as raised:
        source_for(server).fetch(MOUTAI, date(2020, 4, 20), date(2020, 4, 24))

    assert TOKEN not in str(raised.value) and TOKEN not in repr(raised.value)


def test_connection_refused_is_transient() -> None:
    with LocalServer(FakeTusharePro()) as server:
        source = source_for(server)
    # The server is stopped: nothing listens on its port any more.
    with pytest.raises(TransientSourceError, match="network error"):
        source.fetch(MOUTAI, date(2020, 4, 20), date(2020, 4, 24))


def test_empty_answer_for_a_long_range_is_no_data(serve: Serve) -> None:
    server = serve(FakeTusharePro())

    with pytest.raises(NoDataError, match=r"600519\.SH 2019-01-01\.\.2019-12-31"):
        source_for(server).fetch(MOUTAI, date(2019, 1, 1), date(2019, 12, 31))


def test_empty_answer_for_a_holiday_week_is_an_empty_frame(serve: Serve) -> None:
    server = serve(FakeTusharePro())

    bars = source_for(server).fetch(MOUTAI, date(2020, 1, 24), date(2020, 2, 2))

    assert bars.empty
    assert "adj_factor" in bars.columns


@pytest.mark.parametrize("token", [None, ""])
def test_missing_token_is_auth_error(token: str | None) -> None:
    with pytest.raises(AuthError, match="TUSHARE_TOKEN is not set"):
        TushareSource(token).fetch(MOUTAI, date(2020, 4, 20), date(2020, 4, 24))


def test_repr_hides_the_token() -> None:
    source = TushareSource(TOKEN, http_url="http://127.0.0.1:9")

    assert TOKEN not in repr(source) and TOKEN not in str(source)
