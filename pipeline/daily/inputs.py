"""What one symbol's day is planned from, and the key of those inputs (a same-day re-run whose
key is unchanged may reuse the day's fits)."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass

import pandas as pd

from pipeline.daily.schedule import BaseRun
from pipeline.data.symbols import SymbolInfo
from pipeline.splits.split import Split
from pipeline.step_config import StepConfig


@dataclass(frozen=True)
class DayInputs:
    """One symbol's day before planning: only what was known on its as-of day."""

    info: SymbolInfo
    bars: pd.DataFrame  # the final bars dated <= the as-of day that are trained on
    fresh: Split  # the day's split with freshly fitted scalers
    bases: dict[str, BaseRun]  # per model, the earlier run a fine-tune would start from
    errors: dict[str, dict[str, float]]  # per model, the scored errors known that day
    fingerprint: str = ""  # :meth:`key`, when a same-day re-run may look for it

    def key(self, step: StepConfig) -> str:
        """md5 of everything a day's fits and forecasts follow from: the day's split (its id
        hashes the symbol, the as-of day, the split config and every bar read), the step
        options (models, preset, epochs, seed, retrain policy, …), the base run each model
        would fine-tune from, and the scored errors its intervals are calibrated on. Equal
        keys, equal forecasts (up to the fits' own nondeterminism)."""
        payload = {
            "split": self.fresh.split_id,
            "step": dataclasses.asdict(step),
            "bases": {kind: base.run_id for kind, base in sorted(self.bases.items())},
            "errors": {
                kind: dict(sorted(days.items())) for kind, days in sorted(self.errors.items())
            },
        }
        text = json.dumps(payload, sort_keys=True, default=str)
        return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()

    def keyed(self, step: StepConfig) -> DayInputs:
        """These inputs with their :meth:`key` as ``fingerprint``."""
        return dataclasses.replace(self, fingerprint=self.key(step))
