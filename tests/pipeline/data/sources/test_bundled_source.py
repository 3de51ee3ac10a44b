"""The offline source over the CSVs shipped in pipeline/data/bundled/."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from pipeline.data.bars import BAR_COLUMNS
from pipeline.data.sources.base import BarSource
from pipeline.data.sources.bundled import BundledSource, bundled_range
from pipeline.data.symbols import SymbolInfo, get_symbol
from pipeline.errors import InputError, UnknownSymbolError

MOUTAI = get_symbol("600519.SH")
BTC = get_symbol("BTC-USD")


def test_is_a_bar_source() -> None:
    source: BarSource = BundledSource()
    assert source.name == "bundled"


def test_fetch_filters_to_the_range_inclusive() -> None:
    bars = BundledSource().fetch(MOUTAI, date(2020, 4, 20), date(2020, 4, 26))
    assert list(bars.columns) == BAR_COLUMNS
    # 2020-04-25/26 are a weekend, so the file's last five trading days come back.
    assert bars["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2020-04-20",
        "2020-04-21",
        "2020-04-22",
        "2020-04-23",
        "2020-04-24",
    ]
    assert set(bars["source"]) == {"bundled"}
    assert set(bars["volume_unit"]) == {"lots_100"}
    assert set(bars["price_adjustment"]) == {"qfq"}
    assert not bars["is_partial"].any()


def test_whole_files_are_served() -> None:
    source = BundledSource()
    assert len(source.fetch(MOUTAI, date(2000, 1, 1), date(2030, 1, 1))) == 2426
    assert len(source.fetch(BTC, date(2000, 1, 1), date(2030, 1, 1))) == 3541


def test_btc_last_row_is_partial() -> None:
    bars = BundledSource().fetch(BTC, date(2024, 5, 25), date(2024, 5, 27))
    # The data README: 2024-05-27 was saved before the UTC day closed.
    assert bars["is_partial"].tolist() == [False, False, True]
    assert set(bars["volume_unit"]) == {"usd"}


def test_range_outside_the_file_is_empty() -> None:
    bars = BundledSource().fetch(MOUTAI, date(2021, 1, 1), date(2021, 12, 31))
    assert bars.empty
    assert list(bars.columns) == BAR_COLUMNS


def test_fetch_returns_a_copy() -> None:
    source = BundledSource()
    first = source.fetch(MOUTAI, date(2020, 4, 24), date(2020, 4, 24))
    first.loc[0, "close"] = -1.0
    again = source.fetch(MOUTAI, date(2020, 4, 24), date(2020, 4, 24))
    assert (again["close"] > 0).all()


def test_unknown_symbol_lists_bundled_symbols() -> None:
    info = SymbolInfo(
        symbol="ETH-USD",
        name="Ether",
        calendar="24/7",
        currency="USD",
        timezone="UTC",
        session_close=MOUTAI.session_close,
    )
    with pytest.raises(UnknownSymbolError, match=r"'ETH-USD'.*600519\.SH, BTC-USD"):
        BundledSource().fetch(info, date(2020, 1, 1), date(2020, 1, 2))
    with pytest.raises(UnknownSymbolError, match="BTC-USD"):
        bundled_range("ETH-USD")


def test_inverted_range() -> None:
    with pytest.raises(InputError, match="inverted range"):
        BundledSource().fetch(MOUTAI, date(2020, 1, 2), date(2020, 1, 1))


def test_bundled_range() -> None:
    assert bundled_range("600519.SH") == (date(2010, 4, 26), date(2020, 4, 24))
    assert bundled_range("BTC-USD") == (date(2014, 9, 17), date(2024, 5, 27))


def test_dates_are_midnight_timestamps() -> None:
    bars = BundledSource().fetch(BTC, date(2020, 1, 1), date(2020, 1, 3))
    assert (bars["date"] == bars["date"].dt.normalize()).all()
    assert bars["date"].iloc[0] == pd.Timestamp("2020-01-01")
