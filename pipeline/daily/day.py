"""One symbol's day, the one code path of the live step, the watch list and the replay: plan
retrain or fine-tune, fit with an injected fitter, combine the ensemble, calibrate, and the
forecast rows. Pure: what reads and writes the warehouse, and where fits run, is the caller's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from pipeline.daily.combine import combine_top_k
from pipeline.daily.inputs import DayInputs
from pipeline.daily.plan import DayPlan, plan_day
from pipeline.data.calendars import next_trading_day
from pipeline.data.symbols import SymbolInfo
from pipeline.errors import InputError
from pipeline.evaluation.champion import champion_of
from pipeline.forecast.scaled import calibrate_day
from pipeline.models.registry import ENSEMBLE_KIND
from pipeline.splits.split import Split
from pipeline.step_config import StepConfig
from pipeline.training.jobs import ModelOutcome

# Fits every plan's jobs; per plan, one outcome per job in the plan's order (flows.fitters)
Fitter = Callable[[list[DayPlan]], list[list[ModelOutcome]]]


@dataclass
class DayOutcome:
    """One symbol's day after fitting: its outcomes (ensemble included, calibrated) and the
    splits their runs name."""

    info: SymbolInfo
    as_of: date
    last_known: float  # the naive forecast
    outcomes: list[ModelOutcome]
    splits: list[Split]
    fingerprint: str = ""  # its inputs' key, when a same-day re-run may reuse it
    notes: list[str] = field(default_factory=list)  # what the day left out, and why

    def champion(self) -> ModelOutcome | None:
        """The day's champion (lowest validation MAE)."""
        return champion_of(self.outcomes)

    def forecast_rows(self, target: str, *, is_replay: bool, issued_at: datetime) -> pd.DataFrame:
        """One forecast row per succeeded model for the next trading day after ``as_of``."""
        target_date = next_trading_day(self.info, self.as_of)
        champion = self.champion()
        rows: list[dict[str, Any]] = [
            {
                "symbol": self.info.symbol,
                "model": o.model,
                "run_id": o.run_id,
                "target": target,
                "as_of_date": self.as_of,
                "target_date": target_date,
                "issued_at": issued_at,
                "predicted": o.next_prediction,
                **o.intervals,
                "last_known": self.last_known,
                "is_champion": champion is not None and o.run_id == champion.run_id,
                "is_replay": is_replay,
                "scale": o.scale,
                "quantiles": o.quantiles,
            }
            for o in self.outcomes
            if o.status == "succeeded" and o.next_prediction is not None
        ]
        return pd.DataFrame(rows)


def step_days(inputs: list[DayInputs], step: StepConfig, fitter: Fitter) -> list[DayOutcome]:
    """Each symbol's day: its plan, every plan's fits in one call of ``fitter``, its outcome."""
    plans = [plan_day(i, step) for i in inputs]
    fitted = fitter(plans) if plans else []
    return [finish_day(p, o, step) for p, o in zip(plans, fitted, strict=True)]


def step_day(inputs: DayInputs, step: StepConfig, fitter: Fitter) -> DayOutcome:
    """One symbol's day (:func:`step_days` of one)."""
    [day] = step_days([inputs], step, fitter)
    return day


def finish_day(plan: DayPlan, outcomes: list[ModelOutcome], step: StepConfig) -> DayOutcome:
    """The fitted day: the ensemble of its best members (none when too few fitted, noted),
    every forecast's quantiles and intervals calibrated on its scored errors."""
    errors, notes = plan.inputs.errors, []
    if step.wants_ensemble():
        try:
            ensemble = combine_top_k(
                outcomes,
                last_known=plan.last_known,
                top_k=step.ensemble_top_k(),
                members=step.ensemble_members(),
                recent_errors=errors.get(ENSEMBLE_KIND, {}),
            )
            outcomes = [*outcomes, ensemble]
        except InputError as exc:
            notes.append(f"no ensemble on {plan.as_of}: {exc}")
    calibrated = calibrate_day(outcomes, errors, plan.last_known, step.calibration)
    return DayOutcome(
        plan.inputs.info,
        plan.as_of,
        plan.last_known,
        calibrated,
        plan.used_splits(),
        plan.inputs.fingerprint,
        notes,
    )
