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
    quantiles: dict[float, float] | None = None,
) -> Path:
    """The last ``days`` actual prices, past champion forecasts with their intervals against the
    realised prices, and the new forecast with its intervals and, given its ``quantiles``
    ({level: price}), the fan of tomorrow's price (one band per central pair of levels).

    ``bars``: date and the target column. ``history``: scored forecasts (target_date,
    predicted, actual, naive_predicted, lower_80, upper_80, lower_95, upper_95). ``latest``:
    one row per new forecast (target_date, predicted, lower_80, upper_80, lower_95, upper_95).
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
        _past_intervals(ax, shown)
    if quantiles and not latest.empty:
        _fan(ax, recent["date"].iloc[-1], float(recent[target].iloc[-1]), latest, quantiles)
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


def _past_intervals(ax: plt.Axes, shown: pd.DataFrame) -> None:
    """Each past forecast's 95% interval as a bar; realised prices outside it in red."""
    if "lower_95" not in shown or shown["lower_95"].isna().all():
        return
    inside = shown["actual"].between(shown["lower_95"], shown["upper_95"])
    ax.vlines(
        shown["target_date"],
        shown["lower_95"],
        shown["upper_95"],
        color="tab:blue",
        alpha=0.25,
        linewidth=2,
        label=f"past 95% intervals ({inside.mean():.0%} held the realised price)",
    )
    missed = shown[~inside]
    ax.scatter(
        missed["target_date"],
        missed["actual"],
        s=18,
        color="tab:red",
        marker="D",
        label="realised price outside its 95% interval",
    )


def _fan(
    ax: plt.Axes,
    last_date: pd.Timestamp,
    last_price: float,
    latest: pd.DataFrame,
    quantiles: dict[float, float],
) -> None:
    """Bands from today's price to tomorrow's central quantile pairs, darker inside."""
    target_date = pd.Timestamp(latest["target_date"].iloc[0])
    x = np.array([last_date, target_date], dtype="datetime64[ns]")
    pairs = [(t, round(1 - t, 6)) for t in sorted(quantiles) if t < 0.5 and 1 - t in quantiles]
    for i, (low, high) in enumerate(pairs):
        ax.fill_between(
            x,
            [last_price, quantiles[low]],
            [last_price, quantiles[high]],
            color="tab:red",
            alpha=0.12 + 0.1 * i,
            linewidth=0,
            label=f"fan: {low:g}-{high:g} quantiles",
        )


def _save(fig: plt.Figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
