"""The ensemble kind: the mean of its best members by validation MAE, saved and reloaded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.evaluation.metrics import mae
from pipeline.models.registry import load_model, make_model
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.split import Split

CSV = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv"


@pytest.fixture(scope="module")
def split() -> Split:
    bars = pd.read_csv(CSV, index_col=0, nrows=200).drop(columns="code")
    bars["date"] = pd.to_datetime(bars["date"])
    config = SplitConfig(
        window=8,
        features=("open", "close", "gap"),
        target="open",
        target_kind="log_return_from_close",
        test_size=20,
        validation_size=20,
        min_train_size=10,
    )
    return build_split(bars.reset_index(drop=True), config, symbol="600519.SH")


def test_an_ensemble_of_identical_models_equals_the_model(split: Split, tmp_path: Path) -> None:
    linear = make_model("linear").fit(split)
    ensemble = make_model("ensemble", members=["linear"] * 3, top_k=3).fit(split)
    expected = linear.predict_part(split.test)
    np.testing.assert_allclose(ensemble.predict_part(split.test), expected, rtol=1e-15)
    reloaded = load_model(ensemble.save(tmp_path / "ensemble"))
    np.testing.assert_array_equal(
        reloaded.predict_part(split.test), ensemble.predict_part(split.test)
    )
    assert sorted(p.name for p in (tmp_path / "ensemble" / "members").iterdir()) == [
        "0-linear",
        "1-linear",
        "2-linear",
    ]


def test_keeps_the_top_k_by_validation_mae(split: Split) -> None:
    members = ["naive", "drift", "linear"]
    ensemble = make_model("ensemble", members=members, top_k=2).fit(split)
    scores = {
        kind: mae(
            split.validation.actual, make_model(kind).fit(split).predict_part(split.validation)
        )
        for kind in members
    }
    best_two = sorted(scores, key=scores.__getitem__)[:2]
    assert [m.alias for m in ensemble.members_] == best_two
    assert ensemble.member_maes_ == [scores[k] for k in best_two]
    mean = np.mean([make_model(k).fit(split).predict_part(split.test) for k in best_two], axis=0)
    np.testing.assert_allclose(ensemble.predict_part(split.test), mean, rtol=1e-12)


@pytest.mark.parametrize(
    ("hyperparameters", "message"),
    [({"members": ["linear", "ensemble"]}, "cannot be a member"), ({"top_k": 9}, "top_k")],
)
def test_bad_settings_are_named(split: Split, hyperparameters: dict, message: str) -> None:
    with pytest.raises(InputError, match=message):
        make_model("ensemble", **hyperparameters).fit(split)
