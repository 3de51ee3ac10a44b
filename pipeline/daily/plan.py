"""The daily step's decisions: retrain or fine-tune, which split each model gets, forecast rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.data.calendars import next_trading_day, trading_days
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.models.base import META_FILE
from pipeline.models.ensemble import EnsembleModel
from pipeline.models.registry import ENSEMBLE_KIND, RECURRENT_KINDS
from pipeline.splits.config import SplitConfig
from pipeline.splits.scaling import MinMaxParams
from pipeline.training.jobs import ModelOutcome, resolve_kinds
from pipeline.training.presets import get_preset

POLICIES = ("frozen", "finetune")


@dataclass(frozen=True)
class RetrainPolicy:
    """Full retrain every ``retrain_every`` trading days; in between, ``finetune`` the latest
    model for ``finetune_epochs`` each day, or keep its weights ``frozen`` (the fast replay)."""

    retrain_every: int = 5
    finetune_epochs: int = 3
    mode: str = "finetune"

    def __post_init__(self) -> None:
        if self.mode not in POLICIES:
            raise InputError(f"unknown policy {self.mode!r}; choose from {list(POLICIES)}")

    @property
    def step_epochs(self) -> int:
        """Epochs of a day between full retrains (0: frozen weights, the model only predicts)."""
        return 0 if self.mode == "frozen" else self.finetune_epochs


@dataclass(frozen=True)
class BaseRun:
    """The newest earlier run of a model that a fine-tune may start from."""

    run_id: str
    artifact_uri: str
    last_full_as_of: date  # as-of date of the full retrain its lineage started from


def wants_fine_tune(
    info: SymbolInfo, kind: str, base: BaseRun | None, as_of: date, policy: RetrainPolicy
) -> bool:
    """Fine-tune when a neural base exists and its last full retrain is recent enough."""
    if kind not in RECURRENT_KINDS or base is None or policy.retrain_every <= 1:
        return False
    if base.last_full_as_of >= as_of:  # never start from a model that saw later bars
        return False
    since = len(trading_days(info, base.last_full_as_of, as_of)) - 1
    return since < policy.retrain_every and Path(base.artifact_uri, META_FILE).is_file()


def saved_scalers(artifact_uri: str) -> tuple[MinMaxParams, MinMaxParams]:
    """The (feature, target) scalers a saved model was trained with, without loading it."""
    meta = json.loads(Path(artifact_uri, META_FILE).read_text())
    return MinMaxParams.from_dict(meta["scaler"]["features"]), MinMaxParams.from_dict(
        meta["scaler"]["target"]
    )


def saved_config(artifact_uri: str) -> SplitConfig:
    """The split config a saved model was trained with."""
    meta = json.loads(Path(artifact_uri, META_FILE).read_text())
    return SplitConfig.from_dict(meta["split_config"])


def same_inputs(a: SplitConfig, b: SplitConfig) -> bool:
    """Whether two configs give models the same inputs and target (sizes may differ)."""
    keys = ("window", "features", "target", "target_kind", "scaler")
    return all(getattr(a, k) == getattr(b, k) for k in keys)


def forecast_rows(
    info: SymbolInfo,
    outcomes: list[ModelOutcome],
    *,
    as_of: date,
    target: str,
    last_known: float,
    champion_run_id: str | None,
    is_replay: bool,
    issued_at: datetime,
) -> pd.DataFrame:
    """One forecast row per succeeded model for the next trading day after ``as_of``."""
    target_date = next_trading_day(info, as_of)
    rows: list[dict[str, Any]] = [
        {
            "symbol": info.symbol,
            "model": o.model,
            "run_id": o.run_id,
            "target": target,
            "as_of_date": as_of,
            "target_date": target_date,
            "issued_at": issued_at,
            "predicted": o.next_prediction,
            **o.intervals,
            "last_known": last_known,
            "is_champion": o.run_id == champion_run_id,
            "is_replay": is_replay,
        }
        for o in outcomes
        if o.status == "succeeded" and o.next_prediction is not None
    ]
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class StepConfig:
    """How one daily step splits and trains."""

    models: tuple[str, ...] = ("naive", "drift", "linear", "gru", "lstm", "ensemble")
    target: str = "close"
    preset: str = "default"
    window: int | None = None  # None: the preset's
    validation_size: int = 120
    history_bars: int | None = None  # train on the newest N bars only (None: all)
    epochs: int | None = None  # None: the preset's
    seed: int = 42
    policy: RetrainPolicy = RetrainPolicy()

    @classmethod
    def build(
        cls,
        models: list[str] | None,
        target: str,
        preset: str,
        window: int | None,
        history_bars: int | None,
        epochs: int | None,
        retrain_every: int,
        finetune_epochs: int,
        policy: str = "finetune",
    ) -> StepConfig:
        """From flow parameters (None: the default)."""
        return cls(
            models=tuple(models) if models else cls.models,
            target=target,
            preset=preset,
            window=window,
            history_bars=history_bars,
            epochs=epochs,
            policy=RetrainPolicy(retrain_every, finetune_epochs, policy),
        )

    def split_config(self) -> SplitConfig:
        """The daily split: no test range (tomorrow is the test), validation for early stopping
        and the conformal intervals."""
        config = get_preset(self.preset).split_config(
            self.target, test_size=0, validation_size=self.validation_size
        )
        return replace(config, window=self.window) if self.window else config

    def full_epochs(self) -> int:
        """Most epochs of a full retrain."""
        return self.epochs or get_preset(self.preset).epochs

    def hyperparameters_for(self, kind: str) -> dict[str, Any]:
        """The preset's hyperparameters of a model kind."""
        return get_preset(self.preset).hyperparameters_for(kind)

    def wants_ensemble(self) -> bool:
        """Whether the day combines an ``ensemble`` from its fitted models."""
        return ENSEMBLE_KIND in resolve_kinds(list(self.models))

    def fitted_kinds(self) -> list[str]:
        """The kinds to fit: those asked for, with the ensemble's members in its place (it is
        combined from the day's fits, never trained on its own)."""
        kinds = resolve_kinds(list(self.models))
        if ENSEMBLE_KIND not in kinds:
            return kinds
        members = self.ensemble_members()
        return [k for k in dict.fromkeys([*kinds, *members]) if k != ENSEMBLE_KIND]

    def ensemble_members(self) -> list[str]:
        """The kinds the ensemble may average."""
        return list(self._ensemble_settings().get("members", EnsembleModel.defaults["members"]))

    def ensemble_top_k(self) -> int:
        """How many of the day's best models the ensemble averages."""
        return int(self._ensemble_settings().get("top_k", EnsembleModel.defaults["top_k"]))

    def _ensemble_settings(self) -> dict[str, Any]:
        return get_preset(self.preset).hyperparameters.get(ENSEMBLE_KIND, {})


def plan_fits(
    info: SymbolInfo,
    kinds: list[str],
    bases: dict[str, BaseRun],
    config: SplitConfig,
    as_of: date,
    policy: RetrainPolicy,
) -> dict[str, BaseRun | None]:
    """Per model: the base run to fine-tune from, or None for a full retrain."""
    plan: dict[str, BaseRun | None] = {}
    for kind in kinds:
        base = bases.get(kind)
        fine = base is not None and wants_fine_tune(info, kind, base, as_of, policy)
        plan[kind] = (
            base if fine and base and same_inputs(saved_config(base.artifact_uri), config) else None
        )
    return plan
