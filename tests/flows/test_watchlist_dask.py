"""A watch list of 20 bootstrapped series: the daily step on a local Dask cluster, one writer."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from flows.daily import daily
from flows.fanout import fit_chunk
from pipeline.training.jobs import FitJob
from tests.watchlist_data import bootstrap_codes, load_bootstrapped
from warehouse.connection import WarehouseForbiddenError, connect, forbid_warehouse

AS_OF = date(2026, 11, 20)


@pytest.fixture
def watch_list(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    codes = bootstrap_codes(20)
    (tmp_path / "codes.txt").write_text("# timing-only series\n" + "\n".join(codes) + "\n")
    config = tmp_path / "nextbar.toml"
    config.write_text('[watchlist]\nfile = "codes.txt"\n[dask]\nworkers = 2\nmin_symbols = 20\n')
    monkeypatch.setenv("NEXTBAR_CONFIG", str(config))
    monkeypatch.setenv("NEXTBAR_MODELS_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("NEXTBAR_SPLITS_DIR", str(tmp_path / "splits"))
    monkeypatch.setenv("NEXTBAR_PLOTS_DIR", str(tmp_path / "plots"))
    return codes


@pytest.mark.slow
def test_every_symbol_of_the_watch_list_gets_a_forecast_from_dask(
    watch_list: list[str], warehouse_path: Path
) -> None:
    load_bootstrapped(warehouse_path, watch_list, days=300, end=AS_OF)
    report = daily(
        as_of=AS_OF,
        models=["naive", "drift", "gru_global"],
        epochs=1,
        window=10,
        history_bars=260,
        skip_ingest=True,
        warehouse=str(warehouse_path),
    )
    assert [d.status for d in report.days] == ["forecast"] * 20
    with connect(warehouse_path, read_only=True) as con:
        rows = con.execute(
            "select symbol, count(distinct model) from forecasts group by 1"
        ).fetchall()
    assert {symbol for symbol, _ in rows} == set(watch_list)
    # naive beside every model, and naive_vol: the scale of drift and gru_global
    assert all(models == 4 for _, models in rows)
    with connect(warehouse_path, read_only=True) as con:
        unscaled = con.execute(
            "select count(*) from forecasts where model = 'gru_global' and scale is null"
        ).fetchall()
    assert unscaled == [(0,)]
    with connect(warehouse_path, read_only=True) as con:
        [(networks, runs)] = con.execute(
            "select count(distinct hyperparameters->>'global_symbols'), count(*) "
            "from model_runs where model = 'gru_global' and status = 'succeeded'"
        ).fetchall()
    assert (networks, runs) == (1, 20)  # one network across the watch list, a run per symbol


def test_a_worker_cannot_open_the_warehouse(warehouse_path: Path, tmp_path: Path) -> None:
    with (
        forbid_warehouse("fit-chunk-0"),
        pytest.raises(WarehouseForbiddenError),
        connect(warehouse_path),
    ):
        pass
    job = FitJob("naive", str(tmp_path / "missing.npz"))
    with pytest.raises(FileNotFoundError):  # reaches the split, never the warehouse
        fit_chunk.fn(0, [[job]], str(tmp_path), 1, 0, 0)
