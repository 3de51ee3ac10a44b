"""Reports and charts: every model beside naive, a model that loses to naive marked as losing."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from pipeline.reporting import plots, reports
from pipeline.reporting.summary import summarize, verdict
from pipeline.training.jobs import ModelOutcome
from tests.outcomes import NOW, outcome, prediction_rows

DAYS = pd.date_range("2024-04-01", periods=4)
ACTUAL = [10.0, 11.0, 12.0, 13.0]
LAST = [9.0, 10.0, 11.0, 12.0]  # naive: always 1 off


def _outcome(model: str, predicted: list[float], status: str = "succeeded") -> ModelOutcome:
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
    rows = prediction_rows("test", DAYS, predicted, ACTUAL, LAST)
    failed = status != "succeeded"
    return outcome(
        model,
        status=status,
        error="boom" if failed else None,
        predictions=pd.DataFrame() if failed else rows,
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
    """The legend texts of each chart drawn (one legend per figure, outside the axes)."""
    drawn: list[list[str]] = []
    save = plots._save

    def keep(fig: plt.Figure, path: Path, ncol: int) -> Path:
        saved = save(fig, path, ncol)
        [legend] = fig.legends
        assert all(ax.get_legend() is None for ax in fig.axes)  # none over the data
        drawn.append([t.get_text() for t in legend.get_texts()])
        return saved

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


def _axes_text(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, list[str]]]:
    """Each chart's y label and y tick labels, read as it is saved."""
    seen: list[tuple[str, list[str]]] = []
    save = plots._save

    def keep(fig: plt.Figure, path: Path, ncol: int) -> Path:
        saved = save(fig, path, ncol)
        ax = fig.axes[0]
        formatter = ax.yaxis.get_major_formatter()
        seen.append((ax.get_ylabel(), [formatter(v, 0) for v in ax.get_yticks()]))
        return saved

    monkeypatch.setattr(plots, "_save", keep)
    return seen


QUANTILES = {0.025: 12.0, 0.1: 12.8, 0.25: 13.2, 0.5: 13.5, 0.75: 13.8, 0.9: 14.2, 0.975: 15.0}


def test_the_forecast_chart_shows_naive_the_issued_bands_and_the_fan(
    legends: list[list[str]], tmp_path: Path
) -> None:
    bars = pd.DataFrame({"date": DAYS, "close": ACTUAL})
    history = _scored()[:3].assign(lower_80=9.5, upper_80=13.5, lower_95=9.0, upper_95=14.0)
    latest = _latest()[:1]
    path = plots.plot_forecasts(
        bars, history, latest, "BTC-USD", "close", tmp_path / "f.png", quantiles=QUANTILES
    )
    assert _is_png(path)
    [texts] = legends
    assert texts[:2] == ["issued 95% interval, 100% held the price", "issued 80% interval"]
    assert texts[2] == "realised close"
    assert texts[3].startswith("naive forecast = yesterday's price (MAE 1.00)")
    assert texts[4].startswith("champion's forecasts (MAE 0.50, beats naive)")
    # no realised price fell outside its 95% interval, so no such entry
    assert not any("outside" in t for t in texts)
    assert texts[5:] == [
        "tomorrow's fan: central 50%, 80%, 95% of the quantiles",
        "forecast for 2024-04-05: 13.50",
        "naive for 2024-04-05: 13.00",
    ]


def test_a_miss_is_listed_only_when_there_is_one(legends: list[list[str]], tmp_path: Path) -> None:
    bars = pd.DataFrame({"date": DAYS, "close": ACTUAL})
    history = _scored()[:3].assign(lower_80=9.5, upper_80=10.5, lower_95=9.0, upper_95=11.5)
    plots.plot_forecasts(bars, history, _latest()[:1], "BTC-USD", "close", tmp_path / "m.png")
    [texts] = legends
    assert "outside its 95% interval (1)" in texts  # 12.0 on day 3 is above 11.5
    assert "tomorrow's 80% interval" in texts and "tomorrow's 95% interval" in texts  # no fan


def test_the_price_axis_names_the_currency_with_thousands_separators(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen = _axes_text(monkeypatch)
    scale = 5000.0  # BTC-like prices
    bars = pd.DataFrame({"date": DAYS, "close": [v * scale for v in ACTUAL]})
    latest = _latest()[:1].assign(
        **{c: _latest()[c].iloc[0] * scale for c in ("predicted", "lower_80", "upper_80")},
        **{c: _latest()[c].iloc[0] * scale for c in ("lower_95", "upper_95", "naive_predicted")},
    )
    plots.plot_forecasts(
        bars, _scored()[:0], latest, "BTC-USD", "close", tmp_path / "b.png", currency="USD"
    )
    [(label, ticks)] = seen
    assert label == "close (USD)"
    assert any("," in t for t in ticks) and all("." not in t for t in ticks)


# --- the per-symbol summary -------------------------------------------------------------------


def _board(**interval: Any) -> pd.DataFrame:
    rows = [
        ("gru", 20, -0.013, False, 0.02, False),
        ("naive_garch", 20, 0.0, False, 0.104, True),
        ("naive", 20, 0.0, False, 0.0, False),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "model",
            "n",
            "skill_vs_naive",
            "is_beating_naive",
            "interval_skill_95",
            "is_beating_naive_interval",
        ],
    ).assign(symbol="BTC-USD", target="close")


def _latest_with(interval_champion: str | None) -> pd.DataFrame:
    frame = pd.concat([_latest(), _latest()[1:].assign(model="naive_garch")], ignore_index=True)
    frame = frame.assign(target="close", lower_80=[13.0, 12.9, 12.6], upper_80=[14.0, 13.1, 13.4])
    if interval_champion is not None:
        frame["is_interval_champion"] = frame["model"] == interval_champion
    return frame


def test_the_summary_marks_a_point_champion_that_loses_to_naive() -> None:
    [summary] = summarize(_latest_with(None), _board(), {"BTC-USD": "USD"})
    assert summary.heading() == "BTC-USD: close on 2024-04-05 (as of 2024-04-04), USD"
    [point] = summary.champions  # the view has no is_interval_champion: none is named
    assert point.cells() == ("point champion", "gru", "skill -0.013", "20 scored", "loses to naive")
    assert summary.forecast_rows() == [
        ("forecast", "13.50", "gru"),
        ("80% interval", "13.00 .. 14.00", "gru"),
        ("95% interval", "12.50 .. 14.50", "gru"),
        ("naive", "13.00", "tomorrow = today"),
    ]


def test_the_summary_shows_the_interval_champions_interval_and_skill() -> None:
    [summary] = summarize(_latest_with("naive_garch"), _board(), {"BTC-USD": "USD"})
    point, interval = summary.champions
    assert point.model == "gru" and summary.predicted == 13.5
    assert interval.cells() == (
        "interval champion",
        "naive_garch",
        "skill +0.104",
        "20 scored",
        "beats naive",
    )
    assert summary.forecast_rows()[1] == ("80% interval", "12.60 .. 13.40", "naive_garch")
    assert "**loses to naive**" in summary.markdown()


def test_a_tie_is_not_a_win() -> None:
    assert verdict("naive_ewma", 0.0, True) == "ties naive"
    assert verdict("naive", 0.0, False) == "the baseline"
    assert verdict("gru", None, None) == "not scored yet"
    assert verdict("gru", 0.02, True) == "beats naive"
    assert verdict("gru", 0.02, False) == "loses to naive"  # better MAE, worse on another score
