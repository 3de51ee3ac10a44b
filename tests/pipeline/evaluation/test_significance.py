"""Diebold-Mariano and coverage on small hand-checked examples."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from pipeline.errors import InputError
from pipeline.evaluation.metrics import significance_vs_naive
from pipeline.evaluation.significance import coverage, diebold_mariano
from pipeline.forecast.point import conformal_quantile
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.training.train import train_model

CSV = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv"

ZEROS = np.zeros(4)


def test_diebold_mariano_absolute_loss_by_hand() -> None:
    # Baseline perfect, model errors 1, 2, 3, 2: d = (1, 2, 3, 2), mean 2, deviations (-1, 0, 1,
    # 0), gamma0 = 2/4, DM = 2 / sqrt(0.5/4) = sqrt(32); HLN factor sqrt((4+1-2)/4) -> sqrt(24).
    dm = diebold_mariano(ZEROS, [1.0, -2.0, 3.0, 2.0], ZEROS)
    assert dm.statistic == pytest.approx(math.sqrt(24))
    assert dm.mean_loss_difference == 2.0
    assert dm.p_value == pytest.approx(2 * stats.norm.sf(math.sqrt(24)))
    assert dm.p_value_better == pytest.approx(stats.norm.cdf(math.sqrt(24)))  # model worse


def test_diebold_mariano_squared_loss_by_hand() -> None:
    # d = (1, 4, 9, 4): mean 4.5, squared deviations sum 33, gamma0 = 8.25.
    dm = diebold_mariano(ZEROS, ZEROS, [1.0, 2.0, 3.0, 2.0], loss="squared")
    expected = -4.5 / math.sqrt(8.25 / 4) * math.sqrt(3 / 4)  # the model is the better one
    assert dm.statistic == pytest.approx(expected)
    assert dm.p_value_better == pytest.approx(stats.norm.cdf(expected))


def test_diebold_mariano_h2_adds_the_lag_one_autocovariance() -> None:
    # d = (1, 3, 3, 1): mean 2, deviations (-1, 1, 1, -1), gamma0 = 1,
    # gamma1 = (1*-1 + 1*1 + -1*1)/4 = -0.25,
    # V = 1 - 0.5 = 0.5, DM = 2 / sqrt(0.5/4); HLN factor sqrt((4+1-4+2/4)/4).
    dm = diebold_mariano(ZEROS, [1.0, 3.0, 3.0, 1.0], ZEROS, h=2)
    assert dm.statistic == pytest.approx(2 / math.sqrt(0.5 / 4) * math.sqrt(1.5 / 4))


def test_identical_forecasts_have_nothing_to_test() -> None:
    dm = diebold_mariano([1.0, 2.0, 3.0], [0.0, 2.0, 2.0], [0.0, 2.0, 2.0])
    assert math.isnan(dm.statistic) and math.isnan(dm.p_value) and dm.mean_loss_difference == 0
    with pytest.raises(InputError):
        diebold_mariano([1.0], [1.0], [1.0])


def test_coverage_counts_closed_intervals() -> None:
    actual = [1.0, 2.0, 3.0, 4.0, 5.0]
    assert coverage(actual, [0, 2, 3.5, 3, 6], [1, 3, 4, 4, 7]) == pytest.approx(3 / 5)


def test_significance_vs_naive_is_the_absolute_loss_test() -> None:
    actual, predicted, last = [1.0, 2.0, 4.0, 3.0], [1.5, 2.5, 3.0, 3.5], [0.0, 1.0, 2.0, 4.0]
    scores = significance_vs_naive(actual, predicted, last)
    dm = diebold_mariano(actual, predicted, last)
    assert scores == {"dm_statistic": dm.statistic, "dm_p_value_better": dm.p_value_better}
    assert math.isnan(significance_vs_naive(actual, last, last)["dm_statistic"])
    assert significance_vs_naive([1.0], [2.0], [1.0]) == {}


def test_a_training_run_scores_test_coverage_and_significance(tmp_path: Path) -> None:
    bars = pd.read_csv(CSV, index_col=0, nrows=150).drop(columns="code")
    bars["date"] = pd.to_datetime(bars["date"])
    config = SplitConfig(
        window=5,
        features=("open", "close"),
        target="open",
        target_kind="log_return_from_close",
        test_size=30,
        validation_size=40,
        min_train_size=20,
    )
    split = build_split(bars.reset_index(drop=True), config, symbol="600519.SH")
    result = train_model(split, "linear", run_id="r", models_dir=tmp_path)
    metrics = result.metrics.set_index(["split", "metric"])["value"]
    test = result.predictions.query("split == 'test'")
    validation = result.predictions.query("split == 'validation'")
    residuals = (validation["actual"] - validation["predicted"]).to_numpy()
    for level in (0.80, 0.95):
        q = conformal_quantile(residuals, level)
        expected = coverage(test["actual"], test["predicted"] - q, test["predicted"] + q)
        assert metrics["test", f"coverage_{round(level * 100)}"] == expected
    dm = diebold_mariano(test["actual"], test["predicted"], test["last_known"])
    assert metrics["test", "dm_statistic"] == pytest.approx(dm.statistic)
    assert ("validation", "dm_p_value_better") in metrics.index
