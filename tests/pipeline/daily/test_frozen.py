"""predict_block: one batched predict over a block of days, sliced back into each day's share."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.daily.frozen import predict_block
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.split import Split

CSV = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv"
CONFIG = SplitConfig(
    window=8, features=("close", "log_return"), test_size=0, validation_size=15, min_train_size=10
)


class Stub:
    """A frozen model whose forecast of a window depends on that window and its anchors only."""

    def __init__(self, scaled: bool) -> None:
        self.scaled = scaled
        self.calls = 0

    def predict(self, X: np.ndarray, known: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        self.calls += 1
        return known + X[:, -1, 0] * 1e-3 + anchor * 1e-6

    def window_scales(
        self, X: np.ndarray, known: np.ndarray, anchor: np.ndarray
    ) -> np.ndarray | None:
        return np.abs(X[:, :, 1]).mean(axis=1) + 1e-4 if self.scaled else None


@pytest.fixture(scope="module")
def splits() -> list[Split]:
    """Three consecutive days of Moutai: each day's split sees the bars up to that day."""
    frame = pd.read_csv(CSV, index_col=0, nrows=120).drop(columns="code")
    frame["date"] = pd.to_datetime(frame["date"])
    return [build_split(frame.iloc[:n], CONFIG, symbol="600519.SH") for n in (100, 101, 102)]


def _alone(split: Split) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return (
        np.concatenate([split.validation.X, split.latest_window]),
        np.append(split.validation.last_known, split.latest_known),
        np.append(split.validation.anchor, split.latest_anchor),
    )


@pytest.mark.parametrize("scaled", [False, True])
def test_each_day_gets_its_own_validation_targets_then_its_next_day(
    splits: list[Split], scaled: bool
) -> None:
    model = Stub(scaled)
    days = predict_block(model, splits)  # type: ignore[arg-type]
    assert model.calls == 1  # one batched predict for the block
    assert [d.split for d in days] == splits
    for day, split in zip(days, splits, strict=True):
        assert len(day.prices) == len(split.validation) + 1
        np.testing.assert_array_equal(day.prices, Stub(scaled).predict(*_alone(split)))
        if scaled:
            np.testing.assert_array_equal(day.scales, model.window_scales(*_alone(split)))
        else:
            assert day.scales is None
