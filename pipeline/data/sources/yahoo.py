"""Daily bars from Yahoo Finance through the real ``yfinance`` library."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pandas as pd
import requests
import yfinance as yf
from yfinance.cache import get_tz_cache
from yfinance.data import YfData
from yfinance.exceptions import (
    YFDataException,
    YFException,
    YFPricesMissingError,
    YFRateLimitError,
    YFTickerMissingError,
)

from pipeline.data.adj_factors import from_dividends
from pipeline.data.bars import canonical, empty_bars
from pipeline.data.symbols import ALWAYS_OPEN, SymbolInfo
from pipeline.errors import NoDataError, RateLimitError, SourceError, TransientSourceError

# No SSE closure spans this many weekdays, so an empty answer for a longer range is missing data.
_MIN_WEEKDAYS_FOR_DATA = 10

# yfinance's error switch and its HTTP session are process-wide; one fetch at a time keeps
# them consistent (and spaces out our calls to Yahoo).
YF_LOCK = threading.Lock()


def _utc_now() -> datetime:
    return datetime.now(UTC)


class _RedirectSession(requests.Session):
    """A requests session that sends every ``*.yahoo.com`` request to ``base_url`` instead.

    yfinance has no base-URL option: the chart URL is a constant imported into several modules
    and the cookie/crumb URLs (fc.yahoo.com, /v1/test/getcrumb, guce.yahoo.com) are literals.
    It does accept a requests session, so rewriting URLs here redirects all of them while
    the rest of yfinance (cookie, crumb, retries, parsing) runs unchanged.
    """

    def __init__(self, base_url: str, timeout: float) -> None:
        super().__init__()
        self._base = urlsplit(base_url)
        self._timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> Any:
        parts = urlsplit(url if isinstance(url, str) else url.decode())
        if parts.hostname and parts.hostname.endswith("yahoo.com"):
            url = parts._replace(scheme=self._base.scheme, netloc=self._base.netloc).geturl()
        # every request, yfinance's cookie and crumb calls too, waits at most the source's timeout
        kwargs["timeout"] = self._timeout
        return super().request(method, url, *args, **kwargs)


class YahooSource:
    """Fetches split-adjusted daily bars from Yahoo's chart API via yfinance, with an
    adjustment factor from its dividends (``pipeline.data.adj_factors``).

    ``now`` gives the current time (tz-aware; naive means UTC) to tell finished days from the
    one still trading. ``base_url`` sends yfinance's requests to another server (tests); since
    yfinance keeps one session per process, it redirects later yfinance calls in the process too.
    """

    name = "yfinance"

    def __init__(
        self,
        *,
        now: Callable[[], datetime] = _utc_now,
        base_url: str | None = None,
        timeout: float = 30,
    ) -> None:
        self._now = now
        self._timeout = timeout
        self._session = _RedirectSession(base_url, timeout) if base_url else None

    def fetch(self, info: SymbolInfo, start: date, end: date) -> pd.DataFrame:
        """Bars dated start..end inclusive in ``info.timezone``, ascending; the unfinished day
        is marked ``is_partial``."""
        ticker = info.yahoo_ticker
        if ticker is None:
            raise SourceError(f"{info.symbol} has no Yahoo ticker; yfinance cannot fetch it")
        what = f"Yahoo {ticker} {start}..{end}"
        try:
            history = self._history(ticker, info.timezone, start, end)
        except YFRateLimitError as exc:
            raise RateLimitError(f"{what}: rate limited by Yahoo ({exc})") from exc
        except YFTickerMissingError as exc:
            explained = isinstance(exc, YFPricesMissingError) and exc.yahoo_reason is not None
            if explained or _expects_bars(info, start, end):
                raise NoDataError(f"{what}: Yahoo has no bars ({exc})") from exc
            return empty_bars()
        except (YFDataException, OSError, ValueError) as exc:
            # OSError covers requests' and curl_cffi's network errors; ValueError a non-JSON body.
            # yfinance caches responses for past ranges in memory, an HTTP error page included:
            # drop them so a retry asks Yahoo again.
            YfData.cache_get.cache_clear()
            raise TransientSourceError(f"{what}: {type(exc).__name__}: {exc}") from exc
        except YFException as exc:
            raise SourceError(f"{what}: yfinance failed: {exc}") from exc
        return self.to_bars(info, history, start, end)

    def to_bars(
        self, info: SymbolInfo, history: pd.DataFrame, start: date, end: date
    ) -> pd.DataFrame:
        """yfinance's daily history of ``info`` as canonical bars dated start..end; the
        unfinished day is marked ``is_partial``. Raises NoDataError where bars were due."""
        what = f"Yahoo {info.yahoo_ticker} {start}..{end}"
        # Daily bars come stamped at midnight of the exchange's own time zone (the trading day).
        index = pd.DatetimeIndex(history.index)
        days = (index.tz_localize(None) if index.tz else index).normalize()
        frame = pd.DataFrame(
            {
                "date": days,
                "open": history["Open"].to_numpy(),
                "high": history["High"].to_numpy(),
                "low": history["Low"].to_numpy(),
                "close": history["Close"].to_numpy(),
                "volume": history["Volume"].to_numpy(),
                "adj_factor": from_dividends(history["Close"], history["Dividends"]).to_numpy(),
            }
        )
        frame = frame[(frame["date"] >= pd.Timestamp(start)) & (frame["date"] <= pd.Timestamp(end))]
        if frame.empty and _expects_bars(info, start, end):
            raise NoDataError(f"{what}: Yahoo returned no bars in the range")
        now = self._now()
        now = now if now.tzinfo else now.replace(tzinfo=UTC)
        frame = frame.assign(is_partial=[now < _session_end(info, d.date()) for d in frame["date"]])
        unit = "usd" if info.calendar == ALWAYS_OPEN else "shares"
        return canonical(frame, volume_unit=unit, price_adjustment="split", source=self.name)

    def _history(self, ticker: str, timezone: str, start: date, end: date) -> pd.DataFrame:
        """yfinance's daily history with its errors raised instead of logged."""
        with YF_LOCK, yfinance_raises():
            # Seed yfinance's ticker->time-zone cache with the zone we already know: this skips
            # its extra lookup request and, for an unknown ticker, its fallback to the
            # quoteSummary API, so Yahoo's own chart error reaches us.
            seed_timezone(ticker, timezone)
            return yf.Ticker(ticker, session=self._session).history(
                **self.history_options(start, end)
            )

    def history_options(self, start: date, end: date) -> dict[str, Any]:
        """yfinance's history/download options for bars dated start..end (both inclusive)."""
        return {
            "start": start.isoformat(),
            "end": (end + timedelta(days=1)).isoformat(),  # yfinance's end is exclusive
            "interval": "1d",
            "auto_adjust": False,  # Close stays split-adjusted only, not dividend-adjusted
            "actions": True,  # dividends, for the adjustment factor
            "keepna": True,  # keep Yahoo's null rows so validation can reject them by name
            "timeout": self._timeout,
        }


