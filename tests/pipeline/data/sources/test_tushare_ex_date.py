"""Live tushare pro `daily` + `adj_factor` across Moutai's real 2020-06-24 ex-date, served
locally from ../shared/data's pro export (factors rebuilt from pre_close), stored on top of the
bundled forward-adjusted history: raw prices as served, one continuous modelling series."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
from test_tushare import FakeTusharePro, Serve, source_for

from pipeline.data.csv_formats import read_history_csv
from pipeline.data.symbols import DEFAULT_SYMBOLS, get_symbol
from warehouse.bars import load_bars
from warehouse.connection import connect
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.symbols import sync_symbols

ROOT = Path(__file__).resolve().parents[4]
SHARED = ROOT.parent / "shared" / "data"
PRO_DAILY = SHARED / "SH600519_tushare_pro_daily_raw_2012-01-04_2022-07-01.csv"
MOUTAI = get_symbol("600519.SH")
DAILY_FIELDS = ["ts_code", "trade_date", "open", "high", "low", "close", "vol", "amount"]


def _request() -> IngestRequest:
    return IngestRequest(str(uuid.uuid4()), "600519.SH", "tushare", None, None, datetime.now(UTC))


def _pro_tables() -> tuple[FakeTusharePro, pd.DataFrame]:
    rows = pd.read_csv(PRO_DAILY, dtype={"trade_date": str}).sort_values("trade_date")
    rows["adj_factor"] = (rows["close"].shift() / rows["pre_close"]).fillna(1.0).cumprod()
    rows = rows[rows["trade_date"].between("20200401", "20200731")].reset_index(drop=True)
    fake = FakeTusharePro()
    fake.tables["daily"] = (DAILY_FIELDS, rows[DAILY_FIELDS].values.tolist(), "trade_date")
    adj = rows[["ts_code", "trade_date", "adj_factor"]].values.tolist()
    fake.tables["adj_factor"] = (["ts_code", "trade_date", "adj_factor"], adj, "trade_date")
    return fake, rows


def test_live_bars_across_an_ex_date_continue_the_bundled_history(
    serve: Serve, warehouse_path: Path
) -> None:
    fake, rows = _pro_tables()
    # A daily ingest's range: the last bundled bar minus the overlap, up to after the ex-date.
    fetched = source_for(serve(fake)).fetch(MOUTAI, date(2020, 4, 20), date(2020, 7, 10))
    bundled = read_history_csv(ROOT / "pipeline" / "data" / "bundled" / "SH600519.csv", MOUTAI)
    with connect(warehouse_path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        store_ingest(con, _request(), bundled.drop(columns="raw_date"), pd.DataFrame())
        counts = store_ingest(con, _request(), fetched, pd.DataFrame())
        raw = con.execute("select close from bars where date >= '2020-04-20' order by date")
        stored = [c for (c,) in raw.fetchall()]
        series = load_bars(con, "600519.SH").set_index("date")["close"]
    served = rows[rows["trade_date"].between("20200420", "20200710")]
    assert stored == served["close"].tolist()
    assert counts.new == len(served) - 5  # 2020-04-20..24 overlap the bundled file
    moves = (series / series.shift()).loc["2020-04-20":]
    real = (served["close"] / served["pre_close"]).tolist()
    assert moves.tolist() == pytest.approx(real, rel=1e-9)
    # Raw, 2020-06-24 is a 1% drop (the 17.025 CNY dividend); modelled, a 0.17% rise.
    ex = served["trade_date"].tolist().index("20200624")
    assert stored[ex] / stored[ex - 1] == pytest.approx(1460.01 / 1474.5)
    assert moves.loc["2020-06-24"] == pytest.approx(1460.01 / 1457.48)
    assert series.iloc[-1] == served["close"].iloc[-1]
