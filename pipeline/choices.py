"""The names a setting or option takes: model kinds and their groups, presets, policies and
targets (sources: pipeline.data.sources), :func:`resolve_kinds` and :func:`one_of`. Nothing
but the errors is imported here, so reading the settings or checking an option loads no model
code; the modules behind the names check they match them (pipeline.models.kinds,
pipeline.training.presets, pipeline.splits.config).
"""

from __future__ import annotations

from collections.abc import Collection

from pipeline.errors import InputError

BASELINE_KINDS: tuple[str, ...] = ("naive", "drift", "linear")
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
# Single models; "all" in resolve_kinds means these. The ensemble refits its
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

# pipeline.training.presets: the tutorials' exact setup, and the best found on validation
PRESET_NAMES: tuple[str, ...] = ("seed", "default")
# Between full retrains (pipeline.step_config.RetrainPolicy): keep the weights, or fine-tune
POLICIES: tuple[str, ...] = ("frozen", "finetune")
# Predictions are prices, so targets are the price columns (pipeline.data.bars.PRICE_COLUMNS)
TARGETS: tuple[str, ...] = ("open", "high", "low", "close")


def resolve_kinds(models: list[str]) -> list[str]:
    """Expand ``all`` (every single model, not the ensemble) and check names; naive is always
    included so nothing is shown without it."""
    kinds: list[str] = []
    for name in models:
        if name == "all":
            kinds += list(SINGLE_KINDS)
        elif name in STEP_KINDS:
            kinds.append(name)
        else:
            raise InputError(f"unknown model kind {name!r}; choose from {[*STEP_KINDS, 'all']}")
    return list(dict.fromkeys(["naive", *kinds]))


def one_of(value: str, choices: Collection[str], what: str) -> str:
    """``value`` if it is one of ``choices``, else a ValueError naming them."""
    if value not in choices:
        raise ValueError(f"unknown {what} {value!r}; choose from {list(choices)}")
    return value
