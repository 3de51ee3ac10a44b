"""Tables for people: one wider than the terminal turns into one record per block."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from rich.console import Console

from flows import output


def _printed(monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame, width: int) -> str:
    screen = Console(width=width, file=io.StringIO(), record=True)
    monkeypatch.setattr(output, "console", screen)
    monkeypatch.setattr(output, "err_console", screen)
    output.print_frame(frame, title="leaderboard")
    return screen.export_text()


def test_a_wide_table_prints_one_record_per_block(monkeypatch: pytest.MonkeyPatch) -> None:
    row = {f"column_{i}": 1234.5678 + i for i in range(14)}
    frame = pd.DataFrame([row, row])
    text = _printed(monkeypatch, frame, 80)
    assert "leaderboard (1/2)" in text and "leaderboard (2/2)" in text
    assert "1,247.5678" in text  # every value whole, not cut to a few characters
    assert "--format csv" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_a_narrow_table_stays_a_table(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _printed(monkeypatch, pd.DataFrame({"model": ["naive"], "mae": [14.9]}), 80)
    assert "(1/1)" not in text and "naive" in text
