"""When a same-day re-run may reuse the day's fits: the key of a day's inputs."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping

from pipeline.daily.plan import BaseRun
from pipeline.daily.step import StepConfig
from pipeline.splits.split import Split


def day_fingerprint(
    fresh: Split,
    step: StepConfig,
    bases: Mapping[str, BaseRun],
    errors: Mapping[str, Mapping[str, float]],
) -> str:
    """md5 of everything a day's fits and forecasts follow from: the day's split (its id
    hashes the symbol, the as-of day, the split config and every bar read), the step options
    (models, preset, epochs, seed, retrain policy, …), the base run each model would fine-tune
    from, and the scored errors its intervals are calibrated on. Equal fingerprints, equal
    forecasts (up to the fits' own nondeterminism)."""
    payload = {
        "split": fresh.split_id,
        "step": dataclasses.asdict(step),
        "bases": {kind: base.run_id for kind, base in sorted(bases.items())},
        "errors": {kind: dict(sorted(days.items())) for kind, days in sorted(errors.items())},
    }
    text = json.dumps(payload, sort_keys=True, default=str)
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()
