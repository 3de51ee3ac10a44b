"""Fit one model on one split and forecast the next trading day: the GPU worker's job.

It takes a Split (arrays) and returns numbers and artifact paths; it never opens the
warehouse, so it can run in another process or on another machine.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from pipeline.forecast.next_day import scored_outcome
from pipeline.splits.split import Split
from pipeline.step_options import DEFAULT_SEED, FINETUNE_EPOCHS
from pipeline.training.jobs import FitJob, ModelOutcome
from pipeline.training.train import finetune_model, reuse_trial, train_model

log = logging.getLogger("nextbar.progress")


def fit_saved(
    job: FitJob, *, models_dir: Path, epochs: int, finetune_epochs: int, seed: int
) -> ModelOutcome:
    """:func:`fit_one` on the split saved at ``job.split_path`` (what a trainer gets)."""
    return fit_one(
        Split.load(job.split_path),
        job,
        models_dir=models_dir,
        epochs=epochs,
        finetune_epochs=finetune_epochs,
        seed=seed,
    )


def fit_one(
    split: Split,
    job: FitJob,
    *,
    models_dir: Path,
    epochs: int,
    finetune_epochs: int = FINETUNE_EPOCHS,
    seed: int = DEFAULT_SEED,
) -> ModelOutcome:
    """Train (or fine-tune) one model, score it, forecast the next day with conformal intervals.

    A failure is returned as a failed outcome (with the error), not raised, so one broken
    model never hides the others' results.
    """
    kind, run_id = job.kind, str(uuid.uuid4())
    outcome = partial(
        ModelOutcome,
        model=kind,
        run_id=run_id,
        split_id=split.split_id,
        training=job.training,
        base_run_id=job.base_run_id,
        started_at=datetime.now(tz=UTC),
    )

    total = finetune_epochs if job.base_artifact else epochs

    def progress(epoch: int, logs: dict[str, float]) -> None:
        shown = " ".join(f"{k}={v:.5f}" for k, v in logs.items())
        fit = {"symbol": split.symbol, "model": kind, "training": job.training}
        log.info(
            "%s %s %s epoch %d/%d %s",
            split.symbol,
            kind,
            job.training,
            epoch + 1,
            total,
            shown,
            extra={"fit": {**fit, "epoch": epoch + 1, "epochs": total}},  # flows.progress
        )

    try:
        if job.trial_artifact:
            result = reuse_trial(
                split, Path(job.trial_artifact), run_id=run_id, models_dir=models_dir
            )
        elif job.base_artifact:
            result = finetune_model(
                split,
                Path(job.base_artifact),
                run_id=run_id,
                models_dir=models_dir,
                epochs=finetune_epochs,
                seed=seed,
                on_epoch=progress,
            )
        else:
            result = train_model(
                split,
                kind,
                run_id=run_id,
                models_dir=models_dir,
                epochs=epochs,
                seed=seed,
                hyperparameters=job.hyperparameters,
                on_epoch=progress,
            )
    except Exception as exc:  # reported per model; the caller decides what a failure means
        log.warning("%s %s failed: %s", split.symbol, kind, exc)
        return outcome(
            finished_at=datetime.now(tz=UTC),
            status="failed",
            error=f"{type(exc).__name__}: {exc}",
        )
    return scored_outcome(result, split, outcome, job.recent_errors)
