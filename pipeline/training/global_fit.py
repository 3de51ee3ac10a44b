"""A global model: one GRU or LSTM trained across every symbol of a watch list.

Each symbol's split is already scale-free (a return target and, with the default preset,
return-like inputs, min-max scaled on that symbol's own training range), so the windows of all
symbols are pooled into one training set, as Qlib and NeuralForecast do. The one fitted network
then forecasts each symbol with that symbol's own target scaler, and each symbol gets its own
run (``gru_global``), scored on its own validation range beside its naive forecast. Like
:mod:`pipeline.training.fit_one`, nothing here opens the warehouse.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import InputError
from pipeline.forecast.next_day import scored_outcome
from pipeline.models.registry import GLOBAL_KINDS, make_model
from pipeline.splits.config import SplitConfig
from pipeline.splits.scaling import MinMaxParams
from pipeline.splits.split import Split
from pipeline.training.jobs import FitJob, ModelOutcome
from pipeline.training.train import score_and_save


@dataclass(frozen=True)
class PooledSplit:
    """The training and validation windows of many symbols, as a model's ``fit`` reads them."""

    config: SplitConfig
    target_scaler: MinMaxParams
    scaler_params: dict[str, Any]
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray


def pool(splits: list[Split]) -> PooledSplit:
    """Every split's training and validation windows (never test), after checking they share
    window, features and a scale-free target."""
    first = splits[0]
    if first.config.target_kind == "level":
        raise InputError("a global model needs scale-free inputs: use a return target")
    for split in splits:
        if (split.config.window, split.config.features) != (
            first.config.window,
            first.config.features,
        ):
            raise InputError(f"{split.symbol}: a global model needs one window and feature set")
    return PooledSplit(
        first.config,
        first.target_scaler,
        first.scaler_params,
        *(
            np.concatenate([getattr(s, a) for s in splits])
            for a in ("X_train", "y_train", "X_val", "y_val")
        ),
    )


def fit_global(
    kind: str,
    jobs: list[FitJob],
    *,
    models_dir: Path,
    epochs: int,
    seed: int,
    hyperparameters: dict[str, Any],
) -> list[ModelOutcome]:
    """Train one ``kind`` network on every job's split; one outcome per job, in order."""
    splits = [Split.load(job.split_path) for job in jobs]
    started_at = datetime.now(tz=UTC)
    model = make_model(GLOBAL_KINDS[kind], **hyperparameters)
    started = time.perf_counter()
    model.fit(pool(splits), epochs=epochs, seed=seed)  # type: ignore[arg-type]
    seconds = (time.perf_counter() - started) / len(splits)  # the fit's cost, shared
    outcomes = []
    for job, split in zip(jobs, splits, strict=True):
        model.split_config_, model.target_scaler_ = split.config, split.target_scaler
        model.scaler_params_ = split.scaler_params
        run_id = str(uuid.uuid4())
        result = score_and_save(
            model,
            split,
            run_id=run_id,
            models_dir=models_dir,
            train_seconds=seconds,
            hyperparameters={**model.hyperparameters, "global_symbols": len(splits)},
        )
        identity = partial(
            ModelOutcome,
            model=kind,
            run_id=run_id,
            split_id=split.split_id,
            training="full",
            base_run_id=None,
            started_at=started_at,
        )
        outcomes.append(scored_outcome(result, split, identity, job.recent_errors))
    return outcomes
