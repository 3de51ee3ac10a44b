"""Retention: ``gc`` keeps champions, each model's newest run and unscored forecasts' runs."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

import flows.gc
from flows.daily import daily
from flows.gc import gc
from flows.ingest import ingest
from warehouse.connection import connect

SMALL = {"models": ["naive", "drift"], "window": 10, "history_bars": 300, "skip_ingest": True}


def _views(con: duckdb.DuckDBPyConnection) -> list[pd.DataFrame]:
    """forecast_accuracy and leaderboard, in a fixed order."""
    return [
        con.execute("select * from forecast_accuracy order by forecast_id").df(),
        con.execute("select * from leaderboard order by all").df(),
    ]


def test_gc_deletes_only_what_no_kept_run_needs(
    warehouse_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NEXTBAR_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("NEXTBAR_SPLITS_DIR", str(tmp_path / "splits"))
    monkeypatch.setenv("NEXTBAR_PLOTS_DIR", str(tmp_path / "plots"))
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(warehouse_path))
    for day in (date(2024, 5, 20), date(2024, 5, 21), date(2024, 5, 22)):
        daily(symbols=["BTC-USD"], as_of=day, warehouse=str(warehouse_path), **SMALL)
    dry = gc(warehouse=str(warehouse_path))
    assert not dry.applied and dry.artifacts
    assert all(Path(a.path).exists() for a in dry.artifacts)  # a dry run deletes nothing
    with connect(warehouse_path, read_only=True) as con:
        newest = {
            row[0]
            for row in con.execute(
                "select run_id from model_runs qualify row_number() over "
                "(partition by model order by started_at desc) = 1"
            ).fetchall()
        }
        scored = _views(con)
    assert newest.isdisjoint(a.owner_id for a in dry.artifacts)
    applied = gc(apply=True, warehouse=str(warehouse_path))
    assert not any(Path(a.path).exists() for a in applied.artifacts)
    with connect(warehouse_path, read_only=True) as con:
        [(recorded,)] = con.execute("select count(*) from deleted_artifacts").fetchall()
        [(runs,)] = con.execute("select count(*) from model_runs").fetchall()
        for before, after in zip(scored, _views(con), strict=True):
            pd.testing.assert_frame_equal(after, before)  # the stored scores do not change
    assert recorded == len(applied.artifacts)
    assert runs == 9  # 3 days x naive, drift and its interval scale naive_vol: lineage stays
    assert gc(warehouse=str(warehouse_path)).artifacts == []


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def _days(warehouse: Path, *days: date) -> None:
    for day in days:
        daily(symbols=["BTC-USD"], as_of=day, warehouse=str(warehouse), **SMALL)


def test_gc_in_a_copy_never_deletes_the_originals_files(tmp_path: Path) -> None:
    # Models and splits follow the warehouse: a/models, a/splits and b/models, b/splits.
    original, copy = tmp_path / "a" / "nextbar.duckdb", tmp_path / "b" / "nextbar.duckdb"
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(original))
    _days(original, date(2024, 5, 18), date(2024, 5, 19))
    before = _files(original.parent / "models") + _files(original.parent / "splits")
    assert before
    copy.parent.mkdir()
    shutil.copy(original, copy)
    _days(copy, date(2024, 5, 20), date(2024, 5, 21), date(2024, 5, 22))
    report = gc(apply=True, warehouse=str(copy))
    assert report.artifacts  # the copy's own superseded runs went
    assert all(Path(a.path).is_relative_to(copy.parent) for a in report.artifacts)
    assert report.foreign > 0  # the original's runs, listed in the copy's model_runs
    assert _files(original.parent / "models") + _files(original.parent / "splits") == before
    with connect(original, read_only=True) as con:
        assert con.execute("select count(*) from deleted_artifacts").fetchone() == (0,)


class _Killed(BaseException):
    """Stands in for a kill -9 in the middle of the deletions."""


def test_a_gc_stopped_mid_way_leaves_an_accurate_record(
    warehouse_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(symbols=["BTC-USD"], source="bundled", warehouse=str(warehouse_path))
    _days(warehouse_path, date(2024, 5, 20), date(2024, 5, 21), date(2024, 5, 22))
    real_delete, done = flows.gc._delete, []

    def delete_then_die(path: Path) -> None:
        if len(done) == 2:
            raise _Killed
        real_delete(path)
        done.append(path)

    monkeypatch.setattr(flows.gc, "_delete", delete_then_die)
    with pytest.raises(_Killed):
        gc(apply=True, warehouse=str(warehouse_path))
    with connect(warehouse_path, read_only=True) as con:
        rows = con.execute("select path, deleted_at from deleted_artifacts").fetchall()
    assert len(rows) > 2
    for path, deleted_at in rows:  # done: gone; not done: recorded as begun, file still there
        assert Path(path).exists() == (deleted_at is None)
    assert sum(deleted_at is not None for _, deleted_at in rows) == 2
    monkeypatch.setattr(flows.gc, "_delete", real_delete)
    gc(apply=True, warehouse=str(warehouse_path))  # the next gc finishes the record
    with connect(warehouse_path, read_only=True) as con:
        rows = con.execute("select path, deleted_at from deleted_artifacts").fetchall()
    assert rows and all(deleted_at is not None and not Path(p).exists() for p, deleted_at in rows)
