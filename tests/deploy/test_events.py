"""Interval breaches become events that the example automation reacts to."""

from __future__ import annotations

import uuid
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import yaml
from prefect.events import Event
from prefect.events.schemas.automations import AutomationCore
from prefect.server.events.schemas.automations import EventTrigger
from prefect.server.events.schemas.events import ReceivedEvent

import flows.events
from flows.events import OUTSIDE_95, emit_interval_breaches

AUTOMATIONS = Path(__file__).resolve().parents[2] / "deploy" / "automations.yaml"
BREACH = {
    "forecast_id": "f-123",
    "symbol": "BTC-USD",
    "model": "gru",
    "target": "close",
    "as_of_date": pd.Timestamp("2024-05-20"),
    "target_date": date(2024, 5, 21),
    "predicted": np.float64(70000.0),
    "actual": 64000.0,
    "lower_95": 66000.0,
    "upper_95": 74000.0,
    "is_champion": np.bool_(True),
}


def _automations() -> list[dict[str, Any]]:
    text = AUTOMATIONS.read_text().replace("${NEXTBAR_NOTIFY_BLOCK_ID}", str(uuid.uuid4()))
    return yaml.safe_load(text)["automations"]


def test_automations_are_valid() -> None:
    for spec in _automations():
        assert set(spec) <= set(AutomationCore.model_fields), spec["name"]  # no ignored keys
        AutomationCore.model_validate(spec)


def test_one_event_per_breach_that_the_automation_matches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[dict[str, Any]] = []
    monkeypatch.setattr(flows.events, "emit_event", lambda **kw: sent.append(kw))
    emit_interval_breaches([BREACH, {**BREACH, "forecast_id": "f-124", "actual": 75000.0}])

    assert [e["resource"]["prefect.resource.id"] for e in sent] == [
        "nextbar.forecast.f-123",
        "nextbar.forecast.f-124",
    ]
    payload = sent[0]["payload"]
    assert payload["side"] == "below" and payload["miss"] == 2000.0
    assert payload["miss_in_widths"] == 0.25
    assert payload["as_of_date"] == "2024-05-20T00:00:00" and payload["target_date"] == "2024-05-21"
    assert payload["is_champion"] is True and isinstance(payload["predicted"], float)
    assert sent[1]["payload"]["side"] == "above"

    (spec,) = [a for a in _automations() if a["name"] == "nextbar-forecast-outside-95"]
    trigger = EventTrigger.model_validate(spec["trigger"])
    event = Event(**sent[0])  # what emit_event would send
    assert event.event == OUTSIDE_95
    received = ReceivedEvent.model_validate({**event.model_dump(), "received": event.occurred})
    assert trigger.covers(received)
    assert not trigger.covers(received.model_copy(update={"event": "nextbar.forecast.inside"}))
