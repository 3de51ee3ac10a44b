"""What a replay knows of its forecasts' errors: the stored ones, then its own, by target day."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipeline.forecast.calibration import Calibration


class Realized:
    """Per model, the relative error of the forecast that stands for each scored target day.

    Seeded from the warehouse (``warehouse.forecasts.day_errors``); a forecast the replay
    issues replaces a stored replay forecast of the same day, never a live one (as the
    ``forecast_accuracy`` view's ``is_day_forecast`` picks them).
    """

    def __init__(self, stored: pd.DataFrame, window: int = Calibration().history) -> None:
        self.window = window  # errors a forecast is calibrated on at most
        self.errors: dict[str, dict[str, float]] = {}
        self.live: set[tuple[str, str]] = set()
        for model, day, error, is_replay in stored[
            ["model", "day", "relative_error", "is_replay"]
        ].itertuples(index=False):
            self.errors.setdefault(model, {})[day] = float(error)
            if not is_replay:
                self.live.add((model, day))

    def record(self, model: str, day: str, error: float) -> None:
        """The replay's forecast of ``model`` for the ISO ``day`` was scored ``error``."""
        if (model, day) not in self.live:
            self.errors.setdefault(model, {})[day] = error

    def known_on(self, model: str, day: date) -> dict[str, float]:
        """The last ``window`` errors with target days on or before ``day``."""
        errors = self.errors.get(model, {})
        iso = day.isoformat()
        return {d: errors[d] for d in sorted(d for d in errors if d <= iso)[-self.window :]}
