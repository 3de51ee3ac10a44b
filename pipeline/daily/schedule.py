"""Which days retrain: the retrain policy, the one rule that today's plan and the replay's
frozen blocks both read, and the run a fine-tune starts from."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import takewhile
from typing import Any

import pandas as pd

from pipeline.choices import POLICIES
from pipeline.data.calendars import trading_days
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.models.registry import NEURAL_KINDS


@dataclass(frozen=True)
class BaseRun:
    """The newest earlier run of a model that a fine-tune may start from."""

    run_id: str
    artifact_uri: str
    last_full_as_of: date  # as-of date of the full retrain its lineage started from

    @classmethod
    def by_model(cls, rows: Iterable[Mapping[Any, Any]]) -> dict[str, BaseRun]:
        """Per model, from the rows of warehouse.models.base_runs."""
        return {
            row["model"]: cls(
                row["run_id"], row["artifact_uri"], pd.Timestamp(row["last_full_as_of"]).date()
            )
            for row in rows
        }


@dataclass(frozen=True)
class RetrainPolicy:
    """Full retrain every ``retrain_every`` trading days; in between, ``finetune`` the latest
    model for ``finetune_epochs`` each day, or keep its weights ``frozen`` (the fast replay)."""

    retrain_every: int
    finetune_epochs: int
    mode: str = "finetune"

    def __post_init__(self) -> None:
        if self.mode not in POLICIES:
            raise InputError(f"unknown policy {self.mode!r}; choose from {list(POLICIES)}")

    @property
    def step_epochs(self) -> int:
        """Epochs of a day between full retrains (0: frozen weights, the model only predicts)."""
        return 0 if self.mode == "frozen" else self.finetune_epochs

    def fine_tunes(
        self,
        info: SymbolInfo,
        kind: str,
        base: BaseRun | None,
        day: date,
        errors: Mapping[str, float],
    ) -> bool:
        """The rule: on ``day``, fine-tune (or keep frozen) a neural model whose lineage's last
        full retrain is fewer than ``retrain_every`` trading days before it (and not after it);
        else retrain. ``errors``: the model's scored errors known on ``day`` (ISO target day ->
        relative error), for a rule that reads them; this one does not."""
        if kind not in NEURAL_KINDS or base is None or self.retrain_every <= 1:
            return False
        if base.last_full_as_of >= day:  # never start from a model that saw later bars
            return False
        since = len(trading_days(info, base.last_full_as_of, day)) - 1
        return since < self.retrain_every

    def kept_days(
        self,
        info: SymbolInfo,
        kind: str,
        base: BaseRun,
        days: Iterable[date],
        errors: Mapping[str, float],
    ) -> list[date]:
        """The leading ``days`` that keep ``base`` by :meth:`fine_tunes`, as far as ``errors``
        (known now) tell: a block worth predicting ahead. Each day's plan still asks the rule
        with that day's errors, so a day the rule retrains after all just leaves its entry
        unused."""
        return list(takewhile(lambda d: self.fine_tunes(info, kind, base, d, errors), days))
