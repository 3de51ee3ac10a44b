"""How bars become samples: the window, features, target and range sizes of a split."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from pipeline.choices import TARGETS
from pipeline.data.bars import PRICE_COLUMNS
from pipeline.errors import InputError
from pipeline.splits.features import FEATURES

TargetKind = Literal["level", "log_return", "log_return_from_close"]
TARGET_KINDS: tuple[str, ...] = ("level", "log_return", "log_return_from_close")
assert tuple(PRICE_COLUMNS) == TARGETS, "pipeline.choices names the targets"
SCALERS: tuple[str, ...] = ("minmax",)


@dataclass(frozen=True)
class SplitConfig:
    """How bars become samples.

    ``test_size`` and ``validation_size`` count targets (samples), not bars. The default
    validation of 120 targets (about half a trading year) gives early stopping a stable signal
    and the conformal interval enough residuals for a 90% level, yet keeps a fixed, comparable
    length whatever the history. ``test_size=0`` trains on everything before validation: used for
    the daily forecast, where there is nothing left to score. ``min_train_size`` is the fewest
    training targets accepted.
    """

    window: int = 60
    features: tuple[str, ...] = ("close",)
    target: str = "close"
    target_kind: TargetKind = "level"
    test_size: int = 300
    validation_size: int = 120
    scaler: str = "minmax"
    min_train_size: int = 100

    def to_dict(self) -> dict[str, Any]:
        """JSON-able form (features as a list)."""
        out = asdict(self)
        out["features"] = list(self.features)
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SplitConfig:
        """Inverse of :meth:`to_dict`."""
        return cls(**{**data, "features": tuple(data["features"])})

    def validate(self) -> None:
        """Raise InputError naming the bad choice and the accepted ones."""
        unknown = [f for f in self.features if f not in FEATURES]
        if unknown or not self.features:
            raise InputError(
                f"unknown features {unknown or '(none)'}; choose from {list(FEATURES)}"
            )
        if self.target not in TARGETS:
            raise InputError(f"unknown target {self.target!r}; choose from {list(TARGETS)}")
        if self.target_kind not in TARGET_KINDS:
            raise InputError(
                f"unknown target_kind {self.target_kind!r}; choose from {list(TARGET_KINDS)}"
            )
        if self.scaler not in SCALERS:
            raise InputError(f"unknown scaler {self.scaler!r}; choose from {list(SCALERS)}")
        if self.window < 1 or self.validation_size < 1 or self.min_train_size < 1:
            raise InputError(
                f"window ({self.window}), validation_size ({self.validation_size}) and "
                f"min_train_size ({self.min_train_size}) must be at least 1"
            )
        if self.test_size < 0:
            raise InputError(f"test_size must be 0 or more, got {self.test_size}")

    @property
    def lookback(self) -> int:
        """Leading bars consumed by derived features before the first usable row."""
        return max(FEATURES[f].lookback for f in self.features)

    @property
    def anchor_column(self) -> str:
        """The bar column a return target is measured from (the target itself for levels)."""
        return "close" if self.target_kind == "log_return_from_close" else self.target

    @property
    def target_name(self) -> str:
        """The target scaler's column: the target, or ``<target>_<target_kind>`` for returns."""
        return self.target if self.target_kind == "level" else f"{self.target}_{self.target_kind}"

    def used_columns(self) -> list[str]:
        """Bar columns read by the features, the target and its anchor, sorted."""
        reads = {c for f in self.features for c in FEATURES[f].reads(self.target)}
        return sorted(reads | {self.target, self.anchor_column})
