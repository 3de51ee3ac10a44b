"""The fast walk-forward replay: the daily step over many past days, its cost the retrains.

Each replayed day is the live step's day (pipeline.daily.day.step_day) as of that day, from the
bars dated on or before it, the lineage the replay's earlier days left and the errors of the
forecasts it issued on earlier days. What differs is the caller's: no task, saved split or
transaction per day, and the fitter (pipeline.daily.frozen.ReplayFitter) forecasts a frozen
recurrent model's days between two retrains in one batched predict.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.daily.day import DayOutcome, Fitter, step_day
from pipeline.daily.frozen import ReplayFitter
from pipeline.daily.inputs import DayInputs
from pipeline.daily.realized import Realized
from pipeline.daily.schedule import BaseRun
from pipeline.data.calendars import next_trading_day
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.forecast.intervals import relative_errors
from pipeline.models.registry import ENSEMBLE_KIND, NEURAL_KINDS
from pipeline.splits.build import build_split
from pipeline.step_config import StepConfig


class ReplayEngine:
    """Replays one series day by day: the loop, with each recurrent model's lineage and the
    scored errors kept in memory."""

    def __init__(
        self,
        info: SymbolInfo,
        bars: pd.DataFrame,
        step: StepConfig,
        bases: dict[str, BaseRun],
        realized: Realized,
    ) -> None:
        self.info, self.step = info, step
        self.bars = bars.reset_index(drop=True)
        self._dates = self.bars["date"].to_numpy(dtype="datetime64[D]")
        self.actual = dict(zip(self._dates.tolist(), self.bars[step.target], strict=True))
        self.bases = dict(bases)
        self.realized = realized
        self.champion_errors: list[tuple[float, float]] = []  # |error|, naive's |error|

    def fitter(self, models_dir: Path, days: list[date]) -> ReplayFitter:
        """The in-process fitter of replaying ``days``."""
        return ReplayFitter(self.step, models_dir, self.history, days)

    def run(
        self,
        days: list[date],
        fitter: Fitter,
        on_day: Callable[[DayOutcome], None] | None = None,
    ) -> list[DayOutcome]:
        """Replay ``days`` (ascending, after any replayed before) in order."""
        out = []
        for day in days:
            out.append(self._day(day, fitter))
            if on_day is not None:
                on_day(out[-1])
        return out

    def running_mae(self) -> tuple[int, float | None, float | None]:
        """Scored days so far, the champions' MAE and naive's MAE on them."""
        if not self.champion_errors:
            return 0, None, None
        errors = np.array(self.champion_errors)
        return len(errors), float(errors[:, 0].mean()), float(errors[:, 1].mean())

    def history(self, day: date) -> pd.DataFrame:
        """The bars day ``day`` trains on: dated on or before it, the newest ``history_bars``."""
        bars = self.bars.iloc[: int(np.searchsorted(self._dates, np.datetime64(day), "right"))]
        return self.step.recent(bars)

    def _day(self, day: date, fitter: Fitter) -> DayOutcome:
        bars = self.history(day)
        fresh = build_split(bars, self.step.split_config(), symbol=self.info.symbol)
        if fresh.as_of_date != day:
            raise InputError(f"{self.info.symbol} has no final bar on {day} to replay")
        kinds = [*self.step.fitted_kinds(), ENSEMBLE_KIND]
        errors = {kind: self.realized.known_on(kind, day) for kind in kinds}
        inputs = DayInputs(self.info, bars, fresh, dict(self.bases), errors)
        outcome = step_day(inputs, self.step, fitter)
        self._advance(outcome, inputs.bases)
        self._score(outcome)
        return outcome

    def _advance(self, day: DayOutcome, bases: dict[str, BaseRun]) -> None:
        """The run a later day fine-tunes from (or keeps frozen): this day's."""
        for o in day.outcomes:
            if o.model not in NEURAL_KINDS or o.status != "succeeded":
                continue
            base = bases[o.model] if o.training == "fine_tune" else None
            last_full = day.as_of if base is None else base.last_full_as_of
            artifact = o.artifact_uri or (base.artifact_uri if base else "")
            self.bases[o.model] = BaseRun(o.run_id, artifact, last_full)

    def _score(self, day: DayOutcome) -> None:
        """Each forecast's error, once its target day's bar is stored, for later calibration."""
        target_day = next_trading_day(self.info, day.as_of)
        actual = self.actual.get(target_day)
        if actual is None:
            return
        issued = [
            (o, o.next_prediction)
            for o in day.outcomes
            if o.status == "succeeded" and o.next_prediction is not None
        ]
        errors = relative_errors(actual, [p for _, p in issued], day.last_known)
        for (o, _), error in zip(issued, errors, strict=True):
            self.realized.record(o.model, target_day.isoformat(), float(error) / (o.scale or 1.0))
        champion = day.champion()
        if champion is not None and champion.next_prediction is not None:
            self.champion_errors.append(
                (abs(actual - champion.next_prediction), abs(actual - day.last_known))
            )
