"""Any symbol by its code: inferred metadata, exchange calendars, nextbar.toml overrides."""

from __future__ import annotations

from datetime import date, time
from pathlib import Path

import pytest

from pipeline.data.calendars import next_trading_day
from pipeline.data.symbols import infer_symbol
from pipeline.errors import InputError, UnknownSymbolError
from pipeline.settings import load_settings
from pipeline.settings_sections import SymbolConfig


@pytest.mark.parametrize(
    ("code", "calendar", "zone", "currency", "tushare", "yahoo", "source"),
    [
        ("000858.SZ", "XSHG", "Asia/Shanghai", "CNY", "000858.SZ", "000858.SZ", "tushare"),
        ("600519.SH", "XSHG", "Asia/Shanghai", "CNY", "600519.SH", "600519.SS", "tushare"),
        ("430047.BJ", "XSHG", "Asia/Shanghai", "CNY", "430047.BJ", "430047.BJ", "tushare"),
        ("eth-usd", "24/7", "UTC", "USD", None, "ETH-USD", "yfinance"),
        ("AAPL", "XNYS", "America/New_York", "USD", None, "AAPL", "yfinance"),
        ("0700.HK", "XHKG", "Asia/Hong_Kong", "HKD", None, "0700.HK", "yfinance"),
        ("7203.T", "XTKS", "Asia/Tokyo", "JPY", None, "7203.T", "yfinance"),
        ("VOD.L", "XLON", "Europe/London", "GBP", None, "VOD.L", "yfinance"),
    ],
)
def test_metadata_is_inferred_from_the_code(
    code: str,
    calendar: str,
    zone: str,
    currency: str,
    tushare: str | None,
    yahoo: str,
    source: str,
) -> None:
    info = infer_symbol(code)
    assert (info.calendar, info.timezone, info.currency) == (calendar, zone, currency)
    assert (info.tushare_code, info.yahoo_ticker, info.default_source) == (tushare, yahoo, source)
    assert info.is_inferred


def test_exchange_calendars_give_the_next_trading_day() -> None:
    christmas_eve = date(2025, 12, 24)
    assert next_trading_day(infer_symbol("AAPL"), christmas_eve) == date(2025, 12, 26)
    assert next_trading_day(infer_symbol("0700.HK"), christmas_eve) == date(2025, 12, 29)
    assert next_trading_day(infer_symbol("ETH-USD"), christmas_eve) == date(2025, 12, 25)
    assert infer_symbol("7203.T").session_close == time(15, 30)


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("600519", "600519.SH"),  # ambiguous: which exchange
        ("600519.SS", "write 600519.SH"),
        ("ABC.XX", "unknown exchange suffix .XX"),
        ("not a code", "[[symbols]]"),
    ],
)
def test_bad_codes_say_what_to_write(code: str, says: str) -> None:
    with pytest.raises(UnknownSymbolError, match=r"write an A-share as 600519\.SH") as error:
        infer_symbol(code)
    assert says in str(error.value)


def test_nextbar_toml_overrides_an_inferred_field() -> None:
    info = SymbolConfig(symbol="000858.SZ", name="Wuliangye", default_source="yfinance").to_info()
    assert (info.name, info.default_source, info.calendar) == ("Wuliangye", "yfinance", "XSHG")
    assert not info.is_inferred
    with pytest.raises(InputError, match="give name, calendar, currency"):
        SymbolConfig(symbol="ODD CODE").to_info()
    with pytest.raises(ValueError, match="unknown calendar"):
        SymbolConfig(symbol="AAPL", calendar="XNOPE")


def test_a_watch_list_from_the_table_and_a_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "codes.txt").write_text("# mine\n000858.SZ\neth-usd  # a coin\n\nAAPL\n")
    monkeypatch.setenv("NEXTBAR_CONFIG", str(tmp_path / "nextbar.toml"))
    (tmp_path / "nextbar.toml").write_text(
        '[watchlist]\nsymbols = ["600519.SH", "AAPL"]\nfile = "codes.txt"\n'
    )
    infos = load_settings().watch_list()
    assert [i.symbol for i in infos] == ["600519.SH", "AAPL", "000858.SZ", "ETH-USD"]
    assert infos[0].name == "Kweichow Moutai"  # the built-in description wins over inference
