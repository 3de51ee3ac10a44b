"""The fast walk-forward replay: the daily step over many past days, its cost the retrains.

Each replayed day is what the live step (``flows.day.run_day``) does as of that day, from the
bars dated on or before it: the same split (scalers fit on that day's training range), the same
retrain-or-fine-tune plan, the same fits (``fit_one``), ensemble and rolling interval calibration,
which reads the errors of the forecasts the replay issued on earlier days. What differs is how:
no task, saved split or transaction per day, and under the ``frozen`` policy a recurrent model
between two retrains forecasts all those days in one batched predict.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import date
from itertools import takewhile
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.daily.combine import combine_top_k
from pipeline.daily.frozen import Frozen, frozen_outcome, predict_block
from pipeline.daily.plan import BaseRun, plan_fits, saved_scalers, wants_fine_tune
from pipeline.daily.realized import Realized
from pipeline.daily.step import StepConfig
from pipeline.data.calendars import next_trading_day
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.evaluation.champion import champion_of
from pipeline.forecast.scaled import calibrate_day
from pipeline.models.base import ForecastModel
from pipeline.models.registry import ENSEMBLE_KIND, NEURAL_KINDS
from pipeline.splits.build import build_split
from pipeline.splits.split import Split
from pipeline.training.fit_one import fit_one
from pipeline.training.jobs import FitJob, ModelOutcome
from pipeline.training.train import saved_model


@dataclass
class ReplayDay:
    """One replayed day: its outcomes (ensemble included) and the splits their runs name."""

    as_of: date
    last_known: float
    outcomes: list[ModelOutcome]
    splits: dict[str, Split] = field(default_factory=dict)


class ReplayEngine:
    """Replays one series day by day, keeping each recurrent model's lineage in memory."""

    def __init__(
        self,
        info: SymbolInfo,
        bars: pd.DataFrame,
        step: StepConfig,
        models_dir: Path,
        bases: dict[str, BaseRun],
        realized: Realized,
    ) -> None:
        self.info, self.step, self.models_dir = info, step, models_dir
        self.bars = bars.reset_index(drop=True)
        self._dates = self.bars["date"].to_numpy(dtype="datetime64[D]")
        self.actual = dict(zip(self._dates.tolist(), self.bars[step.target], strict=True))
        self.config = step.split_config()
        self.kinds = step.fitted_kinds()
        self.bases = dict(bases)
        self.realized = realized
        self._frozen: dict[str, dict[date, Frozen]] = {}
        self._models: dict[str, ForecastModel] = {}
        self.champion_errors: list[tuple[float, float]] = []  # |error|, naive's |error|

    def run(
        self, days: list[date], on_day: Callable[[ReplayDay], None] | None = None
    ) -> list[ReplayDay]:
        """Replay ``days`` (ascending, after any replayed before) in order."""
        out = []
        for i in range(len(days)):
            out.append(self._day(days, i))
            if on_day is not None:
                on_day(out[-1])
        return out

    def running_mae(self) -> tuple[int, float | None, float | None]:
        """Scored days so far, the champions' MAE and naive's MAE on them."""
        if not self.champion_errors:
            return 0, None, None
        errors = np.array(self.champion_errors)
        return len(errors), float(errors[:, 0].mean()), float(errors[:, 1].mean())

    def _history(self, day: date) -> pd.DataFrame:
        bars = self.bars.iloc[: int(np.searchsorted(self._dates, np.datetime64(day), "right"))]
        return bars.tail(self.step.history_bars) if self.step.history_bars else bars

    def _day(self, days: list[date], i: int) -> ReplayDay:
        day, step = days[i], self.step
        bars = self._history(day)
        fresh = build_split(bars, self.config, symbol=self.info.symbol)
        if fresh.as_of_date != day:
            raise InputError(f"{self.info.symbol} has no final bar on {day} to replay")
        result = ReplayDay(day, fresh.latest_known, [], {fresh.split_id: fresh})
        plan = plan_fits(self.info, self.kinds, self.bases, self.config, day, step.policy)
        done: dict[str, tuple[ModelOutcome, Split]] = {}
        fits: dict[str, tuple[Split, FitJob]] = {}
        for kind, base in plan.items():
            recent = self.realized.known_on(kind, day)
            # A recurrent model's frozen days (its scales too) come from one batched predict.
            if base is not None and step.policy.mode == "frozen" and kind in NEURAL_KINDS:
                done[kind] = self._frozen_outcome(kind, base, days, i, recent)
                continue
            split = fresh
            if base is not None:
                scalers = saved_scalers(base.artifact_uri)
                split = build_split(bars, self.config, symbol=self.info.symbol, scalers=scalers)
            fits[kind] = (
                split,
                FitJob(
                    kind,
                    "",
                    base.run_id if base else None,
                    base.artifact_uri if base else None,
                    step.hyperparameters_for(kind),
                    recent,
                ),
            )
        for kind, (split, job) in fits.items():
            done[kind] = (self._fit(split, job), split)
        for kind in plan:  # in the plan's order, as the live step lists them
            outcome, split = done[kind]
            result.splits.setdefault(split.split_id, split)
            result.outcomes.append(outcome)
            if kind in NEURAL_KINDS and outcome.status == "succeeded":
                self._advance(kind, plan[kind], outcome, day)
        if step.wants_ensemble():
            # Too few fitted members: no ensemble that day, as in the live step.
            with suppress(InputError):
                result.outcomes.append(
                    combine_top_k(
                        result.outcomes,
                        last_known=fresh.latest_known,
                        top_k=step.ensemble_top_k(),
                        members=step.ensemble_members(),
                        recent_errors=self.realized.known_on(ENSEMBLE_KIND, day),
                    )
                )
        errors = {o.model: self.realized.known_on(o.model, day) for o in result.outcomes}
        result.outcomes = calibrate_day(
            result.outcomes, errors, fresh.latest_known, step.calibration
        )
        self._score(result)
        return result

    def _fit(self, split: Split, job: FitJob) -> ModelOutcome:
        """One fit in this process, with the step's epochs and seed."""
        return fit_one(
            split,
            job,
            models_dir=self.models_dir,
            epochs=self.step.full_epochs(),
            finetune_epochs=self.step.policy.step_epochs,
            seed=self.step.seed,
        )

    def _advance(self, kind: str, base: BaseRun | None, outcome: ModelOutcome, day: date) -> None:
        """The run a later day fine-tunes from (or keeps frozen): this one."""
        last_full = day if base is None else base.last_full_as_of
        artifact = outcome.artifact_uri or (base.artifact_uri if base else "")
        self.bases[kind] = BaseRun(outcome.run_id, artifact, last_full)

    def _score(self, result: ReplayDay) -> None:
        """Each forecast's error, once its target day's bar is stored, for later calibration."""
        target_day = next_trading_day(self.info, result.as_of)
        actual = self.actual.get(target_day)
        if actual is None:
            return
        issued = [
            o for o in result.outcomes if o.status == "succeeded" and o.next_prediction is not None
        ]
        for o in issued:
            error = (actual - (o.next_prediction or 0.0)) / abs(result.last_known)
            self.realized.record(o.model, target_day.isoformat(), error / (o.scale or 1.0))
        champion = champion_of(result.outcomes)
        if champion is not None and champion.next_prediction is not None:
            self.champion_errors.append(
                (abs(actual - champion.next_prediction), abs(actual - result.last_known))
            )

    def _frozen_outcome(
        self, kind: str, base: BaseRun, days: list[date], i: int, recent: dict[str, float]
    ) -> tuple[ModelOutcome, Split]:
        """``base``'s model, weights frozen, on the day's inputs scaled as it was trained."""
        cached = self._frozen.get(kind, {}).pop(days[i], None)
        if cached is None:
            self._frozen[kind] = self._predict_frozen(kind, base, days, i)
            cached = self._frozen[kind].pop(days[i])
        model = self._model(base.artifact_uri)
        return frozen_outcome(kind, base, model, cached, recent), cached.split

    def _model(self, artifact: str) -> ForecastModel:
        if artifact not in self._models:
            current = {b.artifact_uri for b in self.bases.values()}  # drop retired models
            self._models = {a: m for a, m in self._models.items() if a in current}
            self._models[artifact] = saved_model(artifact)
        return self._models[artifact]

    def _predict_frozen(
        self, kind: str, base: BaseRun, days: list[date], i: int
    ) -> dict[date, Frozen]:
        """Per day from ``days[i]`` until ``base`` is due for a retrain: its split (the base's
        scalers) and the prices (and scales) of its validation targets and next day, all from
        one batched predict."""
        policy = self.step.policy
        frozen = list(
            takewhile(lambda d: wants_fine_tune(self.info, kind, base, d, policy), days[i:])
        )
        scalers = saved_scalers(base.artifact_uri)
        splits = [
            build_split(self._history(d), self.config, symbol=self.info.symbol, scalers=scalers)
            for d in frozen
        ]
        blocks = predict_block(self._model(base.artifact_uri), splits)
        return dict(zip(frozen, blocks, strict=True))
