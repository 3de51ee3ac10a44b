"""The step options a run takes, declared once: the settings sections ``[model]``, ``[split]``
and ``[retrain]`` (each key's default, type, check and description), and from them
:class:`StepOptions`, the flows' step parameters and the CLI's step flags (flows.cli.app).

A step option given is None by default: None means "as the settings say". pipeline.settings
holds these sections (``[model]`` adds the Keras backend, no step option). Adding an option:
a field in its section here (and its name in DAY_OPTIONS or TRAIN_OPTIONS), and its use, a
field of pipeline.step_config.StepConfig of the same name.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator
from pydantic.fields import FieldInfo

from pipeline.choices import (
    DISTRIBUTIONAL_KINDS,
    POLICIES,
    PRESET_NAMES,
    STEP_KINDS,
    TARGETS,
    VOLATILITY_KINDS,
    one_of,
)
from pipeline.errors import InputError

# The defaults that functions below the settings share (the settings' [model] seed and
# [retrain] finetune_epochs are these)
DEFAULT_SEED = 42
FINETUNE_EPOCHS = 3
DEFAULT_MODELS = (
    "naive",
    "drift",
    "linear",
    "gru",
    "lstm",
    "ensemble",
    *VOLATILITY_KINDS,
    *DISTRIBUTIONAL_KINDS,
)
STRICT = ConfigDict(extra="forbid", frozen=True)  # a misspelt key is an error


class ModelOptions(BaseModel):
    """``[model]``'s step options: the preset, which models the daily step fits, and how long."""

    model_config = STRICT

    preset: str = Field(default="default", description="Preset: default | seed")
    models: tuple[str, ...] = Field(default=DEFAULT_MODELS, description="Model kinds")
    epochs: int | None = Field(  # None: the preset's
        default=None, ge=1, description="Most epochs of a full retrain"
    )
    seed: int = Field(default=DEFAULT_SEED, description="Random seed of the fits")

    @field_validator("preset")
    @classmethod
    def _known_preset(cls, value: str) -> str:
        return one_of(value, PRESET_NAMES, "preset")

    @field_validator("models")
    @classmethod
    def _known_models(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [m for m in value if m not in (*STEP_KINDS, "all")]
        if unknown or not value:
            raise ValueError(f"unknown models {unknown or '(none)'}; choose from {STEP_KINDS}")
        return value


class SplitOptions(BaseModel):
    """``[split]``: how bars become training samples."""

    model_config = STRICT

    target: str = Field(default="close", description="The price to forecast")
    window: int | None = Field(  # None: the preset's
        default=None, ge=1, description="Bars per input window [default: preset's]"
    )
    validation_size: int = Field(default=120, ge=1, description="Validation bars")
    # train only: the daily step tests tomorrow
    test_size: int = Field(default=300, ge=0, description="Test bars (train only)")
    history_bars: int | None = Field(  # None: all
        default=None, ge=1, description="Train on the newest N bars only"
    )

    @field_validator("target")
    @classmethod
    def _known_target(cls, value: str) -> str:
        return one_of(value, TARGETS, "target")


class RetrainOptions(BaseModel):
    """``[retrain]``: the daily step's schedule: full retrain every N trading days, fine-tune
    (or keep frozen) in between."""

    model_config = STRICT

    retrain_every: int = Field(default=5, ge=1, description="Full retrain every N trading days")
    finetune_epochs: int = Field(
        default=FINETUNE_EPOCHS, ge=0, description="Epochs of a warm-start fine-tune"
    )
    policy: str = Field(default="finetune", description="Between full retrains: finetune | frozen")

    @field_validator("policy")
    @classmethod
    def _known_policy(cls, value: str) -> str:
        return one_of(value, POLICIES, "policy")


# The settings sections the step options are the keys of
SECTIONS: dict[str, type[BaseModel]] = {
    "model": ModelOptions,
    "split": SplitOptions,
    "retrain": RetrainOptions,
}


def _as_given(field: FieldInfo) -> tuple[Any, FieldInfo]:
    """A section's key as a step option: its type or None, None by default, the same bounds
    and description (a tuple is a list: what a flow parameter takes)."""
    annotation: Any = field.annotation
    if get_origin(annotation) is tuple:
        annotation = list[get_args(annotation)[0]]  # type: ignore[misc]
    return annotation | None, FieldInfo.merge_field_infos(field, default=None)


if TYPE_CHECKING:
    _Options = BaseModel
else:
    _Options = create_model(
        "_Options",
        **{
            name: _as_given(field)
            for section in SECTIONS.values()
            for name, field in section.model_fields.items()
        },
    )


class StepOptions(_Options):
    """How one run splits and trains, as given (None: the settings'): the sections' keys."""

    model_config = STRICT

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
TRAIN_OPTIONS: tuple[str, ...] = (  # in the order nextbar train shows them
    "models",
    "preset",
    "epochs",
    "target",
    "window",
    "test_size",
    "validation_size",
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
