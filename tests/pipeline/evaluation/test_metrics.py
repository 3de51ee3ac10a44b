"""Each metric against a plain numpy version on a tiny example worked by hand."""

from __future__ import annotations

import numpy as np
import pytest

from pipeline.evaluation.metrics import (
    direction_accuracy,
    evaluate,
    mae,
    mape,
    mse,
    r2,
    rmse,
)
from pipeline.evaluation.naive import against_naive, skill

# Yesterday's prices, today's prices and a forecast of today: errors are 1, -2, 0, 4.
LAST = np.array([100.0, 100.0, 50.0, 200.0])
ACTUAL = np.array([101.0, 98.0, 50.0, 200.0])
PREDICTED = np.array([102.0, 96.0, 50.0, 204.0])
ERRORS = PREDICTED - ACTUAL


def test_point_losses_match_numpy() -> None:
    assert mae(ACTUAL, PREDICTED) == pytest.approx(np.mean(np.abs(ERRORS)))  # (1+2+0+4)/4
    assert mse(ACTUAL, PREDICTED) == pytest.approx(np.mean(ERRORS**2))  # (1+4+0+16)/4
    assert rmse(ACTUAL, PREDICTED) == pytest.approx(np.sqrt(21 / 4))
    # In percent: 1/101 + 2/98 + 0/50 + 4/200, averaged, times 100.
    assert mape(ACTUAL, PREDICTED) == pytest.approx(100 * np.mean(np.abs(ERRORS) / ACTUAL))
    ss_res, ss_tot = np.sum(ERRORS**2), np.sum((ACTUAL - ACTUAL.mean()) ** 2)
    assert r2(ACTUAL, PREDICTED) == pytest.approx(1 - ss_res / ss_tot)
    assert np.isnan(r2([1.0], [1.0]))  # undefined for a single target


def test_direction_accuracy_and_its_tie_rule() -> None:
    # Up/up right, down/down right, flat forecast (no call: not counted), flat day but
    # forecast up: wrong.
    assert direction_accuracy(ACTUAL, PREDICTED, LAST) == pytest.approx(2 / 3)
    # The naive forecast never moves: it calls no direction, so there is no accuracy.
    assert np.isnan(direction_accuracy(ACTUAL, LAST, LAST))


def test_a_tie_with_naive_is_neither_a_win_nor_a_loss() -> None:
    assert against_naive(895.41, 895.41) == "ties naive"  # naive_vol's point is naive's
    assert against_naive(895.41 * (1 + 1e-12), 895.41) == "ties naive"  # summed in another order
    assert against_naive(895.10, 895.41) == "beats naive"
    assert against_naive(906.23, 895.41) == "loses to naive"


def test_skill() -> None:
    assert skill(3.0, 4.0) == 0.25
    assert skill(4.0, 4.0) == 0.0
    assert np.isnan(skill(1.0, 0.0))  # naive perfect: nothing to beat


def test_evaluate_includes_the_naive_baseline() -> None:
    scores = evaluate(ACTUAL, PREDICTED, LAST)
    assert scores["mae_naive"] == pytest.approx(np.mean(np.abs(ACTUAL - LAST)))  # (1+2+0+0)/4
    assert scores["skill"] == pytest.approx(1 - (7 / 4) / (3 / 4))
    naive = evaluate(ACTUAL, LAST, LAST)
    assert naive["skill"] == 0.0 and naive["mae"] == naive["mae_naive"]
    assert set(scores) == {
        "mae",
        "rmse",
        "mse",
        "mape",
        "r2",
        "direction_accuracy",
        "mae_naive",
        "skill",
    }
