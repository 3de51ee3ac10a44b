"""One model's run as the day step hands it on (``ModelOutcome``), built for the unit tests."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd

from pipeline.training.jobs import ModelOutcome

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def prediction_rows(
    split: str, dates: pd.DatetimeIndex, predicted: Any, actual: Any, last_known: Any
) -> pd.DataFrame:
    """A run's predictions rows for one split range."""
    return pd.DataFrame(
        {
            "split": split,
            "date": dates,
            "predicted": predicted,
            "actual": actual,
            "last_known": last_known,
        }
    )


def validation_mae(mae: float) -> pd.DataFrame:
    """A run's metrics rows holding only its validation MAE (what the ensemble ranks on)."""
    return pd.DataFrame([{"split": "validation", "metric": "mae", "value": mae}])


def mean_abs_error(frame: pd.DataFrame) -> float:
    """The MAE of a predictions frame."""
    return float(np.mean(np.abs(frame["actual"] - frame["predicted"])))


def outcome(model: str, *, status: str = "succeeded", **fields: Any) -> ModelOutcome:
    """A full fit of ``model`` (run ``run-<model>``, finished at NOW); ``fields`` set the rest."""
    return ModelOutcome(
        model=model,
        run_id=f"run-{model}",
        split_id="split",
        training="full",
        base_run_id=None,
        started_at=NOW,
        finished_at=NOW,
        status=status,
        **fields,
    )
