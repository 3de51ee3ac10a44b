"""Predictive distributions: proper scores by hand, non-crossing quantiles, volatility models that
see only what was known that day, and ACI's recovery after a volatility step."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.data.sources.bundled import BundledSource
from pipeline.data.symbols import get_symbol
from pipeline.evaluation.probabilistic import (
    distribution_scores,
    interval_score,
    model_confidence_set,
    pinball_loss,
    spa_vs_naive,
    tercile_coverage,
)
from pipeline.forecast.calibration import CALIBRATION_WINDOW
from pipeline.forecast.intervals import (
    ACI_GAMMA,
    QUANTILE_LEVELS,
    interval_bounds,
    quantile_forecast,
)
from pipeline.models.registry import VOLATILITY_KINDS, load_model, make_model
from pipeline.splits.build import build_split
from pipeline.splits.split import Split
from pipeline.training.presets import get_preset
from pipeline.training.train import score_parts


def test_pinball_loss_by_hand() -> None:
    # y = 10; q0.1 = 8 -> 0.1 * 2 = 0.2; q0.9 = 11 -> (0.9 - 1) * (10 - 11) = 0.1
    # y = 5;  q0.1 = 6 -> (0.1 - 1) * (5 - 6) = 0.9; q0.9 = 7 -> 0.1 * 2 = 0.2
    loss = pinball_loss([10.0, 5.0], {0.1: [8.0, 6.0], 0.9: [11.0, 7.0]})
    assert loss == pytest.approx((0.2 + 0.1 + 0.9 + 0.2) / 4)


def test_interval_score_by_hand() -> None:
    # width 2 each; 80% (alpha 0.2): a miss of 1 below costs 2 / 0.2 * 1 = 10, of 0.5 above 5
    score = interval_score([5.0, 0.0, 3.5], [4.0, 1.0, 1.0], [6.0, 3.0, 3.0], 0.8)
    assert score == pytest.approx((2 + 12 + 7) / 3)


def test_tercile_coverage_by_hand() -> None:
    actual = np.array([1.0, 5.0, 1.0, 5.0, 1.0, 5.0])
    lower, upper = np.zeros(6), np.full(6, 2.0)  # inside when actual is 1
    volatility = np.array([0.1, 0.2, 0.3, 0.4, 0.5, 0.9])  # terciles: days 0-1, 2-3, 4-5
    assert tercile_coverage(actual, lower, upper, volatility) == {
        "low": 0.5,
        "mid": 0.5,
        "high": 0.5,
    }
    volatility = np.array([0.1, 0.9, 0.2, 0.8, 0.3, 0.7])  # calm days are the covered ones
    assert tercile_coverage(actual, lower, upper, volatility) == {
        "low": 1.0,
        "mid": 0.5,
        "high": 0.0,
    }


HISTORY_WINDOW = 2 * CALIBRATION_WINDOW  # what today's ACI replays: 60 days, each on 60 before


@pytest.mark.parametrize(
    ("scale", "aci_step", "signed"),
    [(None, 0.0, True), (0.02, 0.0, True), (0.02, ACI_GAMMA, True), (0.02, ACI_GAMMA, False)],
)
def test_quantiles_never_cross_and_the_intervals_are_the_matching_quantiles(
    scale: float | None, aci_step: float, signed: bool
) -> None:
    rng = np.random.default_rng(0)
    for _ in range(20):
        # skewed errors: the signed quantiles are asymmetric, and still never cross
        history = rng.standard_t(3, size=HISTORY_WINDOW) * rng.uniform(0.5, 3) + rng.uniform(-1, 1)
        quantiles = quantile_forecast(
            100.0, 98.0, history, scale=scale, aci_step=aci_step, signed=signed
        )
        assert list(quantiles) == list(QUANTILE_LEVELS)
        values = list(quantiles.values())
        assert values == sorted(values) and quantiles[0.5] == 100.0
        bounds = interval_bounds(quantiles)
        assert (bounds["lower_80"], bounds["upper_80"]) == (quantiles[0.1], quantiles[0.9])
        assert (bounds["lower_95"], bounds["upper_95"]) == (quantiles[0.025], quantiles[0.975])


def test_aci_coverage_returns_to_nominal_within_the_window_after_a_volatility_step() -> None:
    """Standardised errors whose scale triples on day 300 (a model whose scale missed the
    change): the 80% interval under-covers at first, and from ``CALIBRATION_WINDOW`` days after
    the step its coverage is back within 5 points of nominal."""
    rng = np.random.default_rng(1)
    step, days = 300, 560
    errors = rng.standard_normal(days) * np.where(np.arange(days) >= step, 3.0, 1.0)
    inside = np.zeros(days, dtype=bool)
    for t in range(HISTORY_WINDOW, days):
        past = errors[t - HISTORY_WINDOW : t]  # |z| 60 with ACI: the calibration before FHS
        q = quantile_forecast(0.0, 1.0, past, scale=1.0, aci_step=ACI_GAMMA, signed=False)
        inside[t] = q[0.1] <= errors[t] <= q[0.9]
    before = inside[HISTORY_WINDOW:step].mean()
    shock = inside[step : step + 20].mean()
    after = inside[step + CALIBRATION_WINDOW :].mean()
    assert abs(before - 0.8) < 0.06
    assert shock < 0.7  # the step is felt
    assert abs(after - 0.8) < 0.05


@pytest.fixture(scope="module")
def btc_bars() -> pd.DataFrame:
    bars = BundledSource().fetch(get_symbol("BTC-USD"), date(2000, 1, 1), date(2100, 1, 1))
    return bars[~bars["is_partial"]].tail(700).reset_index(drop=True)


def _split(bars: pd.DataFrame, features: tuple[str, ...] | None = None) -> Split:
    config = get_preset("default").split_config("close", test_size=60, validation_size=120)
    if features is not None:
        config = replace(config, features=features)
    return build_split(bars, config, symbol="BTC-USD")


@pytest.mark.parametrize("kind", VOLATILITY_KINDS)
@pytest.mark.parametrize("features", [None, ("open", "high", "low", "close")])
def test_volatility_forecasts_use_only_what_was_known_that_day(
    btc_bars: pd.DataFrame, kind: str, features: tuple[str, ...] | None
) -> None:
    split = _split(btc_bars, features)
    model = make_model(kind).fit(split)
    scales = model.predict_scale(split)
    assert scales is not None and (scales["test"] > 0).all()
    # Change the bar 30 samples into the test range (its close, high and low): sample i's
    # window ends on bar i, so the scales of the samples before it must not move.
    k = len(btc_bars) - 30
    changed = btc_bars.copy()
    changed.loc[k, ["high", "close"]] *= 1.2
    changed.loc[k, "low"] *= 0.8
    moved = model.predict_scale(
        build_split(changed, split.config, symbol="BTC-USD", scalers=model.scalers())
    )
    assert moved is not None
    first_affected = len(split.test) - 30  # the test sample whose window ends on bar k
    np.testing.assert_array_equal(scales["train"], moved["train"])
    np.testing.assert_array_equal(scales["validation"], moved["validation"])
    np.testing.assert_array_equal(scales["test"][:first_affected], moved["test"][:first_affected])
    assert not np.allclose(scales["test"][first_affected:], moved["test"][first_affected:])
    # the point stays naive's, and a reload gives the same scales
    np.testing.assert_array_equal(model.predict_part(split.test), split.test.last_known)


def test_a_saved_volatility_model_reloads_its_scales(
    btc_bars: pd.DataFrame, tmp_path: Path
) -> None:
    split = _split(btc_bars)
    model = make_model("naive_garch").fit(split)
    reloaded = load_model(model.save(tmp_path / "m"))
    a, b = model.predict_scale(split), reloaded.predict_scale(split)
    assert a is not None and b is not None
    np.testing.assert_allclose(a["latest"], b["latest"])


def test_distribution_scores_put_the_baseline_beside_the_model() -> None:
    rng = np.random.default_rng(2)
    last = 100 + rng.standard_normal(200).cumsum()
    frame = pd.DataFrame(
        {"last_known": last, "actual": last * (1 + 0.01 * rng.standard_normal(200))}
    )
    frame["predicted"] = frame["last_known"]
    validation, test = frame.iloc[:120], frame.iloc[120:]
    scores = distribution_scores(test, validation)
    # naive scored against itself: the model's scores are the baseline's
    for name in ("interval_score_80", "interval_score_95", "pinball_loss", "width_95"):
        assert scores[name] == pytest.approx(scores[f"naive_{name}"])
    assert scores["width_95"] > scores["width_80"] > 0


def test_every_run_scores_its_validation_intervals(btc_bars: pd.DataFrame) -> None:
    """In-sample: the interval champion's basis while a model has few scored days."""
    config = get_preset("default").split_config("close", test_size=0, validation_size=120)
    split = build_split(btc_bars, config, symbol="BTC-USD")  # a daily run's: no test range
    model = make_model("naive_ewma").fit(split)
    predictions, metrics = score_parts(
        split, {"validation": model.predict_part(split.validation)}, model.predict_scale(split)
    )
    scored = metrics.set_index(["split", "metric"])["value"]
    validation = predictions[predictions["split"] == "validation"]
    expected = distribution_scores(validation, validation)
    assert scored["validation", "interval_score_95"] == expected["interval_score_95"] > 0
    assert scored["validation", "naive_interval_score_95"] > 0
    assert "test" not in set(metrics["split"])


