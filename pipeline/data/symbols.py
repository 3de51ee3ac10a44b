"""The instruments nextbar knows, and how each is fetched and which calendar it trades on.

Besides the two built-in symbols, any code is described by its name (:func:`infer_symbol`):
an A-share (``600519.SH``, ``000858.SZ``, ``430047.BJ``), a Yahoo crypto pair (``ETH-USD``) or
another Yahoo ticker (``AAPL``, ``0700.HK``, ``7203.T``), whose exchange calendar comes from
exchange-calendars.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time
from functools import cache
from typing import TYPE_CHECKING

from pipeline.errors import UnknownSymbolError

if TYPE_CHECKING:
    import exchange_calendars

XSHG = "XSHG"
ALWAYS_OPEN = "24/7"


@dataclass(frozen=True)
class SymbolInfo:
    """One instrument: its identity, calendar and source codes."""

    symbol: str
    name: str
    calendar: str  # XSHG, 24/7 or any exchange-calendars code (XNYS, XHKG, ...)
    currency: str
    timezone: str  # the time zone its daily bars are dated in
    session_close: time  # local time after which the day's bar is final
    tushare_code: str | None = None
    yahoo_ticker: str | None = None
    default_source: str = "yfinance"
    is_inferred: bool = False  # described from its code, not configured


DEFAULT_SYMBOLS: tuple[SymbolInfo, ...] = (
    SymbolInfo(
        symbol="600519.SH",
        name="Kweichow Moutai",
        calendar=XSHG,
        currency="CNY",
        timezone="Asia/Shanghai",
        session_close=time(15, 0),
        tushare_code="600519.SH",
        yahoo_ticker="600519.SS",
        default_source="tushare",
    ),
    SymbolInfo(
        symbol="BTC-USD",
        name="Bitcoin",
        calendar=ALWAYS_OPEN,
        currency="USD",
        timezone="UTC",
        session_close=time(0, 0),  # a UTC day's bar is final once the next day starts
        yahoo_ticker="BTC-USD",
        default_source="yfinance",
    ),
)

# A-share exchange suffix (tushare) -> Yahoo's suffix
A_SHARE_YAHOO = {"SH": "SS", "SZ": "SZ", "BJ": "BJ"}
# Yahoo exchange suffix -> (exchange-calendars code, currency); no suffix: New York, USD
YAHOO_SUFFIXES: dict[str, tuple[str, str]] = {
    "": ("XNYS", "USD"),
    "HK": ("XHKG", "HKD"),
    "T": ("XTKS", "JPY"),
    "L": ("XLON", "GBP"),
    "DE": ("XETR", "EUR"),
    "F": ("XFRA", "EUR"),
    "PA": ("XPAR", "EUR"),
    "AS": ("XAMS", "EUR"),
    "MI": ("XMIL", "EUR"),
    "MC": ("XMAD", "EUR"),
    "SW": ("XSWX", "CHF"),
    "TO": ("XTSE", "CAD"),
    "AX": ("XASX", "AUD"),
    "KS": ("XKRX", "KRW"),
    "TW": ("XTAI", "TWD"),
    "SI": ("XSES", "SGD"),
    "BO": ("XBOM", "INR"),
}
_A_SHARE = re.compile(r"^(\d{6})\.(SH|SZ|BJ)$")
_CRYPTO = re.compile(r"^([A-Z0-9]{2,10})-USD$")
_YAHOO = re.compile(r"^(\^?[A-Z0-9][A-Z0-9&-]{0,9})(?:\.([A-Z]{1,3}))?$")
_HOW_TO = (
    "write an A-share as 600519.SH / 000858.SZ / 430047.BJ, a coin as ETH-USD, a Yahoo ticker "
    "as AAPL or 0700.HK, or describe it in nextbar.toml as a [[symbols]] table with symbol, "
    "calendar, currency, timezone, session_close and yahoo_ticker or tushare_code"
)


def infer_symbol(code: str) -> SymbolInfo:
    """Describe an instrument from its code alone; raise UnknownSymbolError saying what to write."""
    symbol = code.strip().upper()
    if match := _A_SHARE.match(symbol):
        number, exchange = match.groups()
        return SymbolInfo(
            symbol=symbol,
            name=symbol,
            calendar=XSHG,
            currency="CNY",
            timezone="Asia/Shanghai",
            session_close=time(15, 0),
            tushare_code=symbol,
            yahoo_ticker=f"{number}.{A_SHARE_YAHOO[exchange]}",
            default_source="tushare",
            is_inferred=True,
        )
    if _CRYPTO.match(symbol):
        return SymbolInfo(
            symbol=symbol,
            name=symbol,
            calendar=ALWAYS_OPEN,
            currency="USD",
            timezone="UTC",
            session_close=time(0, 0),
            yahoo_ticker=symbol,
            is_inferred=True,
        )
    reason = _ambiguity(symbol)
    match = _YAHOO.match(symbol)
    if reason is None and match is None:
        reason = "is not a ticker"
    if reason is None and match is not None:
        suffix = match.group(2) or ""
        if suffix in YAHOO_SUFFIXES:
            calendar, currency = YAHOO_SUFFIXES[suffix]
            zone, close = exchange_session(calendar)
            return SymbolInfo(
                symbol=symbol,
                name=symbol,
                calendar=calendar,
                currency=currency,
                timezone=zone,
                session_close=close,
                yahoo_ticker=symbol,
                is_inferred=True,
            )
        known = ", ".join(f".{s}" for s in YAHOO_SUFFIXES if s)
        reason = f"has an unknown exchange suffix .{suffix} (known: {known})"
    raise UnknownSymbolError(f"symbol {code!r} {reason}: {_HOW_TO}")


def _ambiguity(symbol: str) -> str | None:
    """Why a code that looks like a ticker cannot be read unambiguously, or None."""
    if not symbol:
        return "is empty"
    if re.fullmatch(r"\d{6}", symbol):
        return "is ambiguous: a bare six-digit number could be Shanghai, Shenzhen or Beijing"
    if re.fullmatch(r"\d{6}\.SS", symbol):
        return f"is Yahoo's spelling of an A-share: write {symbol[:6]}.SH"
    return None


def exchange_calendar(name: str, start: str | None = None) -> exchange_calendars.ExchangeCalendar:
    """The exchange-calendars calendar ``name`` (from ``start``, else its default range);
    UnknownSymbolError naming the codes to use otherwise."""
    import exchange_calendars  # here: reading the settings builds no calendar

    try:
        return exchange_calendars.get_calendar(name, **({"start": start} if start else {}))
    except exchange_calendars.errors.InvalidCalendarName:
        raise UnknownSymbolError(
            f"unknown calendar {name!r}: use {XSHG}, {ALWAYS_OPEN} or an exchange-calendars "
            "code such as XNYS, XHKG, XTKS, XLON"
        ) from None


@cache
def exchange_session(calendar: str) -> tuple[str, time]:
    """The time zone and (latest) regular close of an exchange-calendars calendar."""
    exchange = exchange_calendar(calendar)
    return str(exchange.tz), exchange.close_times[-1][1]


def get_symbol(symbol: str, known: tuple[SymbolInfo, ...] = DEFAULT_SYMBOLS) -> SymbolInfo:
    """The configured SymbolInfo of symbol, else the one inferred from its code."""
    for info in known:
        if info.symbol == symbol:
            return info
    return infer_symbol(symbol)
