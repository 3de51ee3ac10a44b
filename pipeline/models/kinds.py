"""Building or reloading a single (non-ensemble) model by its kind (pipeline.choices names them).

pipeline.models.registry adds the ensemble on top; the ensemble builds its members here, so
neither module imports the other's importer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.choices import (
    BASELINE_KINDS,
    DISTRIBUTIONAL_KINDS,
    GLOBAL_KINDS,
    MODEL_KINDS,
    RECURRENT_KINDS,
    VOLATILITY_KINDS,
)
from pipeline.errors import InputError
from pipeline.models.base import META_FILE, ForecastModel
from pipeline.models.baselines import DriftModel, LinearModel, NaiveModel

BASELINE_MODELS: dict[str, type[ForecastModel]] = {
    "naive": NaiveModel,
    "drift": DriftModel,
    "linear": LinearModel,
}
assert tuple(BASELINE_MODELS) == BASELINE_KINDS, "pipeline.choices names the baselines"


def make_single(kind: str, **hyperparameters: Any) -> ForecastModel:
    """A new, unfitted single model of ``kind``; other kinds raise InputError listing them."""
    if kind in BASELINE_KINDS:
        return BASELINE_MODELS[kind](**hyperparameters)
    if kind in RECURRENT_KINDS:
        # Imported here so baseline-only work never pays for loading Keras and its backend.
        from pipeline.models.recurrent import RecurrentModel

        return RecurrentModel(kind, **hyperparameters)
    if kind in VOLATILITY_KINDS:
        from pipeline.models.volatility import VOLATILITY_MODELS

        return VOLATILITY_MODELS[kind](**hyperparameters)
    if kind in DISTRIBUTIONAL_KINDS:
        from pipeline.models.distributional import DistributionalModel

        return DistributionalModel(kind, **hyperparameters)
    if kind in GLOBAL_KINDS:
        raise InputError(
            f"{kind} trains across a watch list: run the daily step with at least "
            "[dask] min_symbols symbols"
        )
    raise InputError(f"unknown model kind {kind!r}; choose from {list(MODEL_KINDS)}")


def load_saved(directory: Path | str, make: Callable[..., ForecastModel]) -> ForecastModel:
    """Reload a model written by ``ForecastModel.save``, built by ``make(kind, **hp)``."""
    directory = Path(directory)
    meta_path = directory / META_FILE
    if not meta_path.is_file():
        raise InputError(f"{directory} holds no {META_FILE}: not a saved nextbar model")
    meta = json.loads(meta_path.read_text())
    return make(meta["kind"], **meta["hyperparameters"]).restore(directory, meta)
