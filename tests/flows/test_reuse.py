"""A same-day re-run asks the source for new bars before it starts an ingest: a new, revised or
rejected bar, or a source fault, hands the run to the flow."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from flows.ingest import ingest
from flows.reuse import nothing_new_at_source
from pipeline.data.sources.bundled import BundledSource
from pipeline.data.symbols import get_symbol
from pipeline.errors import SourceError
from pipeline.settings import load_settings
from warehouse.connection import connect

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BTC-USD's bundled bars, ingested."""
    path = tmp_path_factory.mktemp("reuse") / "nextbar.duckdb"
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(path))
    return path


def _ask(path: Path) -> bool:
    settings = load_settings(warehouse=str(path))
    with connect(path, read_only=True) as con:
        return nothing_new_at_source(con, get_symbol("BTC-USD"), "bundled", settings)


def _served(monkeypatch: pytest.MonkeyPatch, change: object) -> None:
    """Serve the bundled bars through ``change`` (a function of the fetched frame)."""
    fetch = BundledSource.fetch

    def changed(self: BundledSource, *args: object) -> pd.DataFrame:
        return change(fetch(self, *args))  # type: ignore[operator]

    monkeypatch.setattr(BundledSource, "fetch", changed)


def test_the_same_bars_again_are_nothing_new(stored: Path) -> None:
    assert _ask(stored)


def test_a_revised_bar_is_something_new(stored: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def revise(bars: pd.DataFrame) -> pd.DataFrame:
        bars = bars.copy()
        bars.loc[bars.index[-1], "close"] += 1.0
        return bars

    _served(monkeypatch, revise)
    assert not _ask(stored)


def test_a_new_bar_is_something_new(stored: Path, tmp_path: Path) -> None:
    copy = tmp_path / "nextbar.duckdb"
    shutil.copy(stored, copy)
    with connect(copy) as con:  # the stored series lacks its newest bar
        con.execute("delete from bars where date = (select max(date) from bars)")
    assert not _ask(copy)


def test_a_rejected_bar_hands_the_run_to_the_flow(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def damage(bars: pd.DataFrame) -> pd.DataFrame:
        bars = bars.copy()
        bars.loc[bars.index[0], "high"] = bars["low"].iloc[0] - 1.0  # high below low
        return bars

    _served(monkeypatch, damage)
    assert not _ask(stored)


def test_a_source_fault_hands_the_run_to_the_flow(
    stored: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(bars: pd.DataFrame) -> pd.DataFrame:
        raise SourceError("bundled: unreachable")

    _served(monkeypatch, fail)
    assert not _ask(stored)
