"""Planning what to fetch, and falling back from tushare when it cannot answer."""

from __future__ import annotations

from datetime import date

import pytest

from pipeline.data.ingest import _FallbackSource, make_source, plan_range
from pipeline.data.sources.bundled import BundledSource
from pipeline.data.sources.tushare_pro import TushareSource
from pipeline.data.symbols import get_symbol
from pipeline.errors import InputError
from pipeline.settings import Settings

MOUTAI = get_symbol("600519.SH")


def test_incremental_range_starts_an_overlap_before_the_last_bar() -> None:
    settings = Settings(overlap_days=5)
    assert plan_range(MOUTAI, date(2020, 4, 24), settings, today=date(2020, 5, 6)) == (
        date(2020, 4, 19),
        date(2020, 5, 6),
    )


def test_first_ingest_starts_at_the_history_start() -> None:
    settings = Settings(history_start="2015-01-01")
    start, _ = plan_range(MOUTAI, None, settings, today=date(2020, 5, 6))
    assert start == date(2015, 1, 1)


def test_an_inverted_range_is_refused() -> None:
    with pytest.raises(InputError, match="after end"):
        plan_range(MOUTAI, None, Settings(), start=date(2020, 5, 1), end=date(2020, 4, 1))


def test_tushare_without_token_falls_back_and_says_so() -> None:
    source = _FallbackSource(TushareSource(""), BundledSource())
    bars = source.fetch(MOUTAI, date(2020, 4, 20), date(2020, 4, 24))
    assert len(bars) == 5
    assert source.used == "bundled (fallback: AuthError)"


def test_unknown_source_lists_the_choices() -> None:
    with pytest.raises(InputError, match="tushare, yfinance, bundled"):
        make_source("nope", MOUTAI, Settings())
