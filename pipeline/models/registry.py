"""Every model kind by name: ``make_model`` builds one, ``load_model`` reloads a saved one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.choices import (
    BASELINE_KINDS,
    DISTRIBUTIONAL_KINDS,
    ENSEMBLE_KIND,
    GLOBAL_KINDS,
    MODEL_KINDS,
    NEURAL_KINDS,
    RECURRENT_KINDS,
    SCALED_KINDS,
    SINGLE_KINDS,
    STEP_KINDS,
    VOLATILITY_KINDS,
)
from pipeline.models.base import ForecastModel
from pipeline.models.ensemble import EnsembleModel
from pipeline.models.kinds import load_saved, make_single

__all__ = [
    "BASELINE_KINDS",
    "DISTRIBUTIONAL_KINDS",
    "ENSEMBLE_KIND",
    "GLOBAL_KINDS",
    "MODEL_KINDS",
    "NEURAL_KINDS",
    "RECURRENT_KINDS",
    "SCALED_KINDS",
    "SINGLE_KINDS",
    "STEP_KINDS",
    "VOLATILITY_KINDS",
    "load_model",
    "make_model",
]


def make_model(kind: str, **hyperparameters: Any) -> ForecastModel:
    """A new, unfitted model of ``kind``; unknown kinds raise InputError listing the kinds."""
    if kind == ENSEMBLE_KIND:
        return EnsembleModel(**hyperparameters)
    return make_single(kind, **hyperparameters)


def load_model(directory: Path | str) -> ForecastModel:
    """Reload a model written by ``ForecastModel.save``; it predicts exactly as it did."""
    return load_saved(directory, make_model)
