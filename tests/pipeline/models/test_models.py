"""The model contract for every kind, on a short real slice with tiny networks and 1 epoch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import keras
import numpy as np
import pandas as pd
import pytest

from pipeline.errors import InputError
from pipeline.evaluation.metrics import evaluate
from pipeline.forecast.point import forecast_next
from pipeline.models.recurrent import build_recurrent
from pipeline.models.registry import (
    MODEL_KINDS,
    NEURAL_KINDS,
    RECURRENT_KINDS,
    load_model,
    make_model,
)
from pipeline.models.traced import Batches
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.split import Split
from pipeline.training.train import train_model

CSV = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv"
TINY_NETWORK = {"units": (4,), "batch_size": 32, "patience": 2}


def moutai(nrows: int | None = None) -> pd.DataFrame:
    frame = pd.read_csv(CSV, index_col=0, nrows=nrows).drop(columns="code")
    frame["date"] = pd.to_datetime(frame["date"])
    return frame.reset_index(drop=True)


@pytest.fixture(scope="module")
def split() -> Split:
    config = SplitConfig(
        window=8,
        features=("close", "log_return"),
        test_size=20,
        validation_size=20,
        min_train_size=10,
    )
    return build_split(moutai(200), config, symbol="600519.SH")


TINY_ENSEMBLE = {"members": ["linear", "gru"], "member_hyperparameters": {"gru": TINY_NETWORK}}


def hyperparameters(kind: str) -> dict[str, Any]:
    if kind == "ensemble":
        return {**TINY_ENSEMBLE, "top_k": 2}
    return TINY_NETWORK if kind in NEURAL_KINDS else {}


KINDS = [
    pytest.param(kind, marks=pytest.mark.slow) if kind in (*NEURAL_KINDS, "ensemble") else kind
    for kind in MODEL_KINDS
]


@pytest.mark.parametrize("kind", KINDS)
def test_contract(kind: str, split: Split, tmp_path: Path) -> None:
    model = make_model(kind, **hyperparameters(kind)).fit(split, epochs=1, seed=7)
    predicted = model.predict(split.test.X, split.test.last_known)
    assert model.alias == kind
    assert predicted.shape == (len(split.test),) and np.isfinite(predicted).all()

    refit = make_model(kind, **hyperparameters(kind)).fit(split, epochs=1, seed=7)
    assert forecast_next(refit, split) == forecast_next(model, split)  # same seed, same forecast

    reloaded = load_model(model.save(tmp_path / kind))
    np.testing.assert_array_equal(reloaded.predict(split.test.X, split.test.last_known), predicted)
    assert reloaded.hyperparameters == model.hyperparameters


@pytest.mark.slow
def test_fit_never_sees_the_test_range(split: Split, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[tuple[Any, ...]] = []
    fit = keras.Model.fit

    def spy(self: keras.Model, x: Batches, **kwargs: Any) -> Any:
        seen.append((x.X, x.y, *kwargs["validation_data"]))  # the training windows, batched
        return fit(self, x, **kwargs)

    monkeypatch.setattr(keras.Model, "fit", spy)
    make_model("gru", units=(2,)).fit(split, epochs=1)
    assert len(seen) == 1
    expected = (split.X_train, split.y_train, split.X_val, split.y_val)
    assert all(a is b for a, b in zip(seen[0], expected, strict=True))


@pytest.mark.parametrize("kind", RECURRENT_KINDS)
def test_default_architecture_is_the_tutorials(kind: str) -> None:
    model = build_recurrent(kind, window=60, n_features=1)
    recurrent, dropout = model.layers[1::2][:2], model.layers[2::2][:2]
    assert [layer.units for layer in recurrent] == [80, 100]
    assert [layer.rate for layer in dropout] == [0.2, 0.2]
    assert model.output_shape == (None, 1)
    assert model.optimizer.learning_rate.numpy() == pytest.approx(1e-3)


def test_naive_metrics_are_exact(split: Split) -> None:
    naive = make_model("naive").fit(split)
    scores = evaluate(
        split.test.actual, naive.predict(split.test.X, split.test.last_known), split.test.last_known
    )
    assert (
        scores["mae"] == scores["mae_naive"] == np.mean(np.abs(np.diff(moutai(200)["close"])[-20:]))
    )
    assert scores["skill"] == 0.0


def test_naive_reproduces_the_tutorial_figure() -> None:
    # The tutorial: last 300 rows test, 60-day windows of `open` -> 240 test targets, naive 14.71.
    config = SplitConfig(window=60, features=("open",), target="open", test_size=240)
    split = build_split(moutai(), config, symbol="600519.SH")
    naive = make_model("naive").fit(split)
    scores = evaluate(
        split.test.actual, naive.predict(split.test.X, split.test.last_known), split.test.last_known
    )
    assert round(scores["mae"], 2) == 14.71


def test_train_model_scores_and_saves(split: Split, tmp_path: Path) -> None:
    result = train_model(split, "linear", run_id="r1", models_dir=tmp_path)
    assert Path(result.artifact_uri) == (tmp_path / "600519.SH" / "linear" / "r1").resolve()
    assert (result.backend, result.status) == (None, "succeeded")  # no Keras in a linear fit
    assert result.device == "cpu"
    assert set(result.predictions["split"]) == {"validation", "test"}
    assert (result.predictions["split"] == "validation").sum() == len(split.validation)
    test_mae = result.metrics.query("split == 'test' and metric == 'mae'")["value"].item()
    reloaded = load_model(result.artifact_uri)
    test = result.predictions.query("split == 'test'")
    assert test_mae == pytest.approx(np.mean(np.abs(test["actual"] - test["predicted"])))
    np.testing.assert_array_equal(
        reloaded.predict(split.test.X, split.test.last_known), test["predicted"]
    )


def test_unknown_kind_and_hyperparameter_list_the_choices() -> None:
    with pytest.raises(InputError, match=r"naive.*drift.*linear.*rnn.*gru.*lstm"):
        make_model("prophet")
    with pytest.raises(InputError, match="units"):
        make_model("gru", unit=3)


def test_a_close_anchored_model_needs_the_anchor() -> None:
    config = SplitConfig(
        window=5,
        features=("open", "close"),
        target="open",
        target_kind="log_return_from_close",
        test_size=20,
        validation_size=20,
        min_train_size=10,
    )
    split = build_split(moutai(120), config, symbol="600519.SH")
    model = make_model("linear").fit(split)
    with pytest.raises(InputError, match="close prices as anchor"):
        model.predict(split.test.X, split.test.last_known)
    # Predicting a zero return from the close gives the last close back.
    zero = split.target_scaler.transform(np.zeros((1, 1)))[0, 0]
    model.coef_, model.intercept_ = np.zeros_like(model.coef_), float(zero)
    np.testing.assert_allclose(model.predict_part(split.test), split.test.anchor, rtol=1e-12)
    naive = make_model("naive").fit(split)  # persistence stays "next open = this open"
    np.testing.assert_array_equal(naive.predict_part(split.test), split.test.last_known)
