"""Realized: the stored errors seed it, a replay's error replaces a replay's never a live one's,
and a day sees only the last ``window`` errors up to it."""

from __future__ import annotations

from datetime import date

import pandas as pd

from pipeline.daily.realized import Realized


def _stored(*rows: tuple[str, str, float, bool]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["model", "day", "relative_error", "is_replay"])


def test_the_stored_errors_seed_it() -> None:
    realized = Realized(
        _stored(("naive", "2024-01-02", 0.01, False), ("gru", "2024-01-02", -0.02, True))
    )
    assert realized.known_on("naive", date(2024, 1, 2)) == {"2024-01-02": 0.01}
    assert realized.known_on("gru", date(2024, 1, 2)) == {"2024-01-02": -0.02}
    assert realized.known_on("lstm", date(2024, 1, 2)) == {}


def test_a_replay_replaces_a_stored_replay_but_never_a_live_forecast() -> None:
    realized = Realized(
        _stored(("naive", "2024-01-02", 0.01, False), ("naive", "2024-01-03", 0.02, True))
    )
    realized.record("naive", "2024-01-02", 0.5)  # live stands
    realized.record("naive", "2024-01-03", 0.6)  # a stored replay is replaced
    realized.record("naive", "2024-01-04", 0.7)  # a new day is added
    assert realized.known_on("naive", date(2024, 1, 4)) == {
        "2024-01-02": 0.01,
        "2024-01-03": 0.6,
        "2024-01-04": 0.7,
    }


def test_a_day_sees_the_last_window_errors_up_to_it() -> None:
    realized = Realized(_stored(), window=2)
    for day in (5, 3, 4, 2):
        realized.record("drift", f"2024-01-0{day}", float(day))
    assert realized.known_on("drift", date(2024, 1, 4)) == {"2024-01-03": 3.0, "2024-01-04": 4.0}
    assert realized.known_on("drift", date(2024, 1, 1)) == {}
