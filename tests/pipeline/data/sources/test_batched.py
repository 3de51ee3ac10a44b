"""Batched tushare pro: one ``daily`` and one ``adj_factor`` call per trading date, all codes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from local_server import LocalServer, Reply, Request
from test_tushare import ADJ, ADJ_FIELDS, DAILY, DAILY_FIELDS, TOKEN

from pipeline.data.batch_ingest import per_code_calls, tushare_batch
from pipeline.data.sources.batched import BatchedTushare, with_retries
from pipeline.data.symbols import get_symbol
from pipeline.errors import AuthError, SourceError, TransientSourceError

Serve = Callable[[Callable[[Request], Reply]], LocalServer]
# a second code on the same days (made-up prices), and one code the watch list does not hold
WULIANGYE = [["000858.SZ", r[1], 150.0, 152.0, 149.0, 151.0, 1000.0, 15000.0] for r in DAILY]
OTHER = [["000001.SZ", r[1], 13.0, 13.2, 12.9, 13.1, 5000.0, 6500.0] for r in DAILY]


def market(request: Request) -> Reply:
    """Answers like tushare pro for ``trade_date`` queries: the whole market that day."""
    body = request.json()
    day = body["params"]["trade_date"]
    assert "ts_code" not in body["params"]
    if body["api_name"] == "daily":
        fields, rows = DAILY_FIELDS, DAILY + WULIANGYE + OTHER
    else:
        fields, rows = ADJ_FIELDS, ADJ + [[r[0], r[1], 1.0] for r in WULIANGYE + OTHER]
    items = [r for r in rows if r[1] == day]
    data = {"fields": fields, "items": items, "has_more": False}
    return Reply.json({"request_id": "x", "code": 0, "msg": "", "data": data})


def test_one_call_per_trading_date_for_every_code(serve: Serve) -> None:
    server = serve(market)
    source = BatchedTushare(TOKEN, http_url=server.url, timeout=5, min_interval_s=0)
    infos = [get_symbol("600519.SH"), get_symbol("000858.SZ")]
    days = [date(2020, 4, 22), date(2020, 4, 23), date(2020, 4, 24)]
    bars = source.fetch_many(infos, days)
    assert server.paths() == ["/daily", "/adj_factor"] * 3  # not per code
    assert sorted(bars) == ["000858.SZ", "600519.SH"]
    moutai = bars["600519.SH"]
    assert list(moutai["date"].dt.date) == days
    assert list(moutai["close"]) == [1244.5, 1252.26, 1250.56]
    assert list(moutai["adj_factor"]) == [7.1, 7.1, 7.1]
    assert (bars["000858.SZ"]["volume_unit"] == "lots_100").all()


def test_only_transient_errors_are_retried() -> None:
    calls: list[int] = []

    def flaky() -> int:
        calls.append(1)
        if len(calls) < 3:
            raise TransientSourceError("HTTP 502")
        return 7

    assert with_retries(flaky, backoff_s=0) == 7 and len(calls) == 3

    def denied() -> int:
        calls.append(1)
        raise AuthError("bad token")

    calls.clear()
    with pytest.raises(AuthError):
        with_retries(denied, backoff_s=0)
    assert len(calls) == 1


def test_the_batch_takes_the_codes_that_save_calls() -> None:
    week = {date(2024, 6, d) for d in (3, 4, 5, 6, 7)}
    years = {date(2014, 1, 1) + timedelta(days=d) for d in range(3650)}
    daily = {f"{n:06d}.SZ": week for n in range(300)}
    # a watch list updated daily: 10 calls for all, not 600
    assert sorted(tushare_batch(daily)) == sorted(daily)
    # a first backfill of three codes: two calls per code (per 6,000 rows) beat 7,300
    assert tushare_batch({c: years for c in ("600519.SH", "000858.SZ", "000568.SZ")}) == []
    # a new code among daily ones: its ten years stay on the per-code path
    assert sorted(tushare_batch({**daily, "600519.SH": years})) == sorted(daily)
    assert per_code_calls(len(years)) == 2 and per_code_calls(6001) == 4


def test_a_market_answer_at_the_row_cap_is_not_trusted(serve: Serve) -> None:
    server = serve(market)
    source = BatchedTushare(TOKEN, http_url=server.url, timeout=5, min_interval_s=0, max_rows=3)
    spans = {get_symbol("600519.SH"): (date(2020, 4, 22), date(2020, 4, 22))}

    (error,) = source.fetch_spans(spans).values()

    assert isinstance(error, SourceError) and "cut short" in str(error)
