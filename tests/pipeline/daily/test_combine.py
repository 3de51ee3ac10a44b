"""combine_top_k: the mean of the top-k members by validation MAE, on their shared targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline.daily.combine import combine_top_k
from pipeline.errors import InputError
from pipeline.training.jobs import ModelOutcome
from tests.outcomes import outcome, prediction_rows, validation_mae

DAYS = pd.date_range("2024-01-01", periods=30, freq="D")
ACTUAL = 100 + np.cumsum(np.sin(np.arange(30)))
LAST_KNOWN = np.r_[100.0, ACTUAL[:-1]]


def _outcome(model: str, offset: float, *, status: str = "succeeded") -> ModelOutcome:
    """A fitted member whose validation predictions miss by ``offset`` (its validation MAE)."""
    return outcome(
        model,
        status=status,
        predictions=prediction_rows("validation", DAYS, ACTUAL + offset, ACTUAL, LAST_KNOWN),
        metrics=validation_mae(abs(offset)),
        next_prediction=200.0 + offset,
    )


def test_the_ensemble_is_the_mean_of_the_top_k_by_validation_mae() -> None:
    outcomes = [
        _outcome("naive", 4.0),
        _outcome("drift", -1.0),
        _outcome("linear", 2.0),
        _outcome("gru", 3.0),
        _outcome("lstm", 0.5, status="failed"),  # failed: never a member
        _outcome("naive_ewma", 0.1),  # not an ensemble member kind
    ]
    ensemble = combine_top_k(outcomes, last_known=float(ACTUAL[-1]), top_k=3)
    chosen = [m["model"] for m in ensemble.hyperparameters["combined_from"]]
    assert chosen == ["drift", "linear", "gru"]
    assert ensemble.model == "ensemble" and ensemble.status == "succeeded"
    assert ensemble.next_prediction == pytest.approx(200.0 + (-1.0 + 2.0 + 3.0) / 3)
    np.testing.assert_allclose(ensemble.predictions["predicted"], ACTUAL + (-1.0 + 2.0 + 3.0) / 3)
    assert ensemble.metric("validation", "mae") == pytest.approx(4.0 / 3)
    assert (
        ensemble.intervals["lower_80"] < ensemble.next_prediction < ensemble.intervals["upper_80"]
    )


def test_too_few_fitted_members_raise_an_input_error() -> None:
    outcomes = [_outcome("naive", 1.0), _outcome("gru", 2.0, status="failed")]
    with pytest.raises(InputError, match="top 3 needs 3 fitted models"):
        combine_top_k(outcomes, last_known=float(ACTUAL[-1]), top_k=3)
