"""The champion rule: which of a split's fitted models serves."""

from __future__ import annotations

from pipeline.training.jobs import ModelOutcome


def champion_of(outcomes: list[ModelOutcome]) -> ModelOutcome | None:
    """The succeeded model with the lowest validation MAE (never test)."""
    scored = [
        (o.metric("validation", "mae"), o.model, o) for o in outcomes if o.status == "succeeded"
    ]
    ranked = sorted((s for s in scored if s[0] is not None), key=lambda s: (s[0], s[1]))
    return ranked[0][2] if ranked else None
