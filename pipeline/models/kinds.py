"""The model kinds by name, and building or reloading a single (non-ensemble) model.

pipeline.models.registry adds the ensemble on top; the ensemble builds its members here, so
neither module imports the other's importer.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pipeline.errors import InputError
from pipeline.models.base import META_FILE, ForecastModel
from pipeline.models.baselines import DriftModel, LinearModel, NaiveModel

BASELINE_KINDS: dict[str, type[ForecastModel]] = {
    "naive": NaiveModel,
    "drift": DriftModel,
    "linear": LinearModel,
}
RECURRENT_KINDS: tuple[str, ...] = ("rnn", "gru", "lstm")
# Scaled kinds (pipeline.models.volatility, pipeline.models.distributional): a point with a
# one-step scale, so their intervals and quantiles follow the day's volatility.
VOLATILITY_KINDS: tuple[str, ...] = ("naive_ewma", "naive_garch", "naive_har", "naive_vol")
DISTRIBUTIONAL_KINDS: tuple[str, ...] = ("gru_dist", "lstm_dist")
# Kinds with a scale of their own; every other kind is a point model, issued on a scale kind's
# (pipeline.forecast.scaled)
SCALED_KINDS: tuple[str, ...] = (*VOLATILITY_KINDS, *DISTRIBUTIONAL_KINDS)
NEURAL_KINDS: tuple[str, ...] = (*RECURRENT_KINDS, *DISTRIBUTIONAL_KINDS)  # fine-tuned daily
ENSEMBLE_KIND = "ensemble"
# Single models; "all" in pipeline.training.jobs.resolve_kinds means these. The ensemble refits its
# own members, so it is asked for by name rather than doubling the cost of "all".
SINGLE_KINDS: tuple[str, ...] = (
    *BASELINE_KINDS,
    *RECURRENT_KINDS,
    *VOLATILITY_KINDS,
    *DISTRIBUTIONAL_KINDS,
)
MODEL_KINDS: tuple[str, ...] = (*SINGLE_KINDS, ENSEMBLE_KIND)
# One network across a watch list's symbols (pipeline.training.global_fit): kind -> cell
GLOBAL_KINDS: dict[str, str] = {"gru_global": "gru", "lstm_global": "lstm"}
# What a daily step may ask for: the global kinds are fitted across a watch list, not by make_model
STEP_KINDS: tuple[str, ...] = (*MODEL_KINDS, *GLOBAL_KINDS)


def make_single(kind: str, **hyperparameters: Any) -> ForecastModel:
    """A new, unfitted single model of ``kind``; other kinds raise InputError listing them."""
    if kind in BASELINE_KINDS:
        return BASELINE_KINDS[kind](**hyperparameters)
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
