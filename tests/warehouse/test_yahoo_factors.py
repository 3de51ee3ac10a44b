"""Yahoo's derived adjustment factors on ingest: the real 600519.SS Yahoo export (``Adj Close /
Close`` steps on Moutai's ex-dates) chained onto stored factors, so overlapping imports and a
Yahoo fallback after live tushare pro bars make one continuous modelling series."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from test_price_basis import MOUTAI, live_bars

from pipeline.data.bars import in_volume_unit
from pipeline.data.csv_formats import read_history_csv
from pipeline.data.symbols import DEFAULT_SYMBOLS
from pipeline.data.validation import validate_bars
from warehouse.bars import load_bars, volume_unit
from warehouse.connection import connect
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.symbols import sync_symbols

YAHOO_CSV = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "data"
    / "600519.SS_yahoo_2018-01-02_2022-04-01.csv"
)
EX_DATES = ["2018-06-15", "2019-06-28", "2020-06-24", "2021-06-25"]


def yahoo_rows(first: str, last: str) -> pd.DataFrame:
    bars = read_history_csv(YAHOO_CSV, MOUTAI).drop(columns="raw_date")
    return bars[bars["date"].between(first, last)].reset_index(drop=True)


def ingest(path: Path, bars: pd.DataFrame) -> None:
    request = IngestRequest(str(uuid.uuid4()), "600519.SH", "file", None, None, datetime.now(UTC))
    with connect(path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        bars = in_volume_unit(bars, volume_unit(con, "600519.SH"))  # as the ingest flow does
        checked = validate_bars(bars, today=date(2026, 1, 1))
        store_ingest(con, request, checked.valid, checked.rejected)


def stored_factors(path: Path) -> pd.Series:
    with connect(path, read_only=True) as con:
        rows = con.execute("select date, adj_factor from bars order by date").df()
    return rows.set_index(pd.to_datetime(rows["date"]))["adj_factor"]


def test_factors_step_on_the_ex_dates_and_the_series_has_no_jump(warehouse_path: Path) -> None:
    ingest(warehouse_path, yahoo_rows("2018-01-01", "2022-04-01"))

    factor = stored_factors(warehouse_path)
    steps = factor[factor != factor.shift()].index[1:]
    assert [d.date().isoformat() for d in steps] == EX_DATES
    # 2020-06-24: 17.025 CNY on a 1474.50 close, as tushare's factor steps (x 1.011678).
    assert factor["2020-06-24"] / factor["2020-06-23"] == pytest.approx(1474.5 / 1457.475, 1e-5)
    with connect(warehouse_path, read_only=True) as con:
        series = load_bars(con, "600519.SH").set_index("date")["close"]
    adjusted = pd.read_csv(YAHOO_CSV, index_col="Date", parse_dates=True)["Adj Close"]
    # The modelling series moves as Yahoo's dividend-adjusted close, ex-dates included.
    adjusted = adjusted[series.index]  # the stored days (a few bad rows are rejected)
    moves = series / series.shift()
    assert moves[1:].to_numpy() == pytest.approx((adjusted / adjusted.shift())[1:], rel=1e-6)


def test_overlapping_imports_chain_into_one_factor(warehouse_path: Path) -> None:
    whole = Path(str(warehouse_path) + ".whole")
    ingest(whole, yahoo_rows("2018-01-01", "2022-04-01"))
    # The second file starts at 1.0 on its own first day; on ingest it continues the first.
    ingest(warehouse_path, yahoo_rows("2018-01-01", "2019-12-31"))
    ingest(warehouse_path, yahoo_rows("2019-12-20", "2022-04-01"))

    chained = stored_factors(warehouse_path)
    assert chained.to_numpy() == pytest.approx(stored_factors(whole).to_numpy(), rel=1e-6)
    with connect(warehouse_path, read_only=True) as con:
        revised = con.execute("select count(*) from bar_revisions").fetchone()
    assert revised == (0,)  # the overlap's factors are the stored ones, nothing rewritten


def test_a_yahoo_fallback_continues_tushares_factors(warehouse_path: Path) -> None:
    live, _ = live_bars()
    ingest(warehouse_path, live)
    ingest(warehouse_path, yahoo_rows("2020-07-01", "2021-07-30"))

    factor = stored_factors(warehouse_path)
    assert factor["2020-07-10"] == live["adj_factor"].iloc[-1]  # the stored overlap kept
    assert factor["2021-06-25"] / factor["2021-06-24"] > 1.005  # Yahoo's 2021 ex-date
    with connect(warehouse_path, read_only=True) as con:
        series = load_bars(con, "600519.SH").set_index("date")["close"]
    seam = series["2020-07-13"] / series["2020-07-10"]
    raw = yahoo_rows("2020-07-10", "2020-07-13")["close"]
    assert seam == pytest.approx(raw.iloc[1] / raw.iloc[0], rel=1e-9)
