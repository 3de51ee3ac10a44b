"""Fit or fine-tune a model on a Split, score it per range and save the artifact. No database."""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from pipeline.errors import InputError, InsufficientDataError
from pipeline.evaluation.metrics import evaluate, significance_vs_naive
from pipeline.evaluation.probabilistic import distribution_scores
from pipeline.evaluation.significance import coverage
from pipeline.forecast.point import INTERVAL_LEVELS, conformal_quantile
from pipeline.models.base import FINE_TUNE_RECENT, EpochCallback, ForecastModel
from pipeline.models.registry import load_model, make_model
from pipeline.splits.split import Split
from pipeline.step_options import DEFAULT_SEED, FINETUNE_EPOCHS

STATUS_SUCCEEDED = "succeeded"
SCORED_PARTS = ("validation", "test")


@dataclass
class TrainResult:
    """What a training run produced; the caller decides where to record it."""

    model: ForecastModel
    run_id: str
    hyperparameters: dict[str, Any]
    backend: str | None  # the Keras backend; None for a model that trains without Keras
    device: str
    epochs_run: int
    train_seconds: float
    artifact_uri: str  # absolute path of the saved model directory
    status: str
    predictions: pd.DataFrame  # split, date, predicted, actual, last_known
    metrics: pd.DataFrame  # split, metric, value (long form)
    next_scale: float | None = None  # a scaled model's std of tomorrow's relative error


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
    seed: int = DEFAULT_SEED,
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
    return score_and_save(
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
    epochs: int = FINETUNE_EPOCHS,
    seed: int = DEFAULT_SEED,
    recent: int = FINE_TUNE_RECENT,
    on_epoch: EpochCallback | None = None,
) -> TrainResult:
    """Warm-start the model saved in ``artifact_dir``: ``fine_tune`` it on ``split`` (built with
    its scalers), then score and save it to ``models_dir/<symbol>/<kind>/<run_id>/`` as
    :func:`train_model` does. ``hyperparameters`` adds ``fine_tuned_from`` (the source artifact),
    ``fine_tune_epochs`` (the most epochs asked for; ``epochs_run`` is how many ran) and
    ``recent``."""
    source = Path(artifact_dir).resolve()
    model = _WARM.pop(source, None) or load_model(source)
    target = Path(models_dir) / split.symbol / model.alias / run_id
    if target.resolve() == source:  # saving would overwrite the model it was tuned from
        raise InputError(f"fine-tuning {source} needs a run_id other than {run_id!r}")
    started = time.perf_counter()
    model.fine_tune(split, epochs=epochs, seed=seed, recent=recent, on_epoch=on_epoch)
    train_seconds = time.perf_counter() - started
    return score_and_save(
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


def reuse_trial(split: Split, artifact_dir: Path, *, run_id: str, models_dir: Path) -> TrainResult:
    """Score and save, as a new run, a search trial's model fitted on ``split``'s training range
    with the final settings (the search split is the final one less its test range), instead of
    fitting it again; ``hyperparameters`` name it as ``reused_trial``."""
    source = Path(artifact_dir).resolve()
    model = saved_model(source)
    if model.scaler_params_ != split.scaler_params:
        raise InputError(
            f"the trial {source} was fitted on other training data than {split.split_id}"
        )
    model.split_config_ = split.config  # the same training range; the sizes now include the test
    return score_and_save(
        model,
        split,
        run_id=run_id,
        models_dir=models_dir,
        train_seconds=0.0,
        hyperparameters={**model.hyperparameters, "reused_trial": str(source)},
    )


# Models saved by this process, by artifact directory: a replay or a daily loop in one process
# fine-tunes or predicts with yesterday's model from memory instead of reloading it. A model is
# taken out when fine-tuned, since that changes it.
_WARM: OrderedDict[Path, ForecastModel] = OrderedDict()
_WARM_SIZE = 16


def _keep_warm(directory: Path, model: ForecastModel) -> None:
    _WARM[directory.resolve()] = model
    while len(_WARM) > _WARM_SIZE:
        _WARM.popitem(last=False)


def score_and_save(
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
    scales = model.predict_scale(split)
    predicted = {
        name: model.predict_part(getattr(split, name))
        for name in SCORED_PARTS
        if len(getattr(split, name))  # test_size=0: nothing to score
    }
    predictions, metrics = score_parts(split, predicted, scales)
    artifact = model.save(Path(models_dir) / split.symbol / model.alias / run_id)
    _keep_warm(artifact, model)
    backend, device = keras_runtime() if model.uses_keras else (None, "cpu")
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
        metrics=metrics,
        next_scale=float(scales["latest"][0]) if scales else None,
    )


def score_parts(
    split: Split, predicted: dict[str, np.ndarray], scales: dict[str, np.ndarray] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The predictions frame (split, date, predicted, actual, last_known, and a scaled model's
    ``scale``) and the long metrics frame of ``predicted`` prices per range of ``split``; the
    validation range's distribution scores of its own intervals (in-sample), and test coverage
    and distribution scores of the validation residuals' intervals where a test range is
    scored."""
    frames, rows = [], []
    for name, values in predicted.items():
        part = getattr(split, name)
        frames.append(
            pd.DataFrame(
                {
                    "split": name,
                    "date": pd.to_datetime(part.dates),
                    "predicted": values,
                    "actual": part.actual,
                    "last_known": part.last_known,
                    **({"scale": scales[name]} if scales else {}),
                }
            )
        )
        scores = {
            **evaluate(part.actual, values, part.last_known),
            **significance_vs_naive(part.actual, values, part.last_known),
        }
        rows += [{"split": name, "metric": m, "value": v} for m, v in scores.items()]
    predictions = pd.concat(frames, ignore_index=True)
    validation = predictions[predictions["split"] == "validation"]
    if len(validation):  # in-sample: the interval champion's basis on few scored days
        rows += [
            {"split": "validation", "metric": m, "value": v}
            for m, v in distribution_scores(validation, validation).items()
        ]
    test = predictions[predictions["split"] == "test"]
    if len(test):
        residuals = (validation["actual"] - validation["predicted"]).to_numpy()
        rows += [
            {"split": "test", "metric": f"coverage_{round(level * 100)}", "value": value}
            for level, value in interval_coverage(test, residuals).items()
        ]
        rows += [
            {"split": "test", "metric": m, "value": v}
            for m, v in distribution_scores(test, validation).items()
        ]
    return predictions, pd.DataFrame(rows, columns=["split", "metric", "value"])


def interval_coverage(test: pd.DataFrame, residuals: np.ndarray) -> dict[float, float]:
    """Per interval level: the share of ``test`` actuals inside ``predicted`` ± the conformal
    half-width of the validation ``residuals`` (levels they are too few for are left out)."""
    out = {}
    for level in INTERVAL_LEVELS:
        try:
            q = conformal_quantile(residuals, level)
        except InsufficientDataError:  # a tiny validation range: no interval at this level
            continue
        out[level] = coverage(test["actual"], test["predicted"] - q, test["predicted"] + q)
    return out


def saved_model(artifact_dir: Path | str) -> ForecastModel:
    """The model saved in ``artifact_dir``: the one this process still holds, else reloaded."""
    source = Path(artifact_dir).resolve()
    return _WARM.get(source) or load_model(source)
