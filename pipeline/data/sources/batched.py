"""Batched tushare pro: one call per trading date for every A-share at once.

tushare's ``daily`` and ``adj_factor`` with ``trade_date`` and no ``ts_code`` answer the whole
market (~5,500 rows, under the 6,000-row cap; an answer at the cap is not trusted), so a watch
list of hundreds costs two calls a day instead of two per code (Yahoo's batches are in
``batched_yahoo``). Calls are spaced to stay under tushare's rate limit, and only transient
errors (network, HTTP, rate limit) are retried, with backoff.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from typing import TypeVar

import pandas as pd

from pipeline.data.bars import canonical, empty_bars
from pipeline.data.calendars import trading_days
from pipeline.data.sources.tushare_pro import (
    _ADJ_FIELDS,
    _DAILY_FIELDS,
    _MIN_WEEKDAYS_FOR_DATA,
    TushareSource,
    _weekdays,
    _ymd,
)
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import NoDataError, SourceError, TransientSourceError

T = TypeVar("T")
# tushare pro: 500 calls a minute for `daily` at the usual points level; stay well under it.
TUSHARE_MIN_INTERVAL_S = 0.15
RETRIES = 3


def with_retries(call: Callable[[], T], *, retries: int = RETRIES, backoff_s: float = 2.0) -> T:
    """``call()``, retried on TransientSourceError only (backoff doubling); others raise."""
    for attempt in range(retries + 1):
        try:
            return call()
        except TransientSourceError:
            if attempt == retries:
                raise
            time.sleep(backoff_s * 2**attempt)
    raise AssertionError("unreachable")


class Pacer:
    """Spaces calls at least ``min_interval_s`` apart."""

    def __init__(self, min_interval_s: float) -> None:
        self._min_interval_s = min_interval_s
        self._last_call = 0.0

    def wait(self) -> None:
        """Sleep until the next call may go out, and note that it does."""
        wait = self._last_call + self._min_interval_s - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        self._last_call = time.monotonic()


class BatchedTushare(TushareSource):
    """A TushareSource that fetches many codes per trading date."""

    def __init__(
        self,
        *args: object,
        min_interval_s: float = TUSHARE_MIN_INTERVAL_S,
        backoff_s: float = 2.0,
        **kwargs: object,
    ) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._pacer = Pacer(min_interval_s)
        self._backoff_s = backoff_s

    def fetch_spans(
        self, spans: dict[SymbolInfo, tuple[date, date]]
    ) -> dict[str, pd.DataFrame | SourceError]:
        """Each symbol's bars in its own start..end, from one batch over the XSHG trading days
        of all the ranges; a code with no bars in a range that must have some gets the
        per-code source's NoDataError. A failure of the batch is every symbol's error."""
        days = sorted({d for info, span in spans.items() for d in trading_days(info, *span)})
        try:
            bars = self.fetch_many(list(spans), days)
        except SourceError as exc:
            return {info.symbol: exc for info in spans}
        out: dict[str, pd.DataFrame | SourceError] = {}
        for info, (start, end) in spans.items():
            frame = bars.get(info.symbol, empty_bars())
            frame = frame[frame["date"].between(pd.Timestamp(start), pd.Timestamp(end))]
            if frame.empty and _weekdays(start, end) >= _MIN_WEEKDAYS_FOR_DATA:
                out[info.symbol] = NoDataError(
                    f"tushare daily returned no bars for {info.tushare_code} {start}..{end}"
                )
            else:
                out[info.symbol] = frame.reset_index(drop=True)
        return out

    def fetch_many(self, infos: list[SymbolInfo], days: list[date]) -> dict[str, pd.DataFrame]:
        """Canonical bars per symbol for the trading ``days``: two calls per day in all."""
        codes = {i.tushare_code: i.symbol for i in infos if i.tushare_code}
        frames = []
        for day in days:
            daily = self._paced("daily", _DAILY_FIELDS, day)
            adj = self._paced("adj_factor", _ADJ_FIELDS, day)
            day_frame = daily[daily["ts_code"].isin(codes)].merge(
                adj[["ts_code", "trade_date", "adj_factor"]],
                on=["ts_code", "trade_date"],
                how="left",
            )
            frames.append(day_frame)
        if not frames:
            return {}
        merged = pd.concat(frames, ignore_index=True).rename(
            columns={"trade_date": "date", "vol": "volume"}
        )
        merged["date"] = pd.to_datetime(merged["date"].astype(str), format="%Y%m%d")
        out = {}
        for code, rows in merged.groupby("ts_code"):
            out[codes[str(code)]] = canonical(
                rows.drop(columns="ts_code"),
                volume_unit="lots_100",
                price_adjustment="none",
                source=self.name,
            )
        return out

    def _paced(self, api_name: str, fields: str, day: date) -> pd.DataFrame:
        def call() -> pd.DataFrame:
            self._pacer.wait()
            return self._query(api_name, fields, trade_date=_ymd(day))

        answer = with_retries(call, backoff_s=self._backoff_s)
        if len(answer) >= self._max_rows:  # the whole market no longer fits one answer
            raise SourceError(
                f"tushare {api_name} for {day} answered {len(answer)} rows, its cap per call:"
                " the market may be cut short, so the batch is not used"
            )
        return answer
