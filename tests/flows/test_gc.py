"""Retention: ``gc`` keeps champions, each model's newest run and unscored forecasts' runs."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest

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
    assert runs == 6  # rows stay: every forecast's lineage is still in the warehouse
    assert gc(warehouse=str(warehouse_path)).artifacts == []
