"""Batched Yahoo: many tickers per yfinance ``download`` call, in paced chunks.

yfinance's multi-ticker ``download`` still asks Yahoo's chart API once per ticker (there is no
multi-ticker chart endpoint), but on threads over one shared session, cookie and crumb: a
chunk of tickers costs one round of requests instead of one fetch after another. Chunks are
spaced out to stay under Yahoo's rate limit. The bars are built exactly as the per-symbol
source builds them (``YahooSource.to_bars``). A ticker the batch did not answer (an error, or
no rows) is asked alone through ``YahooSource.fetch``, retried on transient errors only, so
its error is the per-symbol source's typed error and an empty range means what it means there.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pandas as pd
import yfinance as yf
from yfinance.data import YfData

from pipeline.data.sources.batched import Pacer, with_retries
from pipeline.data.sources.yahoo import YF_LOCK, YahooSource, seed_timezone, yfinance_raises
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import SourceError

YAHOO_CHUNK = 50  # tickers per download call
YAHOO_THREADS = 4  # concurrent chart requests within a call
YAHOO_MIN_INTERVAL_S = 1.0  # between two download calls


class BatchedYahoo(YahooSource):
    """A YahooSource that fetches many tickers per yfinance ``download`` call."""

    def __init__(
        self,
        *,
        chunk_size: int = YAHOO_CHUNK,
        threads: int = YAHOO_THREADS,
        min_interval_s: float = YAHOO_MIN_INTERVAL_S,
        backoff_s: float = 2.0,
        **kwargs: object,
    ) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self._chunk_size = chunk_size
        self._threads = threads
        self._pacer = Pacer(min_interval_s)
        self._backoff_s = backoff_s

    def fetch_many(
        self, infos: list[SymbolInfo], start: date, end: date
    ) -> dict[str, pd.DataFrame | SourceError]:
        """Canonical bars dated start..end per symbol, or the error that symbol met."""
        out: dict[str, pd.DataFrame | SourceError] = {}
        for first in range(0, len(infos), self._chunk_size):
            chunk = infos[first : first + self._chunk_size]
            self._pacer.wait()
            histories = self._download([i for i in chunk if i.yahoo_ticker], start, end)
            for info in chunk:
                history = histories.get(info.yahoo_ticker or "")
                try:
                    if history is None:
                        out[info.symbol] = self._alone(info, start, end)
                    else:
                        out[info.symbol] = self.to_bars(info, history, start, end)
                except SourceError as exc:
                    out[info.symbol] = exc
        return out

    def _alone(self, info: SymbolInfo, start: date, end: date) -> pd.DataFrame:
        return with_retries(lambda: self.fetch(info, start, end), backoff_s=self._backoff_s)

    def _download(self, infos: list[SymbolInfo], start: date, end: date) -> dict[str, pd.DataFrame]:
        """Each ticker's own rows from one ``download`` call; tickers without rows are left out."""
        tickers = sorted({i.yahoo_ticker for i in infos if i.yahoo_ticker})
        if not tickers:
            return {}
        with YF_LOCK, yfinance_raises(), _quiet_yfinance():
            for info in infos:
                seed_timezone(info.yahoo_ticker or "", info.timezone)
            data = yf.download(
                tickers,
                group_by="ticker",
                threads=min(self._threads, len(tickers)),
                progress=False,
                session=self._session,
                **self.history_options(start, end),
            )
        out = {}
        for ticker in tickers:
            if data is None or ticker not in data.columns.get_level_values(0):
                continue
            rows = data[ticker]
            if "Dividends" not in rows:  # a ticker that failed: no actions columns
                continue
            # download aligns every ticker on the union of their dates; the rows Yahoo sent
            # carry a Dividends value (0 without one), the added ones are NaN throughout
            own = rows[rows["Dividends"].notna()]
            if not own.empty:
                out[ticker] = own
        if len(out) < len(tickers):
            # yfinance caches answers for past ranges, error pages too: ask afresh
            YfData.cache_get.cache_clear()
        return out


@contextmanager
def _quiet_yfinance() -> Iterator[None]:
    """Hold back download's own error log: each failed ticker is asked again alone, and its
    error reported for that symbol."""
    logger = logging.getLogger("yfinance")
    previous = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(previous)
