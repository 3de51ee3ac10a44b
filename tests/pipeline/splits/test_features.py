"""The derived features of the registry, checked against hand computations, and never look ahead."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.features import FEATURES, VOLUME_Z_WINDOW

CSV = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv"


def moutai(n: int = 80) -> pd.DataFrame:
    frame = pd.read_csv(CSV, index_col=0, nrows=n).drop(columns="code")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.reset_index(drop=True)


def feature(name: str, bars: pd.DataFrame, target: str = "open") -> np.ndarray:
    return FEATURES[name].compute(bars, target)


def test_price_features_equal_hand_computations() -> None:
    bars = moutai()
    o, c, h, lo = (bars[k].to_numpy() for k in ("open", "close", "high", "low"))
    np.testing.assert_allclose(feature("range_rel", bars), (h - lo) / c)
    np.testing.assert_allclose(feature("intraday", bars), np.log(c / o))
    np.testing.assert_allclose(feature("gap", bars)[1:], np.log(o[1:] / c[:-1]))
    np.testing.assert_allclose(feature("log_return", bars, "open")[1:], np.log(o[1:] / o[:-1]))
    assert np.isnan(feature("gap", bars)[0])


def test_volume_z_scores_the_trailing_window_only() -> None:
    bars = moutai()
    z = feature("volume_z", bars)
    t = 30
    trailing = np.log1p(bars["volume"].to_numpy()[t - VOLUME_Z_WINDOW + 1 : t + 1])
    assert z[t] == pytest.approx((trailing[-1] - trailing.mean()) / trailing.std())
    assert np.isnan(z[: VOLUME_Z_WINDOW - 1]).all() and np.isfinite(z[VOLUME_Z_WINDOW - 1 :]).all()
    flat = bars.assign(volume=1000.0)
    assert (feature("volume_z", flat)[VOLUME_Z_WINDOW - 1 :] == 0).all()  # no division by zero


def test_day_of_week_is_a_point_on_the_weekly_circle() -> None:
    bars = moutai(5)  # 2010-04-26 is a Monday
    angle = 2 * np.pi * np.arange(5) / 7
    np.testing.assert_allclose(feature("dow_sin", bars), np.sin(angle), atol=1e-12)
    np.testing.assert_allclose(feature("dow_cos", bars), np.cos(angle), atol=1e-12)


@pytest.mark.parametrize("name", sorted(FEATURES))
def test_no_feature_reads_a_later_bar(name: str) -> None:
    bars = moutai()
    later = bars.copy()
    later.loc[50:, ["open", "high", "low", "close", "volume"]] *= 3.0
    np.testing.assert_array_equal(feature(name, later)[:50], feature(name, bars)[:50])


def test_split_with_every_derived_feature_drops_the_lookback() -> None:
    derived = ("gap", "intraday", "range_rel", "volume_z", "dow_sin", "dow_cos")
    config = SplitConfig(
        window=5,
        features=derived,
        target="open",
        test_size=10,
        validation_size=10,
        min_train_size=10,
    )
    bars = moutai()
    split = build_split(bars, config, symbol="600519.SH")
    assert config.lookback == VOLUME_Z_WINDOW - 1
    assert split.X_train.shape[1:] == (5, len(derived)) and np.isfinite(split.X_train).all()
    # The first window starts at the first bar whose volume z-score is defined.
    first = split.feature_scaler.transform(
        np.column_stack([feature(f, bars) for f in derived])[VOLUME_Z_WINDOW - 1]
    )
    np.testing.assert_allclose(split.X_train[0, 0], first, rtol=1e-6)
    assert len(build_split(bars, replace(config, features=("open",)), symbol="X").train) > len(
        split.train
    )
