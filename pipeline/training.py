"""Fit or fine-tune a model on a Split, score it per range and save the artifact. No database."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import InputError
from pipeline.metrics import evaluate
from pipeline.models.base import EpochCallback, ForecastModel
from pipeline.models.registry import load_model, make_model
from pipeline.splits import Split

STATUS_SUCCEEDED = "succeeded"
SCORED_PARTS = ("validation", "test")


@dataclass
class TrainResult:
    """What a training run produced; the caller decides where to record it."""

    model: ForecastModel
    run_id: str
    hyperparameters: dict[str, Any]
    backend: str
    device: str
    epochs_run: int
    train_seconds: float
    artifact_uri: str  # absolute path of the saved model directory
    status: str
    predictions: pd.DataFrame  # split, date, predicted, actual, last_known
    metrics: pd.DataFrame  # split, metric, value (long form)
    validation_residuals: np.ndarray  # actual - predicted prices, for conformal intervals


def keras_runtime() -> tuple[str, str]:
    """(Keras backend name, "gpu:<name>" or "cpu").

    The one place a backend-specific import is allowed; each is imported lazily so only the
    active backend needs to be installed.
    """
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        if gpus:
            details = tf.config.experimental.get_device_details(gpus[0])
            return backend, f"gpu:{details.get('device_name', gpus[0].name)}"
    elif backend == "jax":
        import jax

        gpus = [d for d in jax.devices() if d.platform == "gpu"]
        if gpus:
            return backend, f"gpu:{gpus[0].device_kind}"
    elif backend == "torch":
        import torch

        if torch.cuda.is_available():
            return backend, f"gpu:{torch.cuda.get_device_name(0)}"
    return backend, "cpu"


def train_model(
    split: Split,
    kind: str,
    *,
    run_id: str,
    models_dir: Path,
    epochs: int = 50,
    seed: int = 42,
    hyperparameters: dict[str, Any] | None = None,
    on_epoch: EpochCallback | None = None,
) -> TrainResult:
    """Fit ``kind`` on the training range (validation for early stopping/selection only),
    predict validation and test (test only to score), and save to
    ``models_dir/<symbol>/<kind>/<run_id>/``."""
    model = make_model(kind, **(hyperparameters or {}))
    started = time.perf_counter()
    model.fit(split, epochs=epochs, seed=seed, on_epoch=on_epoch)
    train_seconds = time.perf_counter() - started
    return _score_and_save(
        model,
        split,
        run_id=run_id,
        models_dir=models_dir,
        train_seconds=train_seconds,
        hyperparameters=model.hyperparameters,
    )


def finetune_model(
    split: Split,
    artifact_dir: Path,
    *,
    run_id: str,
    models_dir: Path,
    epochs: int = 3,
    seed: int = 42,
    recent: int = 250,
    on_epoch: EpochCallback | None = None,
) -> TrainResult:
    """Warm-start the model saved in ``artifact_dir``: ``fine_tune`` it on ``split`` (built with
    its scalers), then score and save it to ``models_dir/<symbol>/<kind>/<run_id>/`` as
    :func:`train_model` does. ``hyperparameters`` adds ``fine_tuned_from`` (the source artifact),
    ``fine_tune_epochs`` (the most epochs asked for; ``epochs_run`` is how many ran) and
    ``recent``."""
    source = Path(artifact_dir).resolve()
    model = load_model(source)
    target = Path(models_dir) / split.symbol / model.alias / run_id
    if target.resolve() == source:  # saving would overwrite the model it was tuned from
        raise InputError(f"fine-tuning {source} needs a run_id other than {run_id!r}")
    started = time.perf_counter()
    model.fine_tune(split, epochs=epochs, seed=seed, recent=recent, on_epoch=on_epoch)
    train_seconds = time.perf_counter() - started
    return _score_and_save(
        model,
        split,
        run_id=run_id,
        models_dir=models_dir,
        train_seconds=train_seconds,
        # Recorded beside, not in, model.hyperparameters: make_model would reject these keys.
        hyperparameters={
            **model.hyperparameters,
            "fine_tuned_from": str(source),
            "fine_tune_epochs": epochs,
            "recent": recent,
        },
    )


def _score_and_save(
    model: ForecastModel,
    split: Split,
    *,
    run_id: str,
    models_dir: Path,
    train_seconds: float,
    hyperparameters: dict[str, Any],
) -> TrainResult:
    """Predict and score validation and test (test only to score), save the model to
    ``models_dir/<symbol>/<alias>/<run_id>/`` and describe the run."""
    frames, rows = [], []
    for name in SCORED_PARTS:
        part = getattr(split, name)
        if not len(part):  # test_size=0: nothing to score
            continue
        predicted = model.predict(part.X, part.last_known)
        frames.append(
            pd.DataFrame(
                {
                    "split": name,
                    "date": pd.to_datetime(part.dates),
                    "predicted": predicted,
                    "actual": part.actual,
                    "last_known": part.last_known,
                }
            )
        )
        scores = evaluate(part.actual, predicted, part.last_known)
        rows += [{"split": name, "metric": m, "value": v} for m, v in scores.items()]
    predictions = pd.concat(frames, ignore_index=True)
    validation = predictions[predictions["split"] == "validation"]

    artifact = model.save(Path(models_dir) / split.symbol / model.alias / run_id)
    backend, device = keras_runtime()
    return TrainResult(
        model=model,
        run_id=run_id,
        hyperparameters=hyperparameters,
        backend=backend,
        device=device,
        epochs_run=model.epochs_run_,
        train_seconds=train_seconds,
        artifact_uri=str(artifact.resolve()),
        status=STATUS_SUCCEEDED,
        predictions=predictions,
        metrics=pd.DataFrame(rows, columns=["split", "metric", "value"]),
        validation_residuals=(validation["actual"] - validation["predicted"]).to_numpy(),
    )
