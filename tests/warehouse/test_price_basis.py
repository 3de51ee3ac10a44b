"""One price basis: live raw tushare pro bars (with their factors) on top of the bundled
forward-adjusted history make one continuous modelling series, and the day after an ex-date
is scored fairly. Real rows: ../shared/data's tushare pro `daily` export around Moutai's
2020-06-24 ex-date (close 1474.50 on 06-23, pre_close 1457.48 on 06-24)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from pipeline.data.csv_formats import read_history_csv
from pipeline.data.symbols import DEFAULT_SYMBOLS, get_symbol
from warehouse.bars import load_bars
from warehouse.connection import connect
from warehouse.forecasts import issue_forecasts
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.symbols import sync_symbols

ROOT = Path(__file__).resolve().parents[2]
PRO_DAILY = (
    ROOT.parent / "shared" / "data" / "SH600519_tushare_pro_daily_raw_2012-01-04_2022-07-01.csv"
)
MOUTAI = get_symbol("600519.SH")


def live_bars() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The pro rows 2020-04-20..2020-07-10 as a live ingest stores them, with adj_factor
    rebuilt from pre_close (close[t-1] / pre_close[t] is the day's step)."""
    rows = pd.read_csv(PRO_DAILY).sort_values("trade_date").reset_index(drop=True)
    rows["adj_factor"] = (rows["close"].shift() / rows["pre_close"]).fillna(1.0).cumprod()
    rows = rows[rows["trade_date"].between(20200420, 20200710)].reset_index(drop=True)
    bars = read_history_csv(PRO_DAILY, MOUTAI)
    bars = bars[bars["date"].between("2020-04-20", "2020-07-10")].reset_index(drop=True)
    bars["adj_factor"] = rows["adj_factor"].to_numpy()
    return bars.drop(columns="raw_date").assign(source="tushare"), rows


def _request() -> IngestRequest:
    return IngestRequest(str(uuid.uuid4()), "600519.SH", "t", None, None, datetime.now(tz=UTC))


@pytest.fixture
def warehouse(warehouse_path: Path) -> Path:
    bundled = read_history_csv(ROOT / "pipeline" / "data" / "bundled" / "SH600519.csv", MOUTAI)
    live, _ = live_bars()
    with connect(warehouse_path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        store_ingest(con, _request(), bundled.drop(columns="raw_date"), pd.DataFrame())
        store_ingest(con, _request(), live, pd.DataFrame())
    return warehouse_path


def test_raw_prices_are_stored_as_the_source_gave_them(warehouse: Path) -> None:
    _, rows = live_bars()
    with connect(warehouse, read_only=True) as con:
        stored = con.execute(
            "select close from bars where date >= '2020-04-20' order by date"
        ).fetchall()
    assert [c for (c,) in stored] == rows["close"].tolist()


def test_the_modelling_series_has_no_jump_at_the_ex_date_or_the_seam(warehouse: Path) -> None:
    _, rows = live_bars()
    with connect(warehouse, read_only=True) as con:
        series = load_bars(con, "600519.SH").set_index("date")["close"]
    day_returns = series / series.shift()
    # The real day's move is close / pre_close (the ex-date's dividend taken out).
    real = (rows["close"] / rows["pre_close"]).set_axis(
        pd.to_datetime(rows["trade_date"].astype(str))
    )
    after_seam = real.index[real.index > pd.Timestamp("2020-04-24")]
    assert day_returns[after_seam].tolist() == pytest.approx(real[after_seam].tolist(), rel=1e-9)
    # 2020-06-24: raw close 1474.50 -> its raw close; the series moves by the real return only.
    assert series[pd.Timestamp("2020-06-24")] / series[pd.Timestamp("2020-06-23")] == (
        pytest.approx(real[pd.Timestamp("2020-06-24")])
    )
    # The newest bar is the price a holder sees, and the bundled history joins without a step.
    assert series.iloc[-1] == rows["close"].iloc[-1]
    assert series[pd.Timestamp("2020-04-24")] / series[pd.Timestamp("2020-04-23")] == (
        pytest.approx(1250.56 / 1252.26)
    )


def test_a_replayed_day_sees_that_days_basis(warehouse: Path) -> None:
    with connect(warehouse, read_only=True) as con:
        as_of = load_bars(con, "600519.SH", until=date(2020, 6, 23))
    assert as_of["close"].iloc[-1] == 1474.5


def test_the_day_after_an_ex_date_is_scored_fairly(warehouse: Path) -> None:
    # Naive as of 2020-06-23 says 1474.50; the holder's 2020-06-24 price starts from 1457.48.
    forecast = {
        "symbol": "600519.SH",
        "model": "naive",
        "target": "close",
        "as_of_date": date(2020, 6, 23),
        "target_date": date(2020, 6, 24),
        "issued_at": datetime.now(tz=UTC),
        "predicted": 1474.5,
        "last_known": 1474.5,
        "is_champion": False,
        "is_replay": False,
    }
    with connect(warehouse) as con:
        issue_forecasts(con, pd.DataFrame([forecast]))
        [(actual,)] = con.execute("select actual from forecast_accuracy").fetchall()
        [(raw_close,)] = con.execute("select close from bars where date = '2020-06-24'").fetchall()
    # Scored on the issue day's basis: the real move, not the 17.025 CNY dividend.
    assert actual / 1474.5 == pytest.approx(raw_close / 1457.48, rel=1e-6)
