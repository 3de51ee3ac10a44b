"""How tomorrow's quantiles are calibrated (``[intervals]``) and the defaults: plain values,
so reading the settings loads no numerics (pipeline.forecast.intervals applies them)."""

from __future__ import annotations

from dataclasses import dataclass

CALIBRATION_WINDOW = 60  # the flat window's raw errors: about three months of trading days
ACI_REPLAY = 60  # days ACI replays before the issue day
# The defaults, chosen on the validation years before the benchmark ranges (BENCHMARKS.md,
# "FHS walk-forward"): the pool with the lowest mean 95% interval-score ratio over both series.
DEFAULT_POOL = 1000
DEFAULT_ACI_STEP = 0.0
DEFAULT_SCALE = "naive_vol"


@dataclass(frozen=True)
class Calibration:
    """``[intervals]``: the FHS pool, ACI's step (0: off), the scale kind point models are
    issued on, and the point models kept on the flat window (``naive`` always is)."""

    pool: int = DEFAULT_POOL
    aci_step: float = DEFAULT_ACI_STEP
    scale: str = DEFAULT_SCALE
    flat: tuple[str, ...] = ()

    @property
    def history(self) -> int:
        """Errors a forecast needs: the pool, ACI's replay before it, or the flat window."""
        fhs = self.pool + (ACI_REPLAY if self.aci_step > 0 else 0)
        return max(fhs, CALIBRATION_WINDOW)

    @property
    def flat_kinds(self) -> tuple[str, ...]:
        """The kinds calibrated on the flat window: ``naive`` and ``flat``."""
        return ("naive", *self.flat)

    def is_flat(self, kind: str) -> bool:
        """Whether ``kind`` is calibrated on the flat window."""
        return kind in self.flat_kinds
