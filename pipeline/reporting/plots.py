"""PNG charts: predictions and forecasts against actual prices, naive always drawn beside."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and workers

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd


def plot_test_predictions(predictions: pd.DataFrame, symbol: str, target: str, path: Path) -> Path:
    """Each model's test-range predictions against the actual prices and the naive forecast.

    ``predictions``: columns model, date, predicted, actual, last_known; one row per model and day.
    The legend gives each model's MAE with the naive MAE, so a loser is visible as one.
    """
    fig, ax = plt.subplots(figsize=(11, 5))
    first = predictions[predictions["model"] == predictions["model"].iloc[0]]
    naive_mae = (first["actual"] - first["last_known"]).abs().mean()
    ax.plot(first["date"], first["actual"], color="black", linewidth=1.6, label="actual")
    ax.plot(
        first["date"],
        first["last_known"],
        color="grey",
        linestyle="--",
        linewidth=1,
        label=f"naive (MAE {naive_mae:.2f})",
    )
    for model, rows in predictions.groupby("model", sort=True):
        if model == "naive":
            continue
        mae = (rows["actual"] - rows["predicted"]).abs().mean()
        verdict = "beats naive" if mae < naive_mae else "LOSES to naive"
        ax.plot(
            rows["date"],
            rows["predicted"],
            linewidth=1,
            label=f"{model} (MAE {mae:.2f}, {verdict})",
        )
    ax.set_title(f"{symbol}: next-day {target}, test range")
    ax.set_ylabel(target)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_forecasts(
    bars: pd.DataFrame,
    history: pd.DataFrame,
    latest: pd.DataFrame,
    symbol: str,
    target: str,
    path: Path,
    days: int = 120,
) -> Path:
    """The last ``days`` actual prices, past champion forecasts, and the new one with its intervals.

    ``bars``: date and the target column. ``history``: scored forecasts (target_date,
    predicted, actual, naive_predicted). ``latest``: one row per new forecast (target_date,
    predicted, lower_80, upper_80, lower_95, upper_95).
    """
    recent = bars.tail(days)
    fig, ax = plt.subplots(figsize=(11, 5))
    ax.plot(recent["date"], recent[target], color="black", linewidth=1.4, label=f"actual {target}")
    shown = (
        history[history["target_date"] >= recent["date"].min()] if not history.empty else history
    )
    if not shown.empty:
        mae = (shown["actual"] - shown["predicted"]).abs().mean()
        naive_mae = (shown["actual"] - shown["naive_predicted"]).abs().mean()
        verdict = "beats naive" if mae < naive_mae else "LOSES to naive"
        ax.scatter(
            shown["target_date"],
            shown["predicted"],
            s=12,
            color="tab:blue",
            label=f"past champion forecasts (MAE {mae:,.2f}, {verdict})",
        )
        ax.scatter(
            shown["target_date"],
            shown["naive_predicted"],
            s=10,
            color="grey",
            marker="x",
            label=f"naive forecasts (MAE {naive_mae:,.2f})",
        )
    for row in latest.to_dict("records"):
        x, y = pd.Timestamp(row["target_date"]), float(row["predicted"])
        for level, size, alpha in (("95", 4, 0.5), ("80", 6, 1.0)):
            low, high = float(row[f"lower_{level}"]), float(row[f"upper_{level}"])
            ax.errorbar(
                np.array([x], dtype="datetime64[ns]"),
                [y],
                yerr=[[y - low], [high - y]],
                fmt="o",
                color="tab:red",
                capsize=size,
                alpha=alpha,
                label=f"forecast {x.date()} ({level}% interval)",
            )
    ax.set_title(f"{symbol}: last {days} days and the next trading day's forecast")
    ax.set_ylabel(target)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
