"""The step options a run takes: the one declaration of the flows' step parameters, the CLI's
step flags and the settings keys they override (``[model]``, ``[split]``, ``[retrain]``).

Every field is None by default: None means "as the settings say" (pipeline.settings holds each
default once). The flows' step parameters are generated from it (:func:`with_step_options`),
and the CLI's step flags (flows.cli.app); the settings keys are ``[model]``, ``[split]`` and
``[retrain]``'s. Adding an option: a field here (with its description, the flag's help, and
its name in DAY_OPTIONS or TRAIN_OPTIONS), a key of the same name in its settings section,
and its use (pipeline.step_config.StepConfig).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from pipeline.errors import InputError

# The defaults that functions below the settings share (the settings' [model] seed and
# [retrain] finetune_epochs are these)
DEFAULT_SEED = 42
FINETUNE_EPOCHS = 3


class StepOptions(BaseModel):
    """How one run splits and trains, as given (None: the settings')."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    # [model]
    models: list[str] | None = Field(default=None, description="Model kinds")
    preset: str | None = Field(default=None, description="Preset: default | seed")
    epochs: int | None = Field(default=None, ge=1, description="Most epochs of a full retrain")
    seed: int | None = Field(default=None, description="Random seed of the fits")
    # [split]
    target: str | None = Field(default=None, description="The price to forecast")
    window: int | None = Field(
        default=None, ge=1, description="Bars per input window [default: preset's]"
    )
    validation_size: int | None = Field(default=None, ge=1, description="Validation bars")
    test_size: int | None = Field(default=None, ge=0, description="Test bars (train only)")
    history_bars: int | None = Field(
        default=None, ge=1, description="Train on the newest N bars only"
    )
    # [retrain]
    retrain_every: int | None = Field(
        default=None, ge=1, description="Full retrain every N trading days"
    )
    finetune_epochs: int | None = Field(
        default=None, ge=0, description="Epochs of a warm-start fine-tune"
    )
    policy: str | None = Field(default=None, description="Between full retrains: finetune | frozen")

    @classmethod
    def of(cls, parameters: Mapping[str, Any]) -> StepOptions:
        """The options among ``parameters``; InputError naming any that is not a step option."""
        unknown = sorted(set(parameters) - set(cls.model_fields))
        if unknown:
            raise InputError(f"unknown step option {unknown[0]!r}; choose from {OPTION_NAMES}")
        try:
            return cls(**parameters)
        except ValidationError as exc:
            error = exc.errors()[0]
            raise InputError(f"step option {error['loc'][0]!r}: {error['msg']}") from None

    def given(self) -> dict[str, Any]:
        """The options set (not None)."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


OPTION_NAMES: tuple[str, ...] = tuple(StepOptions.model_fields)
# The options of the daily step (flows daily and replay, nextbar run and replay) and of train
DAY_OPTIONS: tuple[str, ...] = (
    "models",
    "retrain_every",
    "finetune_epochs",
    "epochs",
    "target",
    "preset",
    "window",
    "history_bars",
    "policy",
)
TRAIN_OPTIONS: tuple[str, ...] = (
    "models",
    "target",
    "preset",
    "window",
    "test_size",
    "validation_size",
    "epochs",
    "seed",
)

F = TypeVar("F", bound=Callable[..., Any])


def with_step_options(*names: str) -> Callable[[F], F]:
    """A function taking ``**step`` with the options ``names`` as its keyword parameters in
    its signature (default None), so a flow's parameters (and a deployment's schema) are the
    options'; it still receives them in ``**step``."""

    def decorate(function: F) -> F:
        signature = inspect.signature(function, eval_str=True)
        own = [p for p in signature.parameters.values() if p.kind is not p.VAR_KEYWORD]
        added = [
            inspect.Parameter(
                name,
                inspect.Parameter.KEYWORD_ONLY,
                default=None,
                annotation=StepOptions.model_fields[name].annotation,
            )
            for name in names
        ]
        function.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        return function

    return decorate
