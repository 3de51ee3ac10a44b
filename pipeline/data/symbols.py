"""The instruments nextbar knows, and how each is fetched and which calendar it trades on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from pipeline.errors import UnknownSymbolError

XSHG = "XSHG"
ALWAYS_OPEN = "24/7"


@dataclass(frozen=True)
class SymbolInfo:
    """One instrument: its identity, calendar and source codes."""

    symbol: str
    name: str
    calendar: str  # XSHG or 24/7
    currency: str
    timezone: str  # the time zone its daily bars are dated in
    session_close: time  # local time after which the day's bar is final
    tushare_code: str | None = None
    yahoo_ticker: str | None = None
    default_source: str = "yfinance"


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


def get_symbol(symbol: str, known: tuple[SymbolInfo, ...] = DEFAULT_SYMBOLS) -> SymbolInfo:
    """Return the configured SymbolInfo, or raise naming the known symbols."""
    for info in known:
        if info.symbol == symbol:
            return info
    names = ", ".join(s.symbol for s in known)
    raise UnknownSymbolError(f"unknown symbol {symbol!r}: known symbols are {names}")
