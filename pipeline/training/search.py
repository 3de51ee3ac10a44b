"""A small, budgeted search over split and model settings, scored on validation only.

The test range never reaches the search: :func:`search` drops the last ``test_size`` bars before
building any split, so every candidate trains on the training range and is ranked by its
validation MAE in prices on the very same validation targets (they do not depend on the window
or the features). The table it returns records the date ranges each candidate used.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pipeline.choices import RECURRENT_KINDS
from pipeline.splits.config import SplitConfig, TargetKind
from pipeline.step_options import DEFAULT_SEED

if TYPE_CHECKING:
    from pipeline.splits.split import Split
    from pipeline.training.jobs import ModelOutcome

# Level inputs (the tutorials'), and scale-free ones that suit return targets.
OHLC = ("open", "high", "low", "close")
RETURNS = ("log_return", "gap", "intraday", "range_rel")
RETURNS_CONTEXT = (*RETURNS, "volume_z", "dow_sin", "dow_cos")


@dataclass(frozen=True)
class SearchSpace:
    """The values tried; the grid is their product (split settings x the kind's settings)."""

    windows: tuple[int, ...] = (10, 20, 60)
    feature_sets: tuple[tuple[str, ...], ...] = (OHLC, RETURNS, RETURNS_CONTEXT)
    target_kinds: tuple[TargetKind, ...] = ("log_return_from_close", "log_return", "level")
    units: tuple[tuple[int, ...], ...] = ((16,), (32,), (64, 64))
    dropouts: tuple[float, ...] = (0.0, 0.2)
    learning_rates: tuple[float, ...] = (1e-3, 3e-3)

    def fixing(
        self,
        *,
        window: int | None = None,
        features: tuple[str, ...] | None = None,
        target_kind: TargetKind | None = None,
    ) -> SearchSpace:
        """This space with the split settings a user gave held at their values (None: searched)."""
        return replace(
            self,
            windows=(window,) if window else self.windows,
            feature_sets=(features,) if features else self.feature_sets,
            target_kinds=(target_kind,) if target_kind else self.target_kinds,
        )

    def grid(self, kind: str, base: SplitConfig) -> list[Candidate]:
        """Every candidate of ``kind``: split settings on top of ``base``, then model settings.

        Ridge (``linear``) picks its own alpha on validation, so only the split varies for it.
        """
        splits = [
            replace(base, window=w, features=f, target_kind=t)
            for w, f, t in itertools.product(self.windows, self.feature_sets, self.target_kinds)
        ]
        if kind not in RECURRENT_KINDS:
            return [Candidate(kind, config) for config in splits]
        return [
            Candidate(kind, config, {"units": u, "dropout": d, "learning_rate": lr})
            for config, u, d, lr in itertools.product(
                splits, self.units, self.dropouts, self.learning_rates
            )
        ]


@dataclass(frozen=True)
class Candidate:
    """One model kind on one split config with its hyperparameters."""

    kind: str
    config: SplitConfig
    hyperparameters: dict[str, Any] = field(default_factory=dict)


@dataclass
class SearchResult:
    """The best candidate by validation MAE and one row per candidate tried, best first."""

    best: Candidate
    table: pd.DataFrame


def search_history(bars: pd.DataFrame, base: SplitConfig) -> pd.DataFrame:
    """``bars`` without the last ``base.test_size`` (the test range): all a search may see."""
    return bars.iloc[: len(bars) - base.test_size]


def draw(
    space: SearchSpace,
    kinds: tuple[str, ...],
    base: SplitConfig,
    *,
    budget: int,
    seed: int = DEFAULT_SEED,
) -> list[Candidate]:
    """At most ``budget`` candidates per kind: a seeded random draw from the grid when it is
    larger, else the whole grid. Their configs have no test range (``test_size=0``)."""
    base = replace(base, test_size=0)
    rng = np.random.default_rng(seed)
    candidates = []
    for kind in kinds:
        grid = space.grid(kind, base)
        chosen = (
            sorted(rng.choice(len(grid), size=budget, replace=False))
            if budget < len(grid)
            else range(len(grid))
        )
        candidates += [grid[index] for index in chosen]
    return candidates


def best_by_kind(candidates: list[Candidate], scores: list[float | None]) -> dict[str, Candidate]:
    """Per kind, the candidate with the lowest validation score (ties and all-failed kinds:
    the first listed). A missing or NaN score (a failed fit) never wins."""
    best: dict[str, tuple[float, Candidate]] = {}
    for candidate, raw in zip(candidates, scores, strict=True):
        score = raw if raw is not None and np.isfinite(raw) else float("inf")
        if candidate.kind not in best or score < best[candidate.kind][0]:
            best[candidate.kind] = (score, candidate)
    return {kind: candidate for kind, (_, candidate) in best.items()}


def chosen_trials(
    candidates: list[Candidate], trials: list[ModelOutcome], best: dict[str, Candidate]
) -> dict[str, str]:
    """Per kind, the saved model of its chosen trial (succeeded ones only), for the final fit."""
    return {
        c.kind: t.artifact_uri
        for c, t in zip(candidates, trials, strict=True)
        if best.get(c.kind) is c and t.status == "succeeded" and t.artifact_uri
    }


def search(
    bars: pd.DataFrame,
    base: SplitConfig,
    *,
    symbol: str,
    kinds: tuple[str, ...] = ("linear", "gru", "lstm"),
    space: SearchSpace | None = None,
    budget: int = 8,
    epochs: int = 30,
    seed: int = DEFAULT_SEED,
    fixed: dict[str, dict[str, Any]] | None = None,
) -> SearchResult:
    """Try at most ``budget`` candidates per kind (see :func:`draw`) in this process and rank
    them by validation MAE.

    ``base`` gives the target and the range sizes; its ``test_size`` last bars are removed
    before anything is built. ``epochs`` caps each neural fit (early stopping on validation).
    ``fixed`` adds hyperparameters per kind that are not searched (e.g. ``batch_size``).
    """
    # Imported here: the presets import this module, and reading them loads no model code.
    from pipeline.splits.build import build_split

    history = search_history(bars, base)  # the test bars never reach a split
    fixed = fixed or {}
    splits: dict[SplitConfig, Split] = {}  # one split per config, shared by the kinds
    rows = []
    for candidate in draw(space or SearchSpace(), kinds, base, budget=budget, seed=seed):
        if candidate.config not in splits:
            splits[candidate.config] = build_split(history, candidate.config, symbol=symbol)
        split = splits[candidate.config]
        rows.append(_score(candidate, split, epochs, seed, fixed.get(candidate.kind, {})))
    table = pd.DataFrame(rows).sort_values("validation_mae", kind="stable", ignore_index=True)
    return SearchResult(best=table["candidate"].iloc[0], table=table)


def _score(
    candidate: Candidate, split: Split, epochs: int, seed: int, fixed: dict[str, Any]
) -> dict[str, Any]:
    """Fit on training, predict validation; one table row (the test range is not in ``split``)."""
    from pipeline.evaluation.metrics import mae
    from pipeline.models.registry import make_model

    started = time.perf_counter()
    model = make_model(candidate.kind, **fixed, **candidate.hyperparameters)
    model.fit(split, epochs=epochs, seed=seed)
    part = split.validation
    config = candidate.config
    return {
        "kind": candidate.kind,
        "window": config.window,
        "features": ",".join(config.features),
        "target_kind": config.target_kind,
        **{k: str(v) for k, v in candidate.hyperparameters.items()},
        "validation_mae": mae(part.actual, model.predict_part(part)),
        "validation_naive_mae": mae(part.actual, part.last_known),
        "epochs_run": model.epochs_run_,
        "seconds": time.perf_counter() - started,
        "train_start": split.train.start,
        "train_end": split.train.end,
        "validation_start": part.start,
        "validation_end": part.end,
        "candidate": candidate,
    }
