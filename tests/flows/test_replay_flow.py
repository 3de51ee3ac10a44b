"""The fast replay against the daily step run day by day, and its blindness to later bars."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from flows.ingest import ingest
from flows.replay import replay, replay_stepwise
from pipeline.daily.schedule import BaseRun, RetrainPolicy
from pipeline.data.symbols import SymbolInfo
from pipeline.forecast.intervals import QUANTILE_LEVELS
from pipeline.settings import load_settings
from pipeline.step_config import StepConfig
from warehouse.connection import connect

SYMBOL = "BTC-USD"
START, END = date(2024, 5, 12), date(2024, 5, 14)  # three UTC days: one retrain, two after it
MODELS = ["naive", "drift", "linear", "gru", "naive_ewma", "gru_dist", "ensemble"]
LEAN = ["naive", "linear", "gru"]
SMALL = {"window": 20, "history_bars": 400, "epochs": 1, "retrain_every": 3, "finetune_epochs": 1}
pytestmark = pytest.mark.slow  # every case trains real GRU networks

COMPARED = ["model", "as_of_date", "target_date", "predicted", "lower_80", "upper_80"]


@pytest.fixture(scope="module")
def ingested(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BTC-USD's bundled history in a warehouse nothing has forecast from yet."""
    path = tmp_path_factory.mktemp("replay") / "bars.duckdb"
    ingest(symbols=[SYMBOL], source="bundled", warehouse=str(path))
    return path


def _copy(source: Path, directory: Path, name: str) -> str:
    target = directory / f"{name}.duckdb"
    shutil.copy(source, target)
    return str(target)


def _forecasts(path: str) -> pd.DataFrame:
    with connect(Path(path), read_only=True) as con:
        frame = con.execute(
            f"select {', '.join(COMPARED)}, lower_95, upper_95 from forecasts "
            "order by as_of_date, model"
        ).df()
    return frame.reset_index(drop=True)


@pytest.mark.parametrize(
    ("policy", "retrain_every", "trainings"),
    [
        ("frozen", 2, ["full", "fine_tune", "full"]),
        ("finetune", 3, ["full", "fine_tune", "fine_tune"]),
    ],
)
def test_the_fast_replay_issues_what_the_daily_step_issues(
    ingested: Path,
    tmp_path: Path,
    policy: str,
    retrain_every: int,
    trainings: list[str],
) -> None:
    fast, stepwise = _copy(ingested, tmp_path, "fast"), _copy(ingested, tmp_path, "stepwise")
    small = {**SMALL, "retrain_every": retrain_every}
    days = replay(
        symbol=SYMBOL,
        start=START,
        end=END,
        models=MODELS,
        policy=policy,
        warehouse=fast,
        **small,
    )
    step = StepConfig.from_settings(load_settings(), models=MODELS, policy=policy, **small)
    replay_stepwise(symbol=SYMBOL, start=START, end=END, step=step, warehouse=stepwise)

    assert [d.as_of for d in days] == [date(2024, 5, d) for d in range(12, 15)]
    ours, theirs = _forecasts(fast), _forecasts(stepwise)
    # naive, drift, linear, gru, naive_ewma, gru_dist, lstm (an ensemble member), ensemble, and
    # naive_vol (the point models' scale)
    assert len(ours) == 3 * 9
    pd.testing.assert_frame_equal(ours[COMPARED[:3]], theirs[COMPARED[:3]])
    numbers = ["predicted", "lower_80", "upper_80", "lower_95", "upper_95"]
    np.testing.assert_allclose(ours[numbers], theirs[numbers], rtol=1e-5)
    ours_q, theirs_q = _quantiles(fast), _quantiles(stepwise)
    assert len(ours_q) == len(theirs_q) == 3 * 9 * len(QUANTILE_LEVELS)
    np.testing.assert_allclose(ours_q, theirs_q, rtol=1e-5)
    with connect(Path(fast), read_only=True) as con:
        training = con.execute(
            "select r.training from model_runs r join splits s using (split_id) "
            "where r.model = 'gru' order by s.as_of_date"
        ).fetchall()
    assert [t for (t,) in training] == trainings


