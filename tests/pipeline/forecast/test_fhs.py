"""Filtered historical simulation: the pool's quantiles, the scale behind a point model, and a
replay whose earlier quantiles never move when a later bar changes."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.daily.realized import Realized
from pipeline.daily.replay import ReplayEngine
from pipeline.data.sources.bundled import BundledSource
from pipeline.data.symbols import get_symbol
from pipeline.forecast.calibration import Calibration
from pipeline.forecast.intervals import (
    QUANTILE_LEVELS,
    calibration_pool,
    issued_quantiles,
    quantile_forecast,
)
from pipeline.forecast.scaled import calibrate_day
from pipeline.settings import load_settings
from pipeline.step_config import StepConfig
from pipeline.training.jobs import ModelOutcome
from tests.outcomes import outcome, prediction_rows

DATES = pd.date_range("2024-01-01", periods=5, freq="D")


def test_fhs_quantiles_are_the_pools_quantiles_times_tomorrows_scale_and_price() -> None:
    rng = np.random.default_rng(4)
    pool = np.concatenate([rng.standard_normal(900), rng.standard_normal(100) * 4 - 2])  # skewed
    q = quantile_forecast(100.0, 200.0, pool, scale=0.01, window=len(pool))
    assert list(q) == list(QUANTILE_LEVELS) and q[0.5] == 100.0
    for tau in (0.01, 0.025, 0.1, 0.9, 0.975, 0.99):
        assert q[tau] == pytest.approx(100.0 + np.quantile(pool, tau) * 0.01 * 200.0)
    # the signed pool's lower tail is the longer one here: no mirror image of the upper
    assert 100.0 - q[0.01] > 1.2 * (q[0.99] - 100.0)
    # only the last ``window`` errors count
    assert quantile_forecast(0.0, 1.0, pool, scale=1.0, window=100)[0.99] == pytest.approx(
        np.quantile(pool[-100:], 0.99)
    )


def test_the_pool_takes_issued_then_validation_then_earlier_errors_by_day() -> None:
    validation = pd.DataFrame(
        {
            "date": DATES[2:],
            "actual": [102.0, 99.0, 101.0],
            "predicted": [100.0, 100.0, 100.0],
            "last_known": [100.0, 100.0, 100.0],
            "scale": [0.01, 0.02, 0.01],
        }
    )  # standardised: 2, -0.5, 1
    earlier = {"2024-01-01": 0.3, "2024-01-02": -0.7, "2024-01-03": 9.0}  # the 3rd: validation's
    realized = {"2024-01-05": -1.5}
    pool = calibration_pool(validation, realized, window=10, earlier=earlier)
    assert pool.tolist() == pytest.approx([0.3, -0.7, 2.0, -0.5, -1.5])
    assert calibration_pool(validation, realized, window=2, earlier=earlier).tolist() == [
        pytest.approx(-0.5),
        -1.5,
    ]


def _outcome(model: str, predicted: float, scale: float | None = None) -> ModelOutcome:
    rng = np.random.default_rng(len(model))
    last = 100 + rng.standard_normal(60).cumsum()
    frame = prediction_rows(
        "validation",
        pd.date_range("2024-01-01", periods=60, freq="D"),
        last + 0.1,
        last * (1 + 0.02 * rng.standard_normal(60)),
        last,
    )
    if scale is not None:
        frame["scale"] = np.linspace(0.01, 0.03, 60)
    return outcome(
        model,
        predictions=frame,
        next_prediction=predicted,
        scale=scale,
        scale_errors={f"2023-12-{d:02d}": 0.1 * d - 1.5 for d in range(1, 32)} if scale else {},
    )


def test_a_point_model_is_issued_on_the_scale_kinds_scale() -> None:
    vol, gru, naive = (
        _outcome("naive_vol", 100.0, 0.02),
        _outcome("gru", 101.0),
        _outcome("naive", 100.0),
    )
    calibration = Calibration(pool=80)
    errors = {"gru": {"2024-03-01": 0.5}}
    out = {o.model: o for o in calibrate_day([naive, gru, vol], errors, 100.0, calibration)}
    # gru: its validation errors over naive_vol's scale of each day, naive_vol's earlier pool,
    # its own issued error, tomorrow's naive_vol scale
    validation = gru.predictions.assign(scale=vol.predictions["scale"])
    expected = issued_quantiles(
        validation, 101.0, 100.0, errors["gru"], calibration, scale=0.02, earlier=vol.scale_errors
    )
    assert out["gru"].quantiles == pytest.approx(expected)
    assert out["gru"].scale == 0.02 and out["gru"].hyperparameters["interval_scale"] == "naive_vol"
    assert out["gru"].intervals["upper_95"] == out["gru"].quantiles[0.975]
    # naive is the probabilistic baseline: the flat window, no scale
    assert out["naive"].scale is None
    flat = issued_quantiles(naive.predictions, 100.0, 100.0, {}, calibration)
    assert out["naive"].quantiles == pytest.approx(flat)
    # a point model listed as flat, or a day without the scale kind: the flat window too
    kept = calibrate_day([gru, vol], {}, 100.0, Calibration(flat=("gru",)))[0]
    alone = calibrate_day([gru], {}, 100.0, calibration)[0]
    for o in (kept, alone):
        assert o.scale is None
        assert o.quantiles == pytest.approx(
            issued_quantiles(gru.predictions, 101.0, 100.0, {}, calibration)
        )


@pytest.fixture(scope="module")
def btc() -> pd.DataFrame:
    bars = BundledSource().fetch(get_symbol("BTC-USD"), date(2000, 1, 1), date(2100, 1, 1))
    return bars[~bars["is_partial"]].tail(900).reset_index(drop=True)


def _replay(bars: pd.DataFrame, days: list[date], tmp: Path) -> pd.DataFrame:
    step = StepConfig.from_settings(
        load_settings(),
        models=["naive", "linear", "naive_vol"],
        policy="frozen",
        retrain_every=20,
    )
    stored = pd.DataFrame(columns=["model", "day", "relative_error", "is_replay"])
    engine = ReplayEngine(
        get_symbol("BTC-USD"), bars, step, {}, Realized(stored, step.calibration.history)
    )
    rows = [
        {"as_of": d.as_of, "model": o.model, "scale": o.scale, **o.quantiles}
        for d in engine.run(days, engine.fitter(tmp, days))
        for o in d.outcomes
    ]
    return pd.DataFrame(rows).sort_values(["as_of", "model"]).reset_index(drop=True)


def test_a_changed_later_bar_never_moves_the_earlier_quantiles(
    btc: pd.DataFrame, tmp_path: Path
) -> None:
    """Five replayed days; every bar after the third is changed: the first three days'
    quantiles (their pools hold the replay's own scored errors by then) stay as they were."""
    days = [d.date() for d in btc["date"].iloc[-6:-1]]
    changed = btc.copy()
    later = changed["date"].dt.date > days[2]
    changed.loc[later, ["open", "high", "low", "close"]] *= 1.3
    changed.loc[later, "high"] *= 1.05
    before = _replay(btc, days, tmp_path / "a")
    after = _replay(changed, days, tmp_path / "b")
    assert set(before["model"]) == {"naive", "linear", "naive_vol"}
    assert before["scale"].notna().sum() == 2 * len(days)  # linear on naive_vol's scale
    known = before["as_of"] <= days[2]
    pd.testing.assert_frame_equal(before[known], after[known])
    assert not np.allclose(before.loc[~known, 0.99], after.loc[~known, 0.99])
