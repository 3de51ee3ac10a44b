"""Rolling interval calibration and the daily ensemble, on small hand-checked examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.daily.combine import combine_top_k
from pipeline.errors import InputError
from pipeline.forecast.intervals import (
    calibration_pool,
    interval_bounds,
    quantile_forecast,
    relative_errors,
)
from pipeline.training.jobs import ModelOutcome
from tests.outcomes import mean_abs_error, outcome, prediction_rows, validation_mae

DATES = pd.date_range("2024-01-01", periods=5, freq="D")
ACTUAL = np.array([101.0, 99.0, 102.0, 100.0, 103.0])
LAST_KNOWN = np.array([100.0, 101.0, 99.0, 102.0, 100.0])


def _validation(predicted: np.ndarray) -> pd.DataFrame:
    return prediction_rows("validation", DATES, predicted, ACTUAL, LAST_KNOWN)


def test_relative_errors_are_shares_of_the_price_they_started_from() -> None:
    assert relative_errors([110.0, 90.0], [100.0, 100.0], [100.0, 50.0]).tolist() == [0.1, -0.2]


def test_scored_forecasts_replace_validation_errors_and_the_window_keeps_the_newest() -> None:
    validation = _validation(LAST_KNOWN)  # naive: errors 1/100, -2/101, 3/99, -2/102, 3/100
    pool = calibration_pool(validation, {"2024-01-05": 0.5, "2024-01-04": -0.25}, window=3)
    assert pool.tolist() == pytest.approx([3 / 99, -0.25, 0.5])
    # a scored day older than the validation range still sorts by date
    pool = calibration_pool(validation, {"2023-12-31": 9.0}, window=6)
    assert pool[0] == 9.0 and len(pool) == 6
    # a non-finite error (a forecast with no price) is left out, not allowed to break intervals
    pool = calibration_pool(validation, {"2024-01-05": float("nan")}, window=5)
    assert pool.tolist() == pytest.approx([1 / 100, -2 / 101, 3 / 99, -2 / 102])


def test_interval_bounds_scale_the_conformal_quantile_by_the_last_price() -> None:
    pool = np.arange(1, 20) / 100  # |errors| 1%..19%, n = 19
    # 80%: rank ceil(20 * 0.8) = 16 -> 16%; 95%: rank ceil(19) = 19 -> 19%.
    bounds = interval_bounds(quantile_forecast(210.0, 200.0, pool))
    assert bounds == pytest.approx(
        {"lower_80": 178.0, "upper_80": 242.0, "lower_95": 172.0, "upper_95": 248.0}
    )
    assert set(interval_bounds(quantile_forecast(210.0, 200.0, pool[:9]))) == {
        "lower_80",
        "upper_80",
    }


def _outcome(model: str, predicted: np.ndarray, forecast: float) -> ModelOutcome:
    validation = _validation(predicted)
    return outcome(
        model,
        predictions=validation,
        metrics=validation_mae(mean_abs_error(validation)),
        next_prediction=forecast,
    )


def test_the_ensemble_averages_the_top_k_by_validation_mae() -> None:
    outcomes = [
        _outcome("naive", LAST_KNOWN, 103.0),  # mae 2.2
        _outcome("good", ACTUAL + 0.5, 104.0),  # mae 0.5
        _outcome("fair", ACTUAL - 1.0, 106.0),  # mae 1.0
        _outcome("poor", ACTUAL + 5.0, 200.0),  # mae 5.0
    ]
    ensemble = combine_top_k(
        outcomes, last_known=103.0, top_k=2, members=("naive", "good", "fair", "poor")
    )
    assert ensemble.model == "ensemble"
    assert ensemble.next_prediction == pytest.approx(105.0)
    lineage = ensemble.hyperparameters["combined_from"]
    assert [m["model"] for m in lineage] == ["good", "fair"]
    assert ensemble.predictions["predicted"].tolist() == pytest.approx((ACTUAL - 0.25).tolist())
    assert ensemble.metric("validation", "mae") == pytest.approx(0.25)
    assert ensemble.metric("validation", "mae_naive") == pytest.approx(2.2)
    assert {"lower_80", "upper_80"} <= set(ensemble.intervals)


def test_an_ensemble_of_identical_outcomes_equals_the_outcome() -> None:
    same = [_outcome("linear", ACTUAL + 0.5, 104.0) for _ in range(3)]
    ensemble = combine_top_k(same, last_known=103.0, top_k=3)
    assert ensemble.next_prediction == 104.0
    assert ensemble.metric("validation", "mae") == same[0].metric("validation", "mae")


def test_an_ensemble_needs_enough_fitted_members() -> None:
    with pytest.raises(InputError, match="top 3 needs 3"):
        combine_top_k([_outcome("naive", LAST_KNOWN, 103.0)], last_known=103.0, top_k=3)
    not_members = [_outcome("rnn", ACTUAL, 104.0) for _ in range(3)]
    with pytest.raises(InputError, match="top 3 needs 3"):
        combine_top_k(not_members, last_known=103.0, top_k=3)
