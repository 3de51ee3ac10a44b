"""Model kinds by name: ``make_model`` builds one, ``load_model`` reloads a saved one."""

from __future__ import annotations

import json
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
ENSEMBLE_KIND = "ensemble"
# One network across a watch list's symbols (pipeline.training.global_fit): kind -> cell
GLOBAL_KINDS: dict[str, str] = {"gru_global": "gru", "lstm_global": "lstm"}
# Single models; "all" in pipeline.training.jobs.resolve_kinds means these. The ensemble refits its
# own members, so it is asked for by name rather than doubling the cost of "all".
SINGLE_KINDS: tuple[str, ...] = (*BASELINE_KINDS, *RECURRENT_KINDS)
MODEL_KINDS: tuple[str, ...] = (*SINGLE_KINDS, ENSEMBLE_KIND)
# What a daily step may ask for: the global kinds are fitted across a watch list, not by make_model
STEP_KINDS: tuple[str, ...] = (*MODEL_KINDS, *GLOBAL_KINDS)


def make_model(kind: str, **hyperparameters: Any) -> ForecastModel:
    """A new, unfitted model of ``kind``; unknown kinds raise InputError listing the kinds."""
    if kind in BASELINE_KINDS:
        return BASELINE_KINDS[kind](**hyperparameters)
    if kind in RECURRENT_KINDS:
        # Imported here so baseline-only work never pays for loading Keras and its backend.
        from pipeline.models.recurrent import RecurrentModel

        return RecurrentModel(kind, **hyperparameters)
    if kind == ENSEMBLE_KIND:
        # Imported here: the ensemble module builds its members through this registry.
        from pipeline.models.ensemble import EnsembleModel

        return EnsembleModel(**hyperparameters)
    if kind in GLOBAL_KINDS:
        raise InputError(
            f"{kind} trains across a watch list: run the daily step with at least "
            "[dask] min_symbols symbols"
        )
    raise InputError(f"unknown model kind {kind!r}; choose from {list(MODEL_KINDS)}")


def load_model(directory: Path | str) -> ForecastModel:
    """Reload a model written by ``ForecastModel.save``; it predicts exactly as it did."""
    directory = Path(directory)
    meta_path = directory / META_FILE
    if not meta_path.is_file():
        raise InputError(f"{directory} holds no {META_FILE}: not a saved nextbar model")
    meta = json.loads(meta_path.read_text())
    return make_model(meta["kind"], **meta["hyperparameters"]).restore(directory, meta)
