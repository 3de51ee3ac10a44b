"""Reports and charts: every model beside naive, a model that loses to naive marked as losing."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from pipeline.reporting import plots, reports
from pipeline.training.jobs import ModelOutcome

NOW = datetime(2024, 5, 1, tzinfo=UTC)
DAYS = pd.date_range("2024-04-01", periods=4)
ACTUAL = [10.0, 11.0, 12.0, 13.0]
LAST = [9.0, 10.0, 11.0, 12.0]  # naive: always 1 off


def _outcome(model: str, predicted: list[float], status: str = "succeeded") -> ModelOutcome:
    predictions = pd.DataFrame(
        {
            "split": "test",
            "date": DAYS,
            "predicted": predicted,
            "actual": ACTUAL,
            "last_known": LAST,
        }
    )
    mae = sum(abs(a - p) for a, p in zip(ACTUAL, predicted, strict=True)) / len(ACTUAL)
    metrics = pd.DataFrame(
        [
            ("validation", "mae", mae),
            ("validation", "mae_naive", 1.0),
            ("test", "mae", mae),
            ("test", "mae_naive", 1.0),
            ("test", "skill", 1 - mae),
        ],
        columns=["split", "metric", "value"],
    )
    failed = status != "succeeded"
    return ModelOutcome(
        model=model,
        run_id=f"run-{model}",
        split_id="s",
        training="full",
        base_run_id=None,
        started_at=NOW,
        finished_at=NOW,
        status=status,
        error="boom" if failed else None,
        predictions=pd.DataFrame() if failed else predictions,
        metrics=pd.DataFrame() if failed else metrics,
    )


OUTCOMES = [
    _outcome("naive", LAST),
    _outcome("gru", [10.5, 11.5, 12.5, 13.5]),  # MAE 0.5: beats naive
    _outcome("lstm", [8.0, 9.0, 10.0, 11.0]),  # MAE 2: loses
    _outcome("rnn", LAST, status="failed"),
]


def test_the_train_table_marks_losers_and_the_champion() -> None:
    table = reports.train_table(OUTCOMES, champion_run_id="run-gru").set_index("model")
    assert table.loc["naive", "verdict"] == "baseline"
    assert table.loc["gru", "verdict"] == "beats naive"
    assert table.loc["lstm", "verdict"] == "LOSES to naive"
    assert table.loc["rnn", "verdict"] == "failed: boom"
    assert table["champion"].tolist() == [False, True, False, False]
    assert table.loc["lstm", "test_mae"] == 2.0 and table.loc["lstm", "test_naive_mae"] == 1.0


def test_test_predictions_leave_failed_runs_out() -> None:
    frame = reports.test_predictions(OUTCOMES)
    assert sorted(set(frame["model"])) == ["gru", "lstm", "naive"] and len(frame) == 12
    assert reports.test_predictions([OUTCOMES[-1]]).empty


def _latest() -> pd.DataFrame:
    row: dict[str, Any] = {
        "symbol": "BTC-USD",
        "as_of_date": date(2024, 4, 4),
        "target_date": date(2024, 4, 5),
        "predicted": 13.5,
        "lower_80": 13.0,
        "upper_80": 14.0,
        "lower_95": 12.5,
        "upper_95": 14.5,
        "naive_predicted": 13.0,
    }
    return pd.DataFrame(
        [
            {**row, "model": "gru", "is_champion": True},
            {**row, "model": "naive", "is_champion": False},
        ]
    )


def _scored() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "target_date": DAYS,
            "issued_at": NOW,
            "model": "gru",
            "is_champion": [True, True, True, False],
            "predicted": [10.5, 11.5, 12.5, 9.0],
            "actual": ACTUAL,
            "naive_predicted": LAST,
            "accuracy": [0.95, 0.96, 0.97, 0.5],
            "naive_accuracy": [0.9, 0.91, 0.92, 0.93],
        }
    )


def test_the_daily_report_puts_the_champion_beside_naive() -> None:
    report = reports.daily_report(_latest(), {"BTC-USD": _scored(), "600519.SH": _scored()[:0]})
    assert report.forecasts[["model", "predicted", "naive"]].values.tolist() == [
        ["gru", 13.5, 13.0]
    ]
    [last] = report.last_scored.to_dict("records")
    assert last["target_date"] == DAYS[2] and last["n_scored"] == 3
    assert last["champion_accuracy_mean"] == pytest.approx(0.96)
    assert last["naive_accuracy_mean"] == pytest.approx(0.91)
    markdown = report.markdown()
    assert "| BTC-USD | 2024-04-04 | 2024-04-05 | gru | 13.5000 |" in markdown
    assert reports.daily_report(_latest()[:0], {}).markdown().count("_none_") == 2


@pytest.fixture
def legends(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """The legend texts of each chart drawn, before it is saved."""
    drawn: list[list[str]] = []
    save = plots._save

    def keep(fig: plt.Figure, path: Path) -> Path:
        drawn.append([t.get_text() for ax in fig.axes for t in ax.get_legend().get_texts()])
        return save(fig, path)

    monkeypatch.setattr(plots, "_save", keep)
    return drawn


def _is_png(path: Path) -> bool:
    return path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_test_chart_names_each_model_against_naive(
    legends: list[list[str]], tmp_path: Path
) -> None:
    path = plots.plot_test_predictions(
        reports.test_predictions(OUTCOMES), "BTC-USD", "close", tmp_path / "a" / "test.png"
    )
    assert _is_png(path)
    assert legends == [
        [
            "actual",
            "naive (MAE 1.00)",
            "gru (MAE 0.50, beats naive)",
            "lstm (MAE 2.00, LOSES to naive)",
        ]
    ]


def test_the_forecast_chart_shows_the_intervals_and_naive(
    legends: list[list[str]], tmp_path: Path
) -> None:
    bars = pd.DataFrame({"date": DAYS, "close": ACTUAL})
    latest = _latest()[:1]
    path = plots.plot_forecasts(bars, _scored(), latest, "BTC-USD", "close", tmp_path / "f.png")
    assert _is_png(path)
    [texts] = legends
    assert texts[0] == "actual close"
    assert texts[1].startswith("past champion forecasts (MAE") and "naive" in texts[1]
    assert texts[2].startswith("naive forecasts (MAE")
    assert texts[3:] == ["forecast 2024-04-05 (95% interval)", "forecast 2024-04-05 (80% interval)"]
