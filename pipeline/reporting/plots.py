"""PNG charts: predictions and forecasts against actual prices, naive always drawn beside.

Every chart's legend sits under the plot and lists only what is drawn; the price axis names
the currency and has thousands separators.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on servers and workers

import matplotlib.pyplot as plt
import pandas as pd
from matplotlib.ticker import FuncFormatter

from pipeline.evaluation.naive import against_naive

TAB10 = [
    f"tab:{c}"
    for c in ["blue", "orange", "green", "red", "purple", "brown", "pink", "gray", "olive", "cyan"]
]
ORANGE = TAB10[1]  # naive's colour, kept out of the models' cycle
# the models' cycle: tab20's dark shades, then its light ones, without naive's oranges (18
# colours: every default kind gets its own)
MODEL_COLORS = [
    matplotlib.colormaps["tab20"](i)
    for i in [*range(0, 20, 2), *range(1, 20, 2)]
    if i not in (2, 3)
]
NAIVE_STYLE: dict[str, Any] = {"color": ORANGE, "linestyle": "--", "linewidth": 1.3}
BAND_COLOR = "tab:blue"
FAN_COLOR = "tab:red"


def plot_test_predictions(
    predictions: pd.DataFrame, symbol: str, target: str, path: Path, currency: str = ""
) -> Path:
    """Each model's test-range predictions against the actual prices and the naive forecast.

    ``predictions``: columns model, date, predicted, actual, last_known; one row per model and day.
    The legend gives each model's MAE with the naive MAE, so a loser is visible as one.
    """
    fig, ax = plt.subplots(figsize=(11, 5.5), layout="constrained")
    ax.set_prop_cycle(color=MODEL_COLORS)
    first = predictions[predictions["model"] == predictions["model"].iloc[0]]
    naive_mae = (first["actual"] - first["last_known"]).abs().mean()
    ax.plot(first["date"], first["actual"], color="black", linewidth=1.6, label="actual")
    ax.plot(
        first["date"],
        first["last_known"],
        **NAIVE_STYLE,
        zorder=3,  # over the models' lines, which mostly follow it
        label=f"naive (MAE {naive_mae:,.2f})",
    )
    for model, rows in predictions.groupby("model", sort=True):
        if model == "naive":
            continue
        mae = (rows["actual"] - rows["predicted"]).abs().mean()
        verdict = against_naive(mae, naive_mae, loud=True)
        ax.plot(
            rows["date"],
            rows["predicted"],
            linewidth=1,
            label=f"{model} (MAE {mae:,.2f}, {verdict})",
        )
    ax.set_title(f"{symbol}: next-day {target}, test range")
    _price_axis(ax, target, currency, first["actual"])
    return _save(fig, path, ncol=2)


def plot_forecasts(
    bars: pd.DataFrame,
    history: pd.DataFrame,
    latest: pd.DataFrame,
    symbol: str,
    target: str,
    path: Path,
    days: int = 60,
    quantiles: dict[float, float] | None = None,
    currency: str = "",
) -> Path:
    """Left: the last ``days`` realised prices, the champion's issued 80% and 95% intervals as
    shaded ribbons, its past forecasts and naive's (yesterday's price) as a dashed line. Right,
    on the same price axis: tomorrow's forecast, naive's, and given its ``quantiles``
    ({level: price}) the fan from today's price to tomorrow's quantiles (else the 80% and 95%
    intervals as bars).

    ``bars``: date and the target column. ``history``: scored forecasts (target_date,
    predicted, actual, naive_predicted, lower_80, upper_80, lower_95, upper_95). ``latest``:
    one row per new forecast (as_of_date, target_date, predicted, naive_predicted, lower_80,
    upper_80, lower_95, upper_95).
    """
    recent = bars.tail(days)
    fig, (ax, fan_ax) = plt.subplots(
        1,
        2,
        figsize=(12, 5.5),
        sharey=True,
        width_ratios=[6, 1],
        layout="constrained",
    )
    shown = (
        history[history["target_date"] >= recent["date"].min()] if not history.empty else history
    )
    shown = shown.sort_values("target_date")
    if not shown.empty:
        _issued_bands(ax, shown)
    ax.plot(
        recent["date"], recent[target], color="black", linewidth=1.4, label=f"realised {target}"
    )
    if not shown.empty:
        mae = (shown["actual"] - shown["predicted"]).abs().mean()
        naive_mae = (shown["actual"] - shown["naive_predicted"]).abs().mean()
        verdict = against_naive(mae, naive_mae, loud=True)
        ax.plot(
            shown["target_date"],
            shown["naive_predicted"],
            **NAIVE_STYLE,
            label=f"naive forecast = yesterday's price (MAE {naive_mae:,.2f})",
        )
        ax.scatter(
            shown["target_date"],
            shown["predicted"],
            s=14,
            color=BAND_COLOR,
            zorder=3,
            label=f"champion's forecasts (MAE {mae:,.2f}, {verdict})",
        )
        _misses(ax, shown)
    ax.set_title(f"{symbol}: last {len(recent)} bars, the champion's issued intervals and naive")
    _price_axis(ax, target, currency, recent[target])
    if not latest.empty:
        _tomorrow(fan_ax, float(recent[target].iloc[-1]), latest.iloc[0], quantiles)
    return _save(fig, path, ncol=3)


def _issued_bands(ax: plt.Axes, shown: pd.DataFrame) -> None:
    """The 95% and 80% intervals as issued for each target day, as ribbons."""
    if "lower_95" not in shown or shown["lower_95"].isna().all():
        return
    inside = shown["actual"].between(shown["lower_95"], shown["upper_95"]).mean()
    for level, alpha, note in (("95", 0.15, f", {inside:.0%} held the price"), ("80", 0.3, "")):
        ax.fill_between(
            shown["target_date"],
            shown[f"lower_{level}"],
            shown[f"upper_{level}"],
            step="mid",
            color=BAND_COLOR,
            alpha=alpha,
            linewidth=0,
            label=f"issued {level}% interval{note}",
        )


def _misses(ax: plt.Axes, shown: pd.DataFrame) -> None:
    """Realised prices outside their 95% interval, only where there are any."""
    if "lower_95" not in shown:
        return
    missed = shown[~shown["actual"].between(shown["lower_95"], shown["upper_95"])]
    missed = missed[missed["lower_95"].notna()]
    if missed.empty:
        return
    ax.scatter(
        missed["target_date"],
        missed["actual"],
        s=30,
        color="tab:red",
        marker="D",
        zorder=4,
        label=f"outside its 95% interval ({len(missed)})",
    )


def _tomorrow(
    ax: plt.Axes, last_price: float, row: pd.Series, quantiles: dict[float, float] | None
) -> None:
    """Today's price at x=0, tomorrow at x=1: the fan of quantiles, the forecast, naive."""
    as_of, target_day = pd.Timestamp(row["as_of_date"]), pd.Timestamp(row["target_date"])
    levels = {round(level, 6): price for level, price in (quantiles or {}).items()}
    pairs = [(t, round(1 - t, 6)) for t in sorted(levels) if t < 0.5 and round(1 - t, 6) in levels]
    if pairs:
        ranges = ", ".join(f"{high - low:.0%}" for low, high in reversed(pairs))
        for i, (low, high) in enumerate(pairs):
            ax.fill_between(
                [0, 1],
                [last_price, levels[low]],
                [last_price, levels[high]],
                color=FAN_COLOR,
                alpha=0.1 + 0.5 * (i + 1) / len(pairs) / len(pairs),
                linewidth=0,
                label=f"tomorrow's fan: central {ranges} of the quantiles" if i == 0 else None,
            )
    else:
        predicted = float(row["predicted"])
        for level, cap in (("95", 4), ("80", 7)):
            low, high = float(row[f"lower_{level}"]), float(row[f"upper_{level}"])
            ax.errorbar(
                [1],
                [predicted],
                yerr=[[predicted - low], [high - predicted]],
                fmt="none",
                ecolor=FAN_COLOR,
                capsize=cap,
                label=f"tomorrow's {level}% interval",
            )
    ax.scatter(
        [1],
        [float(row["predicted"])],
        s=36,
        color=FAN_COLOR,
        zorder=4,
        label=f"forecast for {target_day.date()}: {float(row['predicted']):,.2f}",
    )
    naive = float(row.get("naive_predicted", last_price))
    ax.scatter(
        [1.15],
        [naive],
        s=40,
        color=NAIVE_STYLE["color"],
        marker="x",
        zorder=4,
        label=f"naive for {target_day.date()}: {naive:,.2f}",
    )
    ax.set_xlim(-0.15, 1.35)
    ax.set_xticks([0, 1], [f"{as_of:%m-%d}", f"{target_day:%m-%d}"])
    ax.set_title("tomorrow")
    ax.grid(alpha=0.3)


def _price_axis(ax: plt.Axes, target: str, currency: str, prices: pd.Series) -> None:
    """The y axis: the target with its currency, thousands separators, whole units above 100."""
    decimals = 0 if prices.abs().max() >= 100 else 2
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.{decimals}f}"))
    ax.set_ylabel(f"{target} ({currency})" if currency else target)
    ax.grid(alpha=0.3)


def _save(fig: plt.Figure, path: Path, ncol: int) -> Path:
    """Collect every axes' labelled artists into one legend under the plots, and save."""
    handles, labels = [], []
    for ax in fig.axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            handles.append(handle)
            labels.append(label)
    fig.legend(handles, labels, loc="outside lower center", ncol=ncol, fontsize=8, frameon=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    for ax in fig.axes:
        for label in ax.get_xticklabels():
            label.set_rotation(30)
            label.set_horizontalalignment("right")
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
