"""Storing bars: idempotent, lossless on revision, all-or-nothing."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest

from pipeline.data.bars import canonical
from pipeline.data.symbols import DEFAULT_SYMBOLS
from warehouse import ingests as wbars
from warehouse.bars import last_bar_date, load_bars
from warehouse.connection import connect
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.symbols import sync_symbols


def _bars(
    closes: list[float], *, first: str = "2020-01-01", partial_last: bool = False
) -> pd.DataFrame:
    dates = pd.date_range(first, periods=len(closes), freq="D")
    frame = pd.DataFrame(
        {
            "date": dates,
            "open": closes,
            "high": [c * 1.1 for c in closes],
            "low": [c * 0.9 for c in closes],
            "close": closes,
            "volume": 10.0,
        }
    )
    frame["is_partial"] = False
    if partial_last:
        frame.loc[frame.index[-1], "is_partial"] = True
    return canonical(frame, volume_unit="usd", price_adjustment="split", source="test")


def _request(symbol: str = "BTC-USD", *, replace: bool = False) -> IngestRequest:
    return IngestRequest(
        str(uuid.uuid4()), symbol, "test", None, None, datetime.now(tz=UTC), replace=replace
    )


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame(
        columns=["date", "raw_date", "open", "high", "low", "close", "volume", "reason"]
    )


def _store(path: Path, frame: pd.DataFrame, *, replace: bool = False) -> wbars.IngestCounts:
    with connect(path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        return store_ingest(con, _request(replace=replace), frame, _no_rejects())


def _table(path: Path, name: str) -> pd.DataFrame:
    with connect(path, read_only=True) as con:
        return con.execute(f"select * from {name} order by all").df()


def test_first_ingest_stores_everything(warehouse_path: Path) -> None:
    counts = _store(warehouse_path, _bars([1.0, 2.0, 3.0]))
    assert (counts.new, counts.changed, counts.unchanged) == (3, 0, 0)
    assert len(_table(warehouse_path, "bars")) == 3


def test_ingesting_twice_is_idempotent(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0, 2.0, 3.0]))
    before = _table(warehouse_path, "bars").drop(columns=["ingest_run_id", "ingested_at"])
    counts = _store(warehouse_path, _bars([1.0, 2.0, 3.0]))
    assert (counts.new, counts.changed, counts.unchanged) == (0, 0, 3)
    after = _table(warehouse_path, "bars").drop(columns=["ingest_run_id", "ingested_at"])
    pd.testing.assert_frame_equal(before, after)
    assert _table(warehouse_path, "bar_revisions").empty


def test_overlapping_newer_data_adds_new_rows_and_keeps_old_values(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0, 2.0, 3.0], partial_last=True))
    # Day 3 was partial at 3.0 and finished at 3.5; day 2 was revised by the source.
    counts = _store(warehouse_path, _bars([2.2, 3.5, 4.0, 5.0], first="2020-01-02"))
    assert (counts.new, counts.changed, counts.unchanged) == (2, 2, 0)
    revisions = _table(warehouse_path, "bar_revisions").set_index("date")
    assert revisions.loc[pd.Timestamp("2020-01-02"), "old_close"] == 2.0
    assert revisions.loc[pd.Timestamp("2020-01-02"), "reason"] == "revised by source"
    assert revisions.loc[pd.Timestamp("2020-01-03"), "old_close"] == 3.0
    assert revisions.loc[pd.Timestamp("2020-01-03"), "reason"] == "partial bar completed"
    with connect(warehouse_path, read_only=True) as con:
        stored = load_bars(con, "BTC-USD")
    assert stored["close"].tolist() == [1.0, 2.2, 3.5, 4.0, 5.0]


def test_a_partial_bar_never_replaces_a_final_one(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0, 2.0]))
    counts = _store(warehouse_path, _bars([1.0, 9.0], partial_last=True))
    assert counts.changed == 0
    assert _table(warehouse_path, "bars")["close"].tolist() == [1.0, 2.0]


def test_partial_bars_are_left_out_of_model_inputs(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0, 2.0, 3.0], partial_last=True))
    with connect(warehouse_path, read_only=True) as con:
        assert len(load_bars(con, "BTC-USD")) == 2
        assert len(load_bars(con, "BTC-USD", final_only=False)) == 3


def test_a_crash_mid_upsert_leaves_the_warehouse_as_it_was(
    warehouse_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store(warehouse_path, _bars([1.0, 2.0, 3.0]))
    before = {t: _table(warehouse_path, t) for t in ("bars", "bar_revisions", "ingest_runs")}

    def crash(*args: object) -> None:
        raise RuntimeError("injected crash after bars were written")

    # _record_rejected runs after the revisions and the bars themselves are written.
    monkeypatch.setattr(wbars, "_record_rejected", crash)
    with pytest.raises(RuntimeError, match="injected"):
        _store(warehouse_path, _bars([9.0, 9.0, 9.0, 9.0]), replace=True)
    for name, frame in before.items():
        pd.testing.assert_frame_equal(_table(warehouse_path, name), frame)


def test_a_killed_process_mid_upsert_leaves_the_warehouse_as_it_was(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0, 2.0, 3.0]))
    before = _table(warehouse_path, "bars")
    # A hard exit (no rollback, no close) between writing the bars and committing.
    script = f"""
