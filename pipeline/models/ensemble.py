"""The ``ensemble`` kind: the mean price of the best ``top_k`` member models by validation MAE.

Members are fitted on the ensemble's own split (so they share its inputs and target), ranked by
validation MAE in prices (never test), and the ``top_k`` best are kept. Each kept member is
saved in its own directory under ``members/``; a reload predicts exactly as the fitted ensemble.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import numpy as np

from pipeline.choices import ENSEMBLE_KIND
from pipeline.errors import InputError
from pipeline.evaluation.metrics import mae
from pipeline.models.base import EpochCallback, ForecastModel
from pipeline.models.kinds import load_saved, make_single
from pipeline.splits.split import Split

MEMBERS_DIR = "members"
T = TypeVar("T")


def top_k_by_validation_mae(scored: Iterable[tuple[float, T]], k: int) -> list[tuple[float, T]]:
    """The ``k`` (validation MAE, item) pairs with the lowest MAE; ties keep the given order.
    The one ranking rule of both ensembles (this kind and pipeline.daily.combine)."""
    return sorted(scored, key=lambda pair: pair[0])[:k]  # sorted is stable


class EnsembleModel(ForecastModel):
    """Mean of the ``top_k`` best ``members`` (model kinds, repeats allowed) on validation.

    ``member_hyperparameters`` maps a member kind to its hyperparameters. The cheap baselines are
    candidates too: on a target where persistence is hard to beat they may rightly be kept.
    """

    alias = "ensemble"
    defaults: ClassVar[dict[str, Any]] = {
        "members": ["linear", "gru", "lstm", "drift", "naive"],
        "top_k": 3,
        "member_hyperparameters": {},
    }

    def __init__(self, **hyperparameters: Any) -> None:
        super().__init__(**hyperparameters)
        # JSON turns tuples (member units) into lists; keep that form so a reload compares equal.
        self.hyperparameters = json.loads(json.dumps(self.hyperparameters))

    def _fit(self, split: Split, *, epochs: int, seed: int, on_epoch: EpochCallback | None) -> None:
        kinds, top_k = self.hyperparameters["members"], self.hyperparameters["top_k"]
        if ENSEMBLE_KIND in kinds:
            raise InputError("an ensemble cannot be a member of an ensemble")
        if not 1 <= top_k <= len(kinds):
            raise InputError(f"top_k must be between 1 and {len(kinds)} members, got {top_k}")
        hyperparameters = self.hyperparameters["member_hyperparameters"]
        scored = []
        for kind in kinds:
            member = make_single(kind, **hyperparameters.get(kind, {}))
            member.fit(split, epochs=epochs, seed=seed, on_epoch=on_epoch)
            part = split.validation
            scored.append((mae(part.actual, member.predict_part(part)), member))
        ranked = top_k_by_validation_mae(scored, top_k)
        self.members_ = [member for _, member in ranked]
        self.member_maes_ = [score for score, _ in ranked]
        self.epochs_run_ = max(member.epochs_run_ for member in self.members_)

    def _predict(self, X: np.ndarray, last_known: np.ndarray, anchor: np.ndarray) -> np.ndarray:
        return np.mean([m.predict(X, last_known, anchor) for m in self.members_], axis=0)

    def _save_state(self, directory: Path) -> dict[str, Any]:
        saved = []
        for i, (member, score) in enumerate(zip(self.members_, self.member_maes_, strict=True)):
            relative = f"{MEMBERS_DIR}/{i}-{member.alias}"
            member.save(directory / relative)
            saved.append({"kind": member.alias, "dir": relative, "validation_mae": score})
        return {"members": saved}

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        self.members_ = [
            load_saved(directory / entry["dir"], make_single) for entry in state["members"]
        ]
        self.member_maes_ = [float(entry["validation_mae"]) for entry in state["members"]]
