"""Benchmarks of tomorrow's distribution: interval and pinball scores against the baseline.

The probabilistic baseline is the naive point with the flat window of its last 60 errors.
Two suites give the same table (one row per series and model: interval score ÷ the
baseline's at 80% and 95%, pinball loss ÷ the baseline's, coverage overall and per tercile of
the issue day's trailing 20-day volatility, mean width, Hansen's SPA p-value of "some model
beats the baseline's 95% interval score", and each model's p-value in the model confidence set
on that score (in the 90% set when above 0.1)):

- ``probabilistic``: the replay flow over the last ``days`` trading days of 600519.SH close
  (240) and BTC-USD close (365), every kind of the issue, on the replay's own schedule (the
  fast ``frozen`` path, a full refit every 20 trading days);
- ``probabilistic_direct``: no Keras and no warehouse: the same walk-forward of naive with the
  flat window and naive + EWMA / GJR-GARCH / HAR (refit every ``RETRAIN_EVERY`` days on what
  was known that day, ACI on standardised errors), from the pipeline's own functions.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from pipeline.data.sources.bundled import BundledSource
from pipeline.data.symbols import get_symbol
from pipeline.evaluation.probabilistic import (
    model_confidence_set,
    pinball_loss,
    spa_vs_naive,
    tercile_coverage,
)
from pipeline.forecast.calibration import ACI_REPLAY, CALIBRATION_WINDOW
from pipeline.forecast.intervals import ACI_GAMMA, quantile_forecast
from pipeline.models.volatility import VOLATILITY_MODELS, daily_series
from pipeline.splits.build import build_split
from pipeline.step_options import DEFAULT_MODELS
from pipeline.training.presets import get_preset

SERIES = {"600519.SH": 240, "BTC-USD": 365}  # symbol -> evaluated days (close)
REPLAY_KINDS = list(DEFAULT_MODELS)  # every kind a daily run fits, on the default settings
RETRAIN_EVERY = 5
BASELINE = "naive"


def _bars(symbol: str) -> pd.DataFrame:
    bars = BundledSource().fetch(get_symbol(symbol), date(2000, 1, 1), date(2100, 1, 1))
    return bars[~bars["is_partial"]].reset_index(drop=True)


def _day_scores(
    actual: float, quantiles: dict[float, float], volatility: float
) -> dict[str, float]:
    """One day's scores, as the forecast_accuracy view computes them."""
    lo80, hi80, lo95, hi95 = (quantiles[t] for t in (0.1, 0.9, 0.025, 0.975))
    return {
        "actual": actual,
        "lower_80": lo80,
        "upper_80": hi80,
        "lower_95": lo95,
        "upper_95": hi95,
        "interval_score_80": hi80 - lo80 + 10 * (max(lo80 - actual, 0) + max(actual - hi80, 0)),
        "interval_score_95": hi95 - lo95 + 40 * (max(lo95 - actual, 0) + max(actual - hi95, 0)),
        "pinball_loss": pinball_loss([actual], {t: [q] for t, q in quantiles.items()}),
        "volatility_20": volatility,
    }


def _direct_series(symbol: str, days: int) -> pd.DataFrame:
    """Per model and evaluated day: its scores, walking forward over the last ``days``."""
    config = get_preset("default").split_config("close", test_size=days, validation_size=120)
    split = build_split(_bars(symbol), config, symbol=symbol)
    returns, proxy, sizes = daily_series(split)
    first = sizes[0][1] + sizes[1][1]  # the first evaluated sample
    last_known = np.concatenate([split.train.last_known, split.validation.last_known])
    last_known = np.concatenate([last_known, split.test.last_known])
    relative = np.exp(returns) - 1  # naive's relative error: actual / last_known - 1
    trailing = pd.Series(returns).shift(1).rolling(20).std().to_numpy()  # known on issue day
    rows = []
    for kind in [BASELINE, *VOLATILITY_MODELS]:
        sigma = np.ones(len(returns) + 1)
        for i in range(first, len(returns)):
            if kind != BASELINE and (i - first) % RETRAIN_EVERY == 0:
                variance = VOLATILITY_MODELS[kind].variance_kind()
                variance.fit(returns[:i], proxy[: i + 1])  # returns known on the issue day
                # the first fit also standardises the validation errors the history starts with
                start = 0 if i == first else i
                sigma[start:] = variance.one_step(returns, proxy)[start:]
            history = (relative[:i] / sigma[:i])[-(CALIBRATION_WINDOW + ACI_REPLAY) :]
            scale = None if kind == BASELINE else float(sigma[i])
            # issue #12's calibration: |z| 60 with ACI (benchmarks.fhs_walkforward has FHS)
            quantiles = quantile_forecast(
                last_known[i], last_known[i], history, scale=scale, aci_step=ACI_GAMMA, signed=False
            )
            actual = last_known[i] * (1 + relative[i])
            rows.append({"model": kind, "day": i, **_day_scores(actual, quantiles, trailing[i])})
    return pd.DataFrame(rows)


