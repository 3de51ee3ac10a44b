"""Daily A-share bars from the tushare pro API, through the real ``tushare`` client."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import requests
import tushare

from pipeline.data.bars import canonical
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import (
    AuthError,
    NoDataError,
    PermissionDeniedError,
    RateLimitError,
    SourceError,
    TransientSourceError,
)

# tushare pro answers at most this many rows per call.
MAX_ROWS = 6000
_DAILY_FIELDS = "ts_code,trade_date,open,high,low,close,vol,amount"
_ADJ_FIELDS = "ts_code,trade_date,adj_factor"
_CAL_FIELDS = "exchange,cal_date,is_open"
# No SSE closure (Spring Festival, National Day, the 2020 extension) spans this many weekdays,
# so an empty answer for a longer range means the source has no data, not a holiday.
_MIN_WEEKDAYS_FOR_DATA = 10

# Server messages (Chinese), matched in this order: rate-limit answers also contain "权限".
_RATE_LIMIT_MARKERS = ("每分钟", "每小时", "每天", "频率", "最多访问")
_PERMISSION_MARKERS = ("权限", "积分")
_TOKEN_MARKERS = ("token",)


def _ymd(day: date) -> str:
    return day.strftime("%Y%m%d")


def _parse_ymd(text: str) -> date:
    return datetime.strptime(text, "%Y%m%d").date()


class TushareSource:
    """Fetches unadjusted daily bars plus ``adj_factor`` from tushare pro.

    ``http_url`` points the real client at another endpoint (tests use a local server).
    ``max_rows`` is the server's per-call row cap, used to detect a truncated answer.
    """

    name = "tushare"

    def __init__(
        self,
        token: str | None,
        *,
        http_url: str | None = None,
        timeout: float = 30,
        max_rows: int = MAX_ROWS,
    ) -> None:
        self._token = token or ""
        self._max_rows = max_rows
        self._http_url = http_url
        # pro_api("") would fall back to a token file in the home directory: check it ourselves.
        self._api = tushare.pro_api(self._token, timeout=timeout) if self._token else None
        if self._api is not None and http_url is not None:
            # DataApi has no URL option; it posts to its name-mangled class attribute
            # ``__http_url``, so an instance attribute of the mangled name overrides it.
            self._api._DataApi__http_url = http_url.rstrip("/")

    def __repr__(self) -> str:
        # Never show the token.
        return f"TushareSource(http_url={self._http_url!r})"

    def fetch(self, info: SymbolInfo, start: date, end: date) -> pd.DataFrame:
        """Bars dated start..end inclusive, ascending, unadjusted, volume in lots of 100."""
        if info.tushare_code is None:
            raise SourceError(f"{info.symbol} has no tushare code; tushare cannot fetch it")
        code = info.tushare_code
        daily = self._query_range("daily", _DAILY_FIELDS, start, end, ts_code=code)
        if daily.empty and _weekdays(start, end) >= _MIN_WEEKDAYS_FOR_DATA:
            raise NoDataError(f"tushare daily returned no bars for {code} {start}..{end}")
        adj = self._query_range("adj_factor", _ADJ_FIELDS, start, end, ts_code=code)
        frame = daily.merge(adj[["trade_date", "adj_factor"]], on="trade_date", how="left")
        frame = frame.rename(columns={"trade_date": "date", "vol": "volume"})
        frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
        return canonical(frame, volume_unit="lots_100", price_adjustment="none", source=self.name)

    def trade_cal(self, start: date, end: date) -> list[date]:
        """Open SSE trading days in start..end, ascending."""
        cal = self._query_range(
            "trade_cal", _CAL_FIELDS, start, end, date_field="cal_date", exchange="SSE", is_open="1"
        )
        # Filter again: the is_open parameter is a server-side filter we cannot verify.
        is_open = pd.to_numeric(cal["is_open"], errors="coerce") == 1
        return sorted(_parse_ymd(str(d)) for d in cal.loc[is_open, "cal_date"])

    def _query_range(
        self,
        api_name: str,
        fields: str,
        start: date,
        end: date,
        *,
        date_field: str = "trade_date",
        **params: str,
    ) -> pd.DataFrame:
        """All rows of ``api_name`` in start..end.

        Pages backwards: the server returns the newest ``max_rows`` rows of a range, so a full
        page means older rows remain, up to the day before the oldest row received.
        """
        pages: list[pd.DataFrame] = []
        cursor = end
        while cursor >= start:
            page = self._query(
                api_name, fields, start_date=_ymd(start), end_date=_ymd(cursor), **params
            )
            if date_field not in page.columns:
                raise SourceError(f"tushare {api_name} answer has no {date_field!r} column")
            page[date_field] = page[date_field].astype(str)
            pages.append(page)
            if len(page) < self._max_rows:
                break
            oldest = _parse_ymd(page[date_field].min())
            if oldest > cursor:  # the server ignored end_date: paging would never end
                raise SourceError(f"tushare {api_name} answered rows after end_date {cursor}")
            cursor = oldest - timedelta(days=1)
        return pd.concat(pages, ignore_index=True)

    def _query(self, api_name: str, fields: str, **params: str) -> pd.DataFrame:
        """One call of the real client, with its failures mapped to typed errors."""
        if self._api is None:
            raise AuthError(
                "TUSHARE_TOKEN is not set: get a token at https://tushare.pro and set the variable"
            )
        what = f"tushare {api_name}({', '.join(f'{k}={v}' for k, v in params.items())})"
        try:
            frame = self._api.query(api_name, fields=fields, **params)
        except requests.RequestException as exc:
            raise TransientSourceError(f"{what}: network error {type(exc).__name__}") from exc
        except ValueError as exc:  # a 2xx answer that is not JSON (a proxy page, say)
            raise TransientSourceError(f"{what}: unreadable answer ({exc})") from exc
        except Exception as exc:  # the client raises a bare Exception with the server's msg
            # `from None`: the original message is shown only after removing the token.
            raise self._server_error(what, str(exc)) from None
        if frame.columns.empty:
            # The client returns a bare DataFrame() for any HTTP error status, dropping it.
            raise TransientSourceError(
                f"{what}: the response was empty, without fields (probably an HTTP error)"
            )
        return frame

    def _server_error(self, what: str, message: str) -> SourceError:
        """The typed error for an error answer (code != 0), without the token."""
        message = message.replace(self._token, "***") if self._token else message
        lowered = message.lower()
        if any(m in message for m in _RATE_LIMIT_MARKERS):
            return RateLimitError(f"{what}: rate limited by tushare: {message}")
        if any(m in message for m in _PERMISSION_MARKERS):
            return PermissionDeniedError(
                f"{what}: the token lacks permission (points) for this API: {message}"
            )
        if any(m in lowered for m in _TOKEN_MARKERS):
            return AuthError(f"{what}: tushare rejected the token (check TUSHARE_TOKEN): {message}")
        return SourceError(f"{what}: tushare answered an error: {message}")


def _weekdays(start: date, end: date) -> int:
    """Monday-to-Friday days in start..end inclusive."""
    return len(pd.bdate_range(start, end)) if start <= end else 0