import os, uuid
from datetime import UTC, datetime
import pandas as pd
from pipeline.data.bars import canonical
from warehouse import ingests as wbars
from warehouse.connection import connect
wbars._record_rejected = lambda *a: os._exit(3)
frame = canonical(pd.DataFrame({{"date": pd.date_range("2020-01-01", periods=5), "open": 9.0,
    "high": 10.0, "low": 8.0, "close": 9.0, "volume": 1.0}}), volume_unit="usd",
    price_adjustment="split", source="test")
with connect({str(warehouse_path)!r}) as con:
    wbars.store_ingest(con, wbars.IngestRequest(str(uuid.uuid4()), "BTC-USD", "t", None, None,
        datetime.now(tz=UTC), replace=True), frame, pd.DataFrame())
"""
    result = subprocess.run([sys.executable, "-c", script], check=False)
    assert result.returncode == 3
    pd.testing.assert_frame_equal(_table(warehouse_path, "bars"), before)


def test_failed_ingest_is_recorded_without_touching_bars(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0]))
    with connect(warehouse_path) as con:
        wbars.record_failed_ingest(con, _request(), "SourceError: boom")
    runs = _table(warehouse_path, "ingest_runs")
    assert sorted(runs["status"]) == ["failed", "succeeded"]
    assert len(_table(warehouse_path, "bars")) == 1


def test_last_bar_date(warehouse_path: Path) -> None:
    _store(warehouse_path, _bars([1.0, 2.0]))
    with connect(warehouse_path, read_only=True) as con:
        assert last_bar_date(con, "BTC-USD") == date(2020, 1, 2)
        assert last_bar_date(con, "600519.SH") is None


def test_duplicate_rows_are_counted_in_the_run(warehouse_path: Path) -> None:
    with connect(warehouse_path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        counts = store_ingest(con, _request(), _bars([1.0]), _no_rejects(), duplicates=2)
    assert counts.duplicates == 2
    assert _table(warehouse_path, "ingest_runs")["rows_duplicate"].tolist() == [2]


def test_many_symbols_read_in_one_query_equal_each_read_alone(warehouse_path: Path) -> None:
    from warehouse.bars import close_range, last_bar_dates, load_bars_of

    _store(warehouse_path, _bars([1.0, 2.0, 3.0], partial_last=True))
    moutai = _bars([10.0, 11.0], first="2020-01-06").assign(adj_factor=[1.0, 2.0])
    with connect(warehouse_path) as con:
        store_ingest(con, _request("600519.SH"), moutai, _no_rejects())
    symbols = ["600519.SH", "BTC-USD", "NONE.SH"]
    with connect(warehouse_path, read_only=True) as con:
        for until in (date(2020, 1, 6), None):
            together = load_bars_of(con, symbols, until=until)
            for symbol in symbols[:2]:
                alone = load_bars(con, symbol, until=until)
                pd.testing.assert_frame_equal(together[symbol], alone)
            assert together["NONE.SH"].empty
        # Each symbol on its own basis: Moutai's newest factor, BTC-USD (partial left out) as is.
        assert together["600519.SH"]["close"].tolist() == [5.0, 11.0]
        assert together["BTC-USD"]["close"].tolist() == [1.0, 2.0]
        assert last_bar_dates(con, symbols) == {
            "600519.SH": date(2020, 1, 7),
            "BTC-USD": date(2020, 1, 3),
            "NONE.SH": None,
        }
        assert close_range(con, "BTC-USD") == (1.0, 3.0)
        assert close_range(con, "NONE.SH") is None