def test_spa_finds_a_clearly_better_model() -> None:
    rng = np.random.default_rng(3)
    baseline = rng.exponential(1.0, 300)
    models = np.column_stack([baseline * 0.7, baseline + rng.normal(0, 0.1, 300)])
    assert spa_vs_naive(baseline, models, reps=200)["consistent"] < 0.05


def test_the_model_confidence_set_drops_the_worse_models() -> None:
    rng = np.random.default_rng(3)
    baseline = rng.exponential(1.0, 300)
    losses = pd.DataFrame(
        {"naive": baseline, "better": baseline * 0.7, "worse": baseline * 1.3 + 0.1}
    )
    pvalues = model_confidence_set(losses, size=0.1, reps=200)
    assert pvalues["better"] == 1.0  # the best model is always in the set
    assert pvalues["naive"] < 0.1 and pvalues["worse"] < 0.1


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["lstm_dist"])  # gru_dist: the same class, another cell
def test_distributional_recurrent_models_learn_a_scale(
    btc_bars: pd.DataFrame, kind: str, tmp_path: Path
) -> None:
    split = _split(btc_bars)
    model = make_model(kind, units=(8,), batch_size=128).fit(split, epochs=2)
    scales = model.predict_scale(split)
    assert scales is not None and scales["latest"].shape == (1,)
    assert all((scales[part] > 0).all() for part in ("validation", "test", "latest"))
    assert model.predict_part(split.test).shape == (len(split.test),)
    reloaded = load_model(model.save(tmp_path / kind))
    np.testing.assert_allclose(reloaded.predict_scale(split)["latest"], scales["latest"], rtol=1e-5)  # type: ignore[index]
    reloaded.fine_tune(
        build_split(btc_bars, split.config, symbol="BTC-USD", scalers=model.scalers()), epochs=1
    )
    assert reloaded.epochs_run_ == 1
