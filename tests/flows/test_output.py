"""Tables for people fit the terminal (key columns first, the rest named), one number format
per column, one missing-value mark, ISO dates in every format."""

from __future__ import annotations

import io
import json
from datetime import UTC, date, datetime

import pandas as pd
import pytest
from rich.console import Console

from flows import output
from flows.output import OutputFormat


def _printed(
    monkeypatch: pytest.MonkeyPatch, frame: pd.DataFrame, width: int = 80, **options: object
) -> str:
    screen = Console(width=width, file=io.StringIO(), record=True)
    monkeypatch.setattr(output, "console", screen)
    output.print_frame(frame, title="leaderboard", **options)  # type: ignore[arg-type]
    return screen.export_text()


WIDE = pd.DataFrame(
    [
        {"model": m, **{f"column_{i}": 1234.5678 + i for i in range(14)}, "symbol": "BTC-USD"}
        for m in ("gru", "naive")
    ]
)


def test_a_wide_table_keeps_its_key_columns_and_names_the_rest(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    text = _printed(monkeypatch, WIDE, key=["symbol", "model"])
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 80
    header = next(line for line in lines if "symbol" in line)
    assert header.index("symbol") < header.index("model") < header.index("column_0")
    assert "(1/2)" not in text and text.count("BTC-USD") == 2  # one table, not cards
    assert "1,234.57" in text  # every shown value whole, not cut to a few characters
    assert "…" not in text.replace(", …", "")
    [note] = [line for line in lines if line.startswith("+")]
    assert note.startswith("+9 more columns: column_5, column_6, column_7, …")
    assert note.endswith("(--wide or --format csv)")


def test_a_long_text_column_wraps_rather_than_leave_the_others_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = "/srv/nextbar/a-rather-long-folder-name/another-one/models"
    frame = pd.DataFrame({"key": ["models_dir"], "value": [path], "from": ["beside the warehouse"]})
    text = _printed(monkeypatch, frame)
    assert "more columns" not in text and "from" in text and "beside the" in text
    assert max(len(line) for line in text.splitlines()) <= 80


def test_wide_prints_every_column(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _printed(monkeypatch, WIDE, wide=True)
    assert "column_13" in text and "more columns" not in text


def test_a_narrow_table_stays_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    text = _printed(monkeypatch, pd.DataFrame({"model": ["naive"], "mae": [14.9]}))
    assert "naive" in text and "14.90" in text and "more columns" not in text


def test_one_number_format_per_column_and_one_missing_mark(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    frame = pd.DataFrame(
        {
            "interval_score_80": [13806.6, 7359.2275, None],  # a price: to the tick
            "skill_vs_naive": [0.01712, -0.0132, float("nan")],  # a ratio: 3 decimals
            "is_beating_naive": pd.array([True, False, None], dtype="boolean"),
        }
    )
    text = _printed(monkeypatch, frame)
    assert "13,806.60" in text and "7,359.23" in text
    assert "0.017" in text and "-0.013" in text
    assert text.count(output.MISSING) == 3
    assert "<NA>" not in text and "nan" not in text.lower()


DATED = pd.DataFrame(
    {
        "target_date": pd.to_datetime(["2024-05-27", "2024-05-28"]),
        "as_of": [date(2024, 5, 26), None],
        "issued_at": [datetime(2024, 5, 27, 8, 30, tzinfo=UTC), None],
    }
)


def test_dates_are_iso_in_csv_json_and_tables(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    output.print_frame(DATED, OutputFormat.csv)
    csv = capsys.readouterr().out
    assert csv.splitlines()[1] == "2024-05-27,2024-05-26,2024-05-27T08:30:00+00:00"
    output.print_frame(DATED, OutputFormat.json)
    records = json.loads(capsys.readouterr().out)
    assert records[0] == {
        "target_date": "2024-05-27",
        "as_of": "2024-05-26",
        "issued_at": "2024-05-27T08:30:00+00:00",
    }
    assert records[1]["as_of"] is None
    table = _printed(monkeypatch, DATED)
    assert "2024-05-27T08:30:00+00:00" in table and "2024-05-28" in table
