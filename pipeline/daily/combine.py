"""The daily ``ensemble``: the mean of the day's ``top_k`` best models by validation MAE.

In the daily step the members are already fitted (or fine-tuned) on the day's split, so the
ensemble is combined from their outcomes instead of retraining them: same members and ranking
rule as ``pipeline.models.ensemble`` (validation MAE, never a test range), at no extra fit.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

import pandas as pd

from pipeline.errors import InputError
from pipeline.evaluation.metrics import evaluate, significance_vs_naive
from pipeline.evaluation.probabilistic import distribution_scores
from pipeline.forecast.calibration import CALIBRATION_WINDOW
from pipeline.forecast.intervals import calibration_pool, interval_bounds, quantile_forecast
from pipeline.models.ensemble import EnsembleModel, top_k_by_validation_mae
from pipeline.models.registry import ENSEMBLE_KIND
from pipeline.training.jobs import ModelOutcome

TOP_K: int = EnsembleModel.defaults["top_k"]
MEMBERS: tuple[str, ...] = tuple(EnsembleModel.defaults["members"])


def combine_top_k(
    outcomes: list[ModelOutcome],
    *,
    last_known: float,
    top_k: int = TOP_K,
    members: Sequence[str] = MEMBERS,
    recent_errors: Mapping[str, float] | None = None,
) -> ModelOutcome:
    """One ``ensemble`` outcome: the mean forecast and validation predictions of the ``top_k``
    succeeded outcomes of ``members`` kinds with the lowest validation MAE (ties keep the
    listed order).

    Its lineage is in ``hyperparameters``: the members' run ids, models and validation MAEs.
    ``recent_errors`` calibrates its flat-window intervals, as for any point model, until the
    day puts it on a scale (``pipeline.forecast.scaled``).
    """
    started = datetime.now(tz=UTC)
    fitted = [
        o
        for o in outcomes
        if o.status == "succeeded"
        and o.model in members
        and o.next_prediction is not None
        and o.metric("validation", "mae") is not None
    ]
    if len(fitted) < top_k or top_k < 1:
        raise InputError(f"an ensemble of the top {top_k} needs {top_k} fitted models")
    scored = [(o.metric("validation", "mae") or 0.0, o) for o in fitted]
    ranked = [o for _, o in top_k_by_validation_mae(scored, top_k)]
    validation = _mean_validation(ranked)
    point = sum(o.next_prediction or 0.0 for o in ranked) / top_k
    scores = {
        **evaluate(validation["actual"], validation["predicted"], validation["last_known"]),
        **significance_vs_naive(
            validation["actual"], validation["predicted"], validation["last_known"]
        ),
        **distribution_scores(validation, validation),  # in-sample, as score_parts's
    }
    history = calibration_pool(validation, recent_errors or {}, window=CALIBRATION_WINDOW)
    quantiles = quantile_forecast(point, last_known, history)
    return ModelOutcome(
        model=ENSEMBLE_KIND,
        run_id=str(uuid.uuid4()),
        split_id=ranked[0].split_id,
        training="full",
        base_run_id=None,
        started_at=started,
        finished_at=datetime.now(tz=UTC),
        status="succeeded",
        hyperparameters={
            "top_k": top_k,
            "combined_from": [
                {
                    "model": o.model,
                    "run_id": o.run_id,
                    "validation_mae": o.metric("validation", "mae"),
                }
                for o in ranked
            ],
        },
        epochs_run=0,
        train_seconds=0.0,
        predictions=validation,
        metrics=pd.DataFrame(
            [{"split": "validation", "metric": m, "value": v} for m, v in scores.items()],
            columns=["split", "metric", "value"],
        ),
        next_prediction=point,
        intervals=interval_bounds(quantiles),
        quantiles=quantiles,
    )


def _mean_validation(members: list[ModelOutcome]) -> pd.DataFrame:
    """The members' mean validation prediction per target day (their targets are the same)."""
    frames = [o.predictions[o.predictions["split"] == "validation"] for o in members]
    stacked = pd.concat(frames, ignore_index=True)
    grouped = stacked.groupby("date", sort=True)
    if (grouped.size() != len(members)).any():
        raise InputError("ensemble members were validated on different target days")
    mean = grouped.agg(
        predicted=("predicted", "mean"),
        actual=("actual", "first"),
        last_known=("last_known", "first"),
    ).reset_index()
    return mean.assign(split="validation")[["split", "date", "predicted", "actual", "last_known"]]
