"""Tables people read: every model beside the naive baseline, losers marked as such."""

from __future__ import annotations

import pandas as pd

from pipeline.fitting import ModelOutcome


def train_table(outcomes: list[ModelOutcome], champion_run_id: str | None) -> pd.DataFrame:
    """One row per model: validation and test MAE beside the naive MAE on the same targets."""
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
                "verdict": _verdict(o, mae, naive),
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
    return "beats naive" if mae < naive else "LOSES to naive"


def test_predictions(outcomes: list[ModelOutcome]) -> pd.DataFrame:
    """All models' test-range predictions in one long frame (model, date, predicted, …)."""
    frames = [
        o.predictions[o.predictions["split"] == "test"].assign(model=o.model)
        for o in outcomes
        if o.status == "succeeded" and not o.predictions.empty
    ]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
