"""Warm-start fine-tuning: a saved model continues training on newer bars at its own scale."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.models.recurrent import RecurrentModel
from pipeline.models.registry import load_model, make_model
from pipeline.models.traced import Batches
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.split import Split
from pipeline.training.train import finetune_model, train_model

pytestmark = pytest.mark.slow  # trains real Keras models

CSV = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv"
SYMBOL = "600519.SH"
CONFIG = SplitConfig(
    window=10,
    features=("close", "log_return"),
    test_size=20,
    validation_size=20,
    min_train_size=30,
)
TINY_GRU = {"units": (8, 8), "batch_size": 32, "patience": 2}
RECENT = 40


def moutai(nrows: int) -> pd.DataFrame:
    frame = pd.read_csv(CSV, index_col=0, nrows=nrows).drop(columns="code")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.reset_index(drop=True)


def load_gru(directory: Path) -> RecurrentModel:
    model = load_model(directory)
    assert isinstance(model, RecurrentModel)
    return model


@pytest.fixture(scope="module")
def saved_gru(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A GRU fully trained (1 epoch) on the first 150 bars, saved as run ``full``."""
    split = build_split(moutai(150), CONFIG, symbol=SYMBOL)
    models_dir = tmp_path_factory.mktemp("models")
    result = train_model(
        split, "gru", run_id="full", models_dir=models_dir, epochs=1, hyperparameters=TINY_GRU
    )
    return Path(result.artifact_uri)


@pytest.fixture(scope="module")
def newer(saved_gru: Path) -> Split:
    """30 more trading days, scaled as the saved model was trained."""
    return build_split(moutai(180), CONFIG, symbol=SYMBOL, scalers=load_model(saved_gru).scalers())


def test_fine_tune_continues_from_the_saved_weights(
    saved_gru: Path, newer: Split, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    fit = keras.Model.fit

    def spy(self: keras.Model, x: Batches, **kwargs: Any) -> Any:
        calls.append(
            {
                "weights": self.get_weights(),
                "arrays": (x.X, x.y, *kwargs["validation_data"]),
                "adam": (float(self.optimizer.learning_rate), int(self.optimizer.iterations)),
            }
        )
        return fit(self, x, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    # NaN test targets and windows: had any of them reached training, the loss would be NaN.
    poisoned = replace(
        newer, test=replace(newer.test, X=newer.test.X * np.nan, y=newer.test.y * np.nan)
    )
    model = load_gru(saved_gru)
    loaded = model.model_.get_weights()
    model.fine_tune(poisoned, epochs=1, seed=3, recent=RECENT)

    assert len(calls) == 1
    for started, saved in zip(calls[0]["weights"], loaded, strict=True):
        np.testing.assert_array_equal(started, saved)
    assert any(
        not np.array_equal(now, saved)
        for now, saved in zip(model.model_.get_weights(), loaded, strict=True)
    )
    x, y, x_val, y_val = calls[0]["arrays"]
    np.testing.assert_array_equal(x, newer.X_train[-RECENT:])
    np.testing.assert_array_equal(y, newer.y_train[-RECENT:])
    assert x_val is newer.X_val and y_val is newer.y_val
    assert np.isfinite(model.history_["val_loss"]).all()
    assert model.epochs_run_ == 1 and len(model.history_["loss"]) == 2  # 1 trained + 1 tuned
    assert calls[0]["adam"] == (pytest.approx(0.5e-3), 0)  # a fresh Adam at half the rate


def test_mismatched_split_names_the_difference(saved_gru: Path, newer: Split) -> None:
    model = load_model(saved_gru)
    refit = build_split(moutai(180), CONFIG, symbol=SYMBOL)  # its own, newly fitted scalers
    with pytest.raises(InputError, match=r"scaler parameters \(features, target\).*scalers\("):
        model.fine_tune(refit, epochs=1)
    wider = build_split(
        moutai(180), replace(CONFIG, window=12), symbol=SYMBOL, scalers=model.scalers()
    )
    with pytest.raises(InputError, match="window 12 differs from the model's 10"):
        model.fine_tune(wider, epochs=1)
    with pytest.raises(InputError, match="recent"):
        model.fine_tune(newer, epochs=1, recent=0)
    with pytest.raises(InputError, match="not fitted"):
        make_model("gru").fine_tune(newer, epochs=1)


def test_finetune_model_saves_a_reloadable_artifact(
    saved_gru: Path, newer: Split, tmp_path: Path
) -> None:
    result = finetune_model(
        newer, saved_gru, run_id="tuned", models_dir=tmp_path, epochs=1, recent=RECENT
    )
    assert Path(result.artifact_uri) == (tmp_path / SYMBOL / "gru" / "tuned").resolve()
    assert result.hyperparameters == {
        **TINY_GRU,
        "dropout": 0.2,
        "learning_rate": 1e-3,
        "fine_tuned_from": str(saved_gru),
        "fine_tune_epochs": 1,
        "recent": RECENT,
    }
    assert result.epochs_run == 1
    assert set(result.metrics["split"]) == {"validation", "test"}

    reloaded = load_model(result.artifact_uri)
    test = result.predictions.query("split == 'test'")
    np.testing.assert_array_equal(
        reloaded.predict(newer.test.X, newer.test.last_known), test["predicted"]
    )
    assert reloaded.scaler_params_ == newer.scaler_params
    assert len(load_gru(saved_gru).history_["loss"]) == 1  # the source is left as it was
    with pytest.raises(InputError, match="run_id other than 'full'"):
        finetune_model(newer, saved_gru, run_id="full", models_dir=saved_gru.parents[2])


@pytest.mark.parametrize("kind", ["naive", "drift", "linear"])
def test_baseline_fine_tune_is_a_refit(kind: str, tmp_path: Path) -> None:
    first = build_split(moutai(150), CONFIG, symbol=SYMBOL)
    saved = load_model(make_model(kind).fit(first).save(tmp_path / kind))
    split = build_split(moutai(180), CONFIG, symbol=SYMBOL, scalers=saved.scalers())
    tuned = saved.fine_tune(split, epochs=1, recent=RECENT)
    refit = make_model(kind).fit(split)
    np.testing.assert_array_equal(
        tuned.predict(split.test.X, split.test.last_known),
        refit.predict(split.test.X, split.test.last_known),
    )


def test_a_fine_tune_from_memory_equals_one_from_disk(
    saved_gru: Path, newer: Split, tmp_path: Path
) -> None:
    warm = load_gru(saved_gru)
    warm.fine_tune(newer, epochs=1, seed=3, recent=RECENT)  # its dropout generators moved on
    reloaded = load_gru(warm.save(tmp_path / "tuned"))  # a saved model keeps no generator state
    for model in (warm, reloaded):
        model.fine_tune(newer, epochs=1, seed=4, recent=RECENT)
    for a, b in zip(warm.model_.get_weights(), reloaded.model_.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