def _quantiles(path: str) -> np.ndarray:
    """Every forecast's quantiles, by model, day and level."""
    with connect(Path(path), read_only=True) as con:
        rows = con.execute(
            "select q.value from forecast_quantiles q join forecasts f using (forecast_id) "
            "order by f.model, f.as_of_date, q.level"
        ).fetchall()
    return np.array([v for (v,) in rows])


def test_a_changed_later_bar_never_moves_an_earlier_forecast(
    ingested: Path, tmp_path: Path
) -> None:
    day = date(2024, 5, 13)  # frozen weights forecast the 13th and 14th in one batch
    original, changed = _copy(ingested, tmp_path, "original"), _copy(ingested, tmp_path, "changed")
    with connect(Path(changed)) as con:
        con.execute(
            "update bars set open = open * 1.5, high = high * 1.5, low = low * 1.5, "
            "close = close * 1.5 where symbol = ? and date > ?",
            [SYMBOL, day],
        )
    for path in (original, changed):
        replay(symbol=SYMBOL, start=START, end=END, models=LEAN, warehouse=path, **SMALL)
    before, after = _forecasts(original), _forecasts(changed)
    known = before["as_of_date"].dt.date <= day
    assert known.sum() == 2 * (len(LEAN) + 1)  # and naive_vol, the scale of linear and gru
    pd.testing.assert_frame_equal(before[known], after[known])
    assert not np.allclose(before.loc[~known, "predicted"], after.loc[~known, "predicted"])
    # every quantile too: the FHS pools hold only errors of target days up to the issue day
    q_before, q_after = _day_quantiles(original), _day_quantiles(changed)
    early = q_before["as_of_date"].dt.date <= day
    assert early.sum() == 2 * (len(LEAN) + 1) * len(QUANTILE_LEVELS)  # and naive_vol
    pd.testing.assert_frame_equal(q_before[early], q_after[early])


def _day_quantiles(path: str) -> pd.DataFrame:
    with connect(Path(path), read_only=True) as con:
        return con.execute(
            "select f.as_of_date, f.model, q.level, q.value from forecast_quantiles q "
            "join forecasts f using (forecast_id) order by f.as_of_date, f.model, q.level"
        ).df()


def test_a_data_dependent_retrain_rule_keeps_the_replay_identical(
    ingested: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The retrain rule is one function (RetrainPolicy.fine_tunes): swapped for one that reads
    the scored errors (retrain whenever a model has an odd number of them), the fast replay,
    whose frozen blocks are predicted ahead by what is known on their first day, still issues
    what the daily step issues day by day."""
    calendar_rule = RetrainPolicy.fine_tunes

    def odd_errors_retrain(
        self: RetrainPolicy,
        info: SymbolInfo,
        kind: str,
        base: BaseRun | None,
        day: date,
        errors: Mapping[str, float],
    ) -> bool:
        return len(errors) % 2 == 0 and calendar_rule(self, info, kind, base, day, errors)

    monkeypatch.setattr(RetrainPolicy, "fine_tunes", odd_errors_retrain)
    fast, stepwise = _copy(ingested, tmp_path, "fast"), _copy(ingested, tmp_path, "stepwise")
    small = {**SMALL, "retrain_every": 10}
    end = date(2024, 5, 15)
    replay(
        symbol=SYMBOL, start=START, end=end, models=LEAN, policy="frozen", warehouse=fast, **small
    )
    step = StepConfig.from_settings(load_settings(), models=LEAN, policy="frozen", **small)
    replay_stepwise(symbol=SYMBOL, start=START, end=end, step=step, warehouse=stepwise)

    ours, theirs = _forecasts(fast), _forecasts(stepwise)
    assert len(ours) == 4 * 4  # naive, linear, gru and naive_vol (the point models' scale)
    pd.testing.assert_frame_equal(ours[COMPARED[:3]], theirs[COMPARED[:3]])
    numbers = ["predicted", "lower_80", "upper_80", "lower_95", "upper_95"]
    np.testing.assert_allclose(ours[numbers], theirs[numbers], rtol=1e-5)
    for path in (fast, stepwise):
        with connect(Path(path), read_only=True) as con:
            training = con.execute(
                "select r.training from model_runs r join splits s using (split_id) "
                "where r.model = 'gru' order by s.as_of_date"
            ).fetchall()
        # the 13th and 15th see 1 and 3 scored errors: retrained; the 14th sees 2: kept
        assert [t for (t,) in training] == ["full", "full", "fine_tune", "full"]
