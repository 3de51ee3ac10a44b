"""warehouse/models.py on a real file: splits once, a ModelOutcome's record as it is, champions,
the run list beside naive, and the bases a fine-tune may start from."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.split import Split
from pipeline.training.fit_one import fit_one
from pipeline.training.jobs import FitJob, ModelOutcome
from warehouse.connection import connect
from warehouse.models import (
    base_runs,
    current_champion,
    list_runs,
    record_champion,
    record_run,
    record_split,
)

CSV = Path(__file__).resolve().parents[2] / "pipeline" / "data" / "bundled" / "SH600519.csv"
SYMBOL = "600519.SH"


@pytest.fixture(scope="module")
def split() -> Split:
    bars = pd.read_csv(CSV, index_col=0, nrows=150).drop(columns="code").reset_index(drop=True)
    bars["date"] = pd.to_datetime(bars["date"])
    config = SplitConfig(
        window=5,
        features=("close",),
        target="close",
        validation_size=20,
        test_size=10,
        min_train_size=50,
    )
    return build_split(bars, config, symbol=SYMBOL)


def _fit(split: Split, kind: str, tmp_path: Path) -> ModelOutcome:
    job = FitJob(kind, str(tmp_path / "split.npz"))
    return fit_one(split, job, models_dir=tmp_path, epochs=1, finetune_epochs=1, seed=1)


@pytest.fixture
def con(tmp_path: Path, split: Split) -> Iterator[duckdb.DuckDBPyConnection]:
    with connect(tmp_path / "w.duckdb") as connection:
        record_split(connection, split.to_record())
        yield connection


def test_a_split_is_stored_once(con: duckdb.DuckDBPyConnection, split: Split) -> None:
    record_split(con, split.to_record())
    rows = con.sql("select split_id, window_length, test_end from splits").fetchall()
    assert rows == [(split.split_id, 5, split.test.end)]


def test_an_outcome_is_stored_as_it_is(
    con: duckdb.DuckDBPyConnection, split: Split, tmp_path: Path
) -> None:
    outcome = _fit(split, "naive", tmp_path)
    record_run(con, outcome.to_record(symbol=SYMBOL, purpose="daily", preset="seed"))
    run = con.sql("select * from model_runs").df().iloc[0]
    assert (run["run_id"], run["model"], run["split_id"]) == (
        outcome.run_id,
        "naive",
        split.split_id,
    )
    assert (run["purpose"], run["training"], run["status"]) == ("daily", "full", "succeeded")
    assert json.loads(run["hyperparameters"]) == {**outcome.hyperparameters, "preset": "seed"}
    assert run["code_version"]
    metrics = con.sql("select split, metric, value from metrics order by all").df()
    expected = outcome.metrics[["split", "metric", "value"]].sort_values(["split", "metric"])
    pd.testing.assert_frame_equal(metrics, expected.reset_index(drop=True), check_dtype=False)
    (n,) = con.execute("select count(*) from predictions where symbol = ?", [SYMBOL]).fetchall()[0]
    assert n == len(outcome.predictions) > 0


def test_a_failed_record_leaves_nothing(
    con: duckdb.DuckDBPyConnection, split: Split, tmp_path: Path
) -> None:
    record = _fit(split, "naive", tmp_path).to_record(symbol=SYMBOL, purpose="train")
    record_run(con, record)
    with pytest.raises(duckdb.ConstraintException):
        record_run(con, record)  # the same run_id twice
    assert con.sql("select count(*) from metrics").fetchall() == [(len(record["metrics"]),)]


def test_the_newest_champion_and_the_runs_beside_naive(
    con: duckdb.DuckDBPyConnection, split: Split, tmp_path: Path
) -> None:
    outcomes = [_fit(split, kind, tmp_path) for kind in ("naive", "drift")]
    for o in outcomes:
        record_run(con, o.to_record(symbol=SYMBOL, purpose="train"))
    now = datetime.now(tz=UTC)
    for o, when in zip(outcomes, (now - timedelta(days=1), now), strict=True):
        record_champion(
            con,
            symbol=SYMBOL,
            run_id=o.run_id,
            model=o.model,
            split_id=o.split_id,
            validation_mae=o.metric("validation", "mae") or 0.0,
            chosen_at=when,
        )
    champion = current_champion(con, SYMBOL)
    assert champion is not None and champion["model"] == "drift"
    assert current_champion(con, "BTC-USD") is None
    runs = list_runs(con, SYMBOL)
    naive = runs[runs["model"] == "naive"]
    assert set(runs["model"]) == {"naive", "drift"}
    assert (naive["mae"] == naive["naive_mae"]).all()  # naive beside itself: skill 0


def test_base_runs_are_the_newest_earlier_daily_runs(
    con: duckdb.DuckDBPyConnection, split: Split, tmp_path: Path
) -> None:
    outcome = _fit(split, "linear", tmp_path)
    record_run(con, outcome.to_record(symbol=SYMBOL, purpose="daily"))
    record_run(con, _fit(split, "drift", tmp_path).to_record(symbol=SYMBOL, purpose="train"))
    day = split.as_of_date
    assert base_runs(con, SYMBOL, day).empty  # only runs on splits before the day
    bases = base_runs(con, SYMBOL, day + timedelta(days=1))
    assert list(bases["model"]) == ["linear"]  # train runs are no bases
    assert bases["run_id"].iloc[0] == outcome.run_id
    assert bases["last_full_as_of"].iloc[0].date() == day
