"""The train flow on real bundled Moutai bars: runs, metrics, predictions and champion stored."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows.ingest import ingest
from flows.train import train
from pipeline.errors import InputError, InsufficientDataError, UnknownSymbolError
from warehouse.connection import connect

pytestmark = pytest.mark.slow  # trains real Keras models

AS_OF = date(2013, 6, 28)  # about 770 bars: enough for a real split, small enough to be quick


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    path = tmp_path_factory.mktemp("train") / "nextbar.duckdb"
    ingest(symbols=["600519.SH"], source="bundled", warehouse=str(path))
    report = train(
        symbol="600519.SH",
        models=["linear", "gru"],
        as_of=AS_OF,
        window=20,
        test_size=60,
        validation_size=60,
        epochs=1,
        search_budget=1,
        warehouse=str(path),
    )
    return path, report


def _df(path: Path, sql: str) -> pd.DataFrame:
    with connect(path, read_only=True) as con:
        return con.execute(sql).df()


def test_every_model_is_stored_with_naive_beside_it(trained: tuple[Path, object]) -> None:
    path, _ = trained
    runs = _df(
        path,
        "select model, status, backend, device from model_runs where purpose = 'train'"
        " order by model",
    )
    assert runs["model"].tolist() == ["gru", "linear", "naive"]
    assert set(runs["status"]) == {"succeeded"}
    assert runs.loc[runs["model"] == "gru", "device"].item() == "cpu"
    board = _df(path, "select * from model_scoreboard where split = 'test'")
    assert (board["naive_mae"].nunique()) == 1  # every model is scored on the same targets


def test_naive_metrics_equal_a_hand_computation(trained: tuple[Path, object]) -> None:
    path, _ = trained
    preds = _df(
        path,
        """select p.* from predictions p join model_runs r using (run_id)
           where r.model = 'naive' and p.split = 'test' order by date""",
    )
    assert len(preds) == 60
    bars = _df(path, f"select date, close from bars where date <= '{AS_OF}' order by date")
    closes = bars["close"].to_numpy()
    # Naive predicts the previous bar's close for each of the last 60 bars.
    expected = np.abs(closes[-60:] - closes[-61:-1]).mean()
    mae = _df(
        path,
        """select value from metrics m join model_runs r using (run_id)
           where r.model = 'naive' and m.split = 'test' and m.metric = 'mae'""",
    )["value"].item()
    assert mae == pytest.approx(expected)
    skill = _df(
        path,
        """select value from metrics m join model_runs r using (run_id)
           where r.model = 'naive' and m.metric = 'skill'""",
    )["value"]
    assert (skill == 0).all()


def test_the_split_is_recorded_without_look_ahead(trained: tuple[Path, object]) -> None:
    path, _ = trained
    split = _df(
        path,
        "select s.* from splits s join model_runs r using (split_id)"
        " where r.model = 'naive' and r.purpose = 'train'",
    ).iloc[0]
    assert split["train_end"] < split["validation_start"] <= split["validation_end"]
    assert split["validation_end"] < split["test_start"]
    assert split["test_end"] <= pd.Timestamp(AS_OF)


def test_the_champion_is_chosen_on_validation(trained: tuple[Path, object]) -> None:
    path, _ = trained
    champion = _df(path, "select * from champions")
    best = _df(
        path,
        """select r.run_id from metrics m join model_runs r using (run_id)
           where m.split = 'validation' and m.metric = 'mae' and r.purpose = 'train'
           order by m.value limit 1""",
    )
    assert champion["run_id"].tolist() == best["run_id"].tolist()


def test_configs_are_picked_on_validation_without_the_test_range(
    trained: tuple[Path, object],
) -> None:
    path, report = trained
    trials = _df(
        path,
        """select r.model, r.run_id, s.validation_end, s.test_start, s.window_length, s.features
           from model_runs r join splits s using (split_id) where r.purpose = 'search'""",
    )
    # linear and gru: the preset's own config plus one draw each
    assert sorted(trials["model"]) == ["gru", "gru", "linear", "linear"]
    assert trials["test_start"].isna().all()  # a trial's split has no test range at all
    assert (trials["window_length"] == 20).all()  # the window the user gave is not searched
    final = _df(
        path,
        """select r.model, r.hyperparameters, s.test_start, s.window_length
           from model_runs r join splits s using (split_id) where r.purpose = 'train'""",
    )
    first_test_day = final["test_start"].min()
    assert (final["test_start"] == first_test_day).all()  # every model scored on the same days
    assert (trials["validation_end"] < first_test_day).all()
    for row in final[final["model"].isin(["linear", "gru"])].itertuples():
        chosen = json.loads(row.hyperparameters)["search"]
        assert chosen["selected_on"] == "validation" and chosen["trials"] == 2
        assert chosen["trial_run_id"] in set(trials["run_id"])
        assert chosen["window"] == row.window_length
        tried = trials[trials["model"] == row.model]
        assert chosen["validation_mae"] == pytest.approx(
            report.search.loc[report.search["model"] == row.model, "val_mae"].min()  # type: ignore[attr-defined]
        )
        assert set(tried["window_length"]) >= {row.window_length}


def test_the_final_fit_is_the_chosen_trial_scored_on_the_test_range(
    trained: tuple[Path, object],
) -> None:
    path, _ = trained
    final = _df(
        path,
        """select run_id, hyperparameters from model_runs
           where purpose = 'train' and model in ('linear', 'gru')""",
    )
    for row in final.itertuples():
        hp = json.loads(row.hyperparameters)
        assert hp["reused_trial"]  # no second fit of the same settings on the same range
        validation = """select date, predicted from predictions
                        where run_id = '{}' and split = 'validation' order by date"""
        ours = _df(path, validation.format(row.run_id))
        trial = _df(path, validation.format(hp["search"]["trial_run_id"]))
        pd.testing.assert_frame_equal(ours, trial)


def test_the_report_has_a_chart_and_a_verdict_per_model(trained: tuple[Path, object]) -> None:
    _, report = trained
    assert Path(report.plot).is_file()  # type: ignore[attr-defined]
    verdicts = dict(zip(report.table["model"], report.table["verdict"], strict=True))  # type: ignore[attr-defined]
    assert verdicts["naive"] == "baseline"
    assert verdicts["gru"] in {"beats naive", "LOSES to naive"}


def test_bad_input_fails_clearly(trained: tuple[Path, object]) -> None:
    path, _ = trained
    with pytest.raises(InputError, match="choose from"):
        train(symbol="600519.SH", models=["prophet"], warehouse=str(path))
    with pytest.raises(UnknownSymbolError, match="write an A-share as"):
        train(symbol="600519", warehouse=str(path))  # a code nextbar cannot read
    with pytest.raises(InsufficientDataError, match="need at least"):
        train(symbol="600519.SH", as_of=date(2010, 9, 1), warehouse=str(path))