def _replayed_series(symbol: str, days: int, models: list[str]) -> pd.DataFrame:
    """Per model and scored day: the forecast_accuracy view after replaying the last ``days``."""
    from flows.ingest import ingest
    from flows.replay import replay
    from warehouse.connection import connect

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        os.environ["NEXTBAR_MODELS_DIR"] = str(Path(tmp) / "models")
        os.environ["NEXTBAR_SPLITS_DIR"] = str(Path(tmp) / "splits")
        ingest(symbols=[symbol], source="bundled", warehouse=str(path))
        dates = list(_bars(symbol)["date"].dt.date)
        # the replay's own schedule ([replay]: frozen, a full refit every 20 trading days)
        replay(
            symbol=symbol,
            start=dates[-days - 1],
            end=dates[-2],
            models=models,
            warehouse=str(path),
        )
        with connect(path, read_only=True) as con:
            return con.execute(
                """select model, target_date as day, actual, abs_error, lower_80, upper_80,
                          lower_95, upper_95, interval_score_80, interval_score_95, pinball_loss,
                          volatility_20
                   from forecast_accuracy where is_day_forecast and n_quantiles is not null"""
            ).df()


def summarise(symbol: str, scores: pd.DataFrame) -> pd.DataFrame:
    """The issue's table for one series: each model's ratios to the baseline on the same days,
    coverage overall and per volatility tercile, mean 95% width, and SPA on the 95% score."""
    days = scores.pivot(index="day", columns="model", values="interval_score_95").dropna()
    base = scores[scores["model"] == BASELINE].set_index("day").loc[days.index]
    base_mae = base["abs_error"].mean() if "abs_error" in base else np.nan
    rows = []
    for model, group in scores.groupby("model", sort=False):
        g = group.set_index("day").loc[days.index]
        terciles = tercile_coverage(g["actual"], g["lower_95"], g["upper_95"], g["volatility_20"])
        rows.append(
            {
                "series": f"{symbol} close",
                "model": model,
                "days": len(g),
                "is80_ratio": g["interval_score_80"].mean() / base["interval_score_80"].mean(),
                "is95_ratio": g["interval_score_95"].mean() / base["interval_score_95"].mean(),
                "pinball_ratio": g["pinball_loss"].mean() / base["pinball_loss"].mean(),
                "coverage_80": g["actual"].between(g["lower_80"], g["upper_80"]).mean(),
                "coverage_95": g["actual"].between(g["lower_95"], g["upper_95"]).mean(),
                **{f"cov95_{k}_vol": v for k, v in terciles.items()},
                "width_95_pct": ((g["upper_95"] - g["lower_95"]) / g["actual"]).mean() * 100,
                **(
                    {"mae": g["abs_error"].mean(), "mae_ratio": g["abs_error"].mean() / base_mae}
                    if "abs_error" in g
                    else {}
                ),
            }
        )
    frame = pd.DataFrame(rows)
    others = [m for m in days.columns if m != BASELINE]
    if others and len(days) > 10:
        p = spa_vs_naive(days[BASELINE], days[others])["consistent"]
        frame["spa_p_is95"] = [np.nan if m == BASELINE else p for m in frame["model"]]
        mcs = model_confidence_set(days, size=0.1)  # the 90% set on the 95% interval score
        frame["mcs_p_is95"] = frame["model"].map(mcs)
    return frame


def probabilistic_direct(days: int | None = None, **_: object) -> pd.DataFrame:
    """Baseline vs naive + EWMA / GJR-GARCH / HAR, walked forward without Keras."""
    return pd.concat(
        [summarise(s, _direct_series(s, days or n)) for s, n in SERIES.items()],
        ignore_index=True,
    )


def probabilistic(days: int | None = None, **_: object) -> pd.DataFrame:
    """Every default kind through the replay flow (the full run: ``days`` unset), with each
    series' replay seconds; ``NEXTBAR_BENCH_SERIES`` (comma-separated symbols) runs only some."""
    only = [s for s in os.environ.get("NEXTBAR_BENCH_SERIES", "").split(",") if s]
    frames = []
    for symbol, n in SERIES.items():
        if only and symbol not in only:
            continue
        started = time.perf_counter()
        scores = _replayed_series(symbol, days or n, REPLAY_KINDS)
        frames.append(summarise(symbol, scores).assign(replay_s=time.perf_counter() - started))
    return pd.concat(frames, ignore_index=True)
