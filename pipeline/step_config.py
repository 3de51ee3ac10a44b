"""How one run (daily, replay or train) splits and trains, built once from settings plus options.

``daily``, ``replay`` and ``train`` (and the CLI commands and deployments that start them) take
the step options of pipeline.step_options; None means "as the settings say", whose sections
``[model]``, ``[split]`` and ``[retrain]`` are declared there too, each default once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import pandas as pd

from pipeline.choices import resolve_kinds
from pipeline.daily.schedule import RetrainPolicy
from pipeline.forecast.calibration import Calibration
from pipeline.models.ensemble import EnsembleModel
from pipeline.models.registry import ENSEMBLE_KIND, SCALED_KINDS
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.splits.split import Split
from pipeline.step_options import StepOptions
from pipeline.training.presets import Preset, get_preset

if TYPE_CHECKING:
    from pipeline.settings import Settings


@dataclass(frozen=True)
class StepConfig:
    """How one run splits and trains."""

    models: tuple[str, ...]
    target: str
    preset: str
    window: int | None  # None: the preset's
    validation_size: int
    test_size: int  # train only: the daily step's test is tomorrow
    history_bars: int | None  # train on the newest N bars only (None: all)
    epochs: int | None  # None: the preset's
    seed: int
    policy: RetrainPolicy
    calibration: Calibration = field(default_factory=Calibration)  # [intervals]

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> StepConfig:
        """The settings' step, with each override that is not None over it (a step option:
        pipeline.step_options.StepOptions); InputError naming one that is not."""
        return cls.from_options(settings, StepOptions.of(overrides))

    @classmethod
    def from_options(cls, settings: Settings, options: StepOptions) -> StepConfig:
        """The settings' step (``[model]``, ``[split]``, ``[retrain]``) with ``options`` over it."""
        model, split, retrain = settings.model, settings.split, settings.retrain
        values: dict[str, Any] = {
            **model.model_dump(exclude={"backend"}),  # the process's, applied with the settings
            **split.model_dump(),
            **retrain.model_dump(),
            **options.given(),
        }
        schedule = RetrainPolicy(
            values.pop("retrain_every"), values.pop("finetune_epochs"), values.pop("policy")
        )
        return cls(
            **{**values, "models": tuple(values["models"])},
            policy=schedule,
            calibration=settings.intervals.calibration(),
        )

    @classmethod
    def for_replay(cls, settings: Settings, options: StepOptions) -> StepConfig:
        """:meth:`from_options` for a walk-forward: ``retrain_every`` and ``policy`` default
        to the settings' ``[replay]`` schedule rather than the daily step's."""
        replay = settings.replay
        defaults = {"retrain_every": replay.retrain_every, "policy": replay.policy}
        return cls.from_options(settings, StepOptions.of({**defaults, **options.given()}))

    def chosen_preset(self) -> Preset:
        """The preset the defaults come from."""
        return get_preset(self.preset)

    def split_config(self, *, test_size: int = 0) -> SplitConfig:
        """The split: validation for early stopping and the conformal intervals; the daily
        step has no test range (tomorrow is the test)."""
        config = self.chosen_preset().split_config(
            self.target, test_size=test_size, validation_size=self.validation_size
        )
        return replace(config, window=self.window) if self.window else config

    def recent(self, bars: pd.DataFrame) -> pd.DataFrame:
        """The bars trained on: the newest ``history_bars`` (all when None)."""
        return bars.tail(self.history_bars) if self.history_bars else bars

    def day_split(self, symbol: str, bars: pd.DataFrame) -> Split:
        """The day's split of the ``recent`` bars, with freshly fitted scalers."""
        return build_split(self.recent(bars), self.split_config(), symbol=symbol)

    def full_epochs(self) -> int:
        """Most epochs of a full retrain."""
        return self.epochs or self.chosen_preset().epochs

    def hyperparameters_for(self, kind: str) -> dict[str, Any]:
        """The preset's hyperparameters of a model kind."""
        return self.chosen_preset().hyperparameters_for(kind)

    def wants_ensemble(self) -> bool:
        """Whether the day combines an ``ensemble`` from its fitted models."""
        return ENSEMBLE_KIND in resolve_kinds(list(self.models))

    def fitted_kinds(self) -> list[str]:
        """The kinds to fit: those asked for, with the ensemble's members in its place (it is
        combined from the day's fits, never trained on its own), and the scale kind when a
        point model is issued on its scale."""
        asked = resolve_kinds(list(self.models))
        kinds = asked
        if ENSEMBLE_KIND in asked:
            members = self.ensemble_members()
            kinds = [k for k in dict.fromkeys([*asked, *members]) if k != ENSEMBLE_KIND]
        if any(k not in SCALED_KINDS and not self.calibration.is_flat(k) for k in asked):
            kinds = list(dict.fromkeys([*kinds, self.calibration.scale]))  # their scale
        return kinds

    def ensemble_members(self) -> list[str]:
        """The kinds the ensemble may average."""
        return list(self._ensemble_settings().get("members", EnsembleModel.defaults["members"]))

    def ensemble_top_k(self) -> int:
        """How many of the day's best models the ensemble averages."""
        return int(self._ensemble_settings().get("top_k", EnsembleModel.defaults["top_k"]))

    def _ensemble_settings(self) -> dict[str, Any]:
        return self.chosen_preset().hyperparameters.get(ENSEMBLE_KIND, {})
