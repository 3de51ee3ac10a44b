"""The proper scores of pipeline.evaluation.probabilistic agree with scoringrules."""

from __future__ import annotations

import numpy as np
import pytest
import scoringrules as sr

from pipeline.evaluation.probabilistic import crps_from_quantiles, interval_score, pinball_loss

LEVELS = np.array([0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.975, 0.99])


@pytest.fixture
def forecasts() -> tuple[np.ndarray, np.ndarray]:
    """200 actuals and their quantiles (rows) at LEVELS: skewed, so no score is symmetric."""
    rng = np.random.default_rng(22)
    centre = 100 + rng.normal(0, 5, 200)
    spread = rng.uniform(0.5, 3.0, 200)
    offsets = np.sort(rng.standard_t(3, (200, len(LEVELS))), axis=1)
    quantiles = centre[:, None] + spread[:, None] * offsets * (1.4 - LEVELS)
    actual = centre + rng.normal(0, 3, 200)
    return actual, np.sort(quantiles, axis=1)


def test_interval_scores_agree(forecasts: tuple[np.ndarray, np.ndarray]) -> None:
    actual, q = forecasts
    for level, (low, high) in ((0.8, (3, 7)), (0.95, (1, 9)), (0.98, (0, 10))):
        expected = sr.interval_score(actual, q[:, low], q[:, high], 1 - level).mean()
        assert interval_score(actual, q[:, low], q[:, high], level) == pytest.approx(expected)


def test_pinball_loss_and_crps_agree(forecasts: tuple[np.ndarray, np.ndarray]) -> None:
    actual, q = forecasts
    by_level = {float(tau): q[:, i] for i, tau in enumerate(LEVELS)}
    scores = [sr.quantile_score(actual, q[:, i], tau) for i, tau in enumerate(LEVELS)]
    assert pinball_loss(actual, by_level) == pytest.approx(np.mean(scores))
    expected = sr.crps_quantile(actual, q, LEVELS).mean()
    assert crps_from_quantiles(actual, by_level) == pytest.approx(expected)
