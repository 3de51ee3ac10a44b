"""Tables people read: every model beside the naive baseline, losers marked as such."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from pipeline.evaluation.naive import against_naive
from pipeline.reporting.summary import SymbolSummary, summarize
from pipeline.training.jobs import ModelOutcome
from pipeline.training.search import Candidate


def train_table(outcomes: list[ModelOutcome], champion_run_id: str | None) -> pd.DataFrame:
    """One row per model: validation and test MAE beside the naive MAE on the same targets, and
    the test range's 95% interval score and pinball loss beside the probabilistic baseline's."""
    rows = []
    for o in outcomes:
        # Test when the split has one, else validation (the daily split has no test range).
        scored = "test" if o.metric("test", "mae") is not None else "validation"
        mae, naive = o.metric(scored, "mae"), o.metric(scored, "mae_naive")
        rows.append(
            {
                "model": o.model,
                "status": o.status,
                "epochs": o.epochs_run,
                "val_mae": o.metric("validation", "mae"),
                "val_naive_mae": o.metric("validation", "mae_naive"),
                "test_mae": o.metric("test", "mae"),
                "test_naive_mae": o.metric("test", "mae_naive"),
                "skill": o.metric(scored, "skill"),
                "direction_acc": o.metric(scored, "direction_accuracy"),
                "dm_p_better": o.metric(scored, "dm_p_value_better"),
                "verdict": _verdict(o, mae, naive),
                # the test range's distribution beside the probabilistic baseline's
                "test_is95": o.metric("test", "interval_score_95"),
                "test_naive_is95": o.metric("test", "naive_interval_score_95"),
                "test_pinball": o.metric("test", "pinball_loss"),
                "test_naive_pinball": o.metric("test", "naive_pinball_loss"),
                "champion": o.run_id == champion_run_id,
            }
        )
    return pd.DataFrame(rows)


def _verdict(outcome: ModelOutcome, mae: float | None, naive: float | None) -> str:
    if outcome.status != "succeeded":
        return f"failed: {outcome.error}"
    if outcome.model == "naive":
        return "baseline"
    if mae is None or naive is None:
        return ""
    return against_naive(mae, naive, loud=True)


def search_table(
    candidates: list[Candidate], trials: list[ModelOutcome], best: dict[str, Candidate]
) -> pd.DataFrame:
    """One row per config tried on validation, best first per kind: its settings, validation
    MAE beside naive's, the date ranges it used, and whether it was chosen."""
    rows = []
    for candidate, trial in zip(candidates, trials, strict=True):
        config = candidate.config
        start, end = _validation_range(trial)
        rows.append(
            {
                "model": candidate.kind,
                "window": config.window,
                "features": ",".join(config.features),
                "target_kind": config.target_kind,
                **{k: str(v) for k, v in candidate.hyperparameters.items()},
                "val_mae": _or_nan(trial.metric("validation", "mae")),
                "val_naive_mae": _or_nan(trial.metric("validation", "mae_naive")),
                "validation_start": start,
                "validation_end": end,
                "chosen": best.get(candidate.kind) is candidate,
                "status": trial.status,
                "run_id": trial.run_id,
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values(["model", "val_mae"], kind="stable", ignore_index=True)


def selection_notes(
    candidates: list[Candidate], trials: list[ModelOutcome], best: dict[str, Candidate]
) -> dict[str, dict[str, Any]]:
    """Per model, how its config was chosen, as recorded with its run (a kind whose every
    trial failed has none: its final run keeps the preset's config)."""
    tried = Counter(c.kind for c in candidates)
    notes = {}
    for candidate, trial in zip(candidates, trials, strict=True):
        mae = trial.metric("validation", "mae")
        if best.get(candidate.kind) is not candidate or mae is None or not np.isfinite(mae):
            continue
        start, end = _validation_range(trial)
        notes[candidate.kind] = {
            "selected_on": "validation",
            "trials": tried[candidate.kind],
            "trial_run_id": trial.run_id,
            "validation_mae": mae,
            "validation_range": [str(start), str(end)],
            "window": candidate.config.window,
            "features": list(candidate.config.features),
            "target_kind": candidate.config.target_kind,
        }
    return notes


def _validation_range(outcome: ModelOutcome) -> tuple[date | None, date | None]:
    """First and last validation target day of a run (None for a failed run)."""
    if outcome.predictions.empty:
        return None, None
    days = outcome.predictions.loc[outcome.predictions["split"] == "validation", "date"]
    return days.min().date(), days.max().date()


def _or_nan(value: float | None) -> float:
    return float("nan") if value is None else value


def test_predictions(outcomes: list[ModelOutcome]) -> pd.DataFrame:
    """All models' test-range predictions in one long frame (model, date, predicted, …)."""
    frames = [
        o.predictions[o.predictions["split"] == "test"].assign(model=o.model)
        for o in outcomes
        if o.status == "succeeded" and not o.predictions.empty
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@dataclass
class DailyReport:
    """What a daily run shows: per symbol a short summary (tomorrow's forecast and interval,
    each champion against naive), the next-day forecasts beside naive, and how the last ones
    scored."""

    forecasts: pd.DataFrame
    last_scored: pd.DataFrame
    summaries: list[SymbolSummary] = field(default_factory=list)
    plots: list[str] = field(default_factory=list)
    days: list[Any] = field(default_factory=list)

    def markdown(self) -> str:
        """The report as markdown, for a Prefect artifact."""
        return (
            "".join(f"{s.markdown()}\n\n" for s in self.summaries)
            + "# Next trading day forecasts\n\n"
            + _markdown_table(self.forecasts)
            + "\n\n# Latest scored forecasts (champion beside naive)\n\n"
            + _markdown_table(self.last_scored)
        )


def daily_report(
    latest: pd.DataFrame,
    scored: dict[str, pd.DataFrame],
    board: pd.DataFrame | None = None,
    currencies: dict[str, str] | None = None,
) -> DailyReport:
    """Champion forecasts with intervals beside naive, each symbol's latest scored champion,
    and with the ``board`` (the leaderboard, window ``all``) each symbol's summary."""
    champions = latest[latest["is_champion"]]
    forecasts = pd.DataFrame(
        {
            "symbol": champions["symbol"],
            "as_of": champions["as_of_date"],
            "target_date": champions["target_date"],
            "model": champions["model"],
            "predicted": champions["predicted"],
            "lower_80": champions["lower_80"],
            "upper_80": champions["upper_80"],
            "lower_95": champions["lower_95"],
            "upper_95": champions["upper_95"],
            "naive": champions["naive_predicted"],
        }
    ).reset_index(drop=True)
    rows = []
    for symbol, history in scored.items():
        champ = history[history["is_champion"]]
        if champ.empty:
            continue
        last = champ.sort_values(["target_date", "issued_at"]).iloc[-1]
        rows.append(
            {
                "symbol": symbol,
                "target_date": last["target_date"],
                "model": last["model"],
                "predicted": last["predicted"],
                "actual": last["actual"],
                "accuracy": last["accuracy"],
                "naive_accuracy": last["naive_accuracy"],
                "champion_accuracy_mean": champ["accuracy"].mean(),
                "naive_accuracy_mean": champ["naive_accuracy"].mean(),
                "n_scored": len(champ),
            }
        )
    summaries = summarize(latest, board, currencies or {}) if board is not None else []
    return DailyReport(forecasts=forecasts, last_scored=pd.DataFrame(rows), summaries=summaries)


def _markdown_table(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "_none_"
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join(f"{v:.4f}" if isinstance(v, float) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])