def seed_timezone(ticker: str, timezone: str) -> None:
    """Store the zone we know in yfinance's ticker->time-zone cache (see ``_history``)."""
    tz_cache = get_tz_cache()
    if tz_cache.lookup(ticker) != timezone:
        tz_cache.store(ticker, timezone)


@contextmanager
def yfinance_raises() -> Iterator[None]:
    """Make yfinance raise its errors (rate limit, missing prices, HTTP) instead of logging them
    and returning an empty frame; restores the previous setting."""
    previous = yf.config.debug.hide_exceptions
    yf.config.debug.hide_exceptions = False
    try:
        yield
    finally:
        yf.config.debug.hide_exceptions = previous


def _session_end(info: SymbolInfo, day: date) -> datetime:
    """When ``day``'s bar becomes final: its session close in the symbol's time zone."""
    end = datetime.combine(day, info.session_close, tzinfo=ZoneInfo(info.timezone))
    # A close of 00:00 means the end of the day (24/7 markets), i.e. the next midnight.
    return end + timedelta(days=1) if info.session_close == time(0) else end


def _expects_bars(info: SymbolInfo, start: date, end: date) -> bool:
    """Whether an empty answer for start..end must be an error rather than a holiday."""
    if info.calendar == ALWAYS_OPEN:
        return start <= end
    return start <= end and len(pd.bdate_range(start, end)) >= _MIN_WEEKDAYS_FOR_DATA
