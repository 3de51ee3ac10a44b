"""Prefect events nextbar emits for automations (deploy/automations.yaml reacts to them)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from prefect.events import emit_event

OUTSIDE_95 = "nextbar.forecast.outside-95"
# forecast_accuracy columns copied into each event's payload (when the row has them)
_PAYLOAD_KEYS = (
    "symbol",
    "model",
    "target",
    "as_of_date",
    "target_date",
    "predicted",
    "actual",
    "lower_95",
    "upper_95",
    "lower_80",
    "upper_80",
    "last_known",
    "is_champion",
    "is_replay",
)


def emit_interval_breaches(breaches: Sequence[Mapping[Any, Any]]) -> None:
    """Emit one ``nextbar.forecast.outside-95`` event per scored forecast outside its 95% interval.

    Each breach is a ``forecast_accuracy`` row (needs ``forecast_id``, ``symbol``, ``model``,
    ``predicted``, ``actual``, ``lower_95``, ``upper_95``). The event's resource is
    ``nextbar.forecast.<forecast_id>``; the payload carries the numbers, JSON-ready.
    """
    for row in breaches:
        emit_event(
            event=OUTSIDE_95,
            resource={
                "prefect.resource.id": f"nextbar.forecast.{row['forecast_id']}",
                "prefect.resource.name": f"{row['symbol']} {row['model']} {row.get('target_date')}",
                "nextbar.symbol": str(row["symbol"]),
                "nextbar.model": str(row["model"]),
            },
            payload=_payload(row),
        )


def _payload(row: Mapping[str, Any]) -> dict[str, Any]:
    payload = {key: _json_value(row[key]) for key in _PAYLOAD_KEYS if key in row}
    actual, lower, upper = row["actual"], row["lower_95"], row["upper_95"]
    # how far outside, in price units and as a fraction of the interval's width
    miss = float(lower - actual if actual < lower else actual - upper)
    width = float(upper - lower)
    payload["miss"] = miss
    payload["miss_in_widths"] = miss / width if width > 0 else None
    payload["side"] = "below" if actual < lower else "above"
    return payload


def _json_value(value: Any) -> Any:
    """Dates as ISO text, numpy scalars as Python numbers, NaN as None."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy and pandas scalars
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
