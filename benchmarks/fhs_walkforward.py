"""The long direct walk-forward of the scale kinds (issue #19): flat window, |z| 60 + ACI, FHS.

No Keras and no warehouse: each day of the range, the naive point with each scale kind's
one-step scale (``pipeline.models.volatility``: EWMA, GJR-GARCH-t, HAR, and their combination
``naive_vol``), each refitted every ``REFIT_EVERY`` days on the returns known that day and
filtered forward with those parameters, calibrated by the product's ``quantile_forecast``:

- ``flat 60``: the probabilistic baseline (60 raw errors; the same for every scale, since the
  point is naive's);
- ``|z| 60 + ACI``: the calibration before FHS (60 |standardised| errors, ACI at 0.005);
- ``FHS N``: the empirical quantiles of the last N signed standardised errors, and ``+ ACI``.

Scores are the product's (``pipeline.evaluation.probabilistic``): interval-score ratios to the
baseline at 80% and 95%, the pinball ratio over the 11 levels, coverage overall and per tercile
of the trailing 20-day volatility known on the issue day, Hansen's SPA p-value of "no kind
beats the baseline's 95% interval score" and the 90% model confidence set on that score.
``fhs_validation`` runs the same grid of ``naive_vol`` on the years before the benchmark ranges,
where ``[intervals] pool`` and ``aci_step`` are chosen.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from datetime import date
from typing import TypedDict

import numpy as np
import pandas as pd

from pipeline.data.sources.bundled import BundledSource
from pipeline.data.symbols import get_symbol
from pipeline.evaluation.probabilistic import (
    interval_score,
    model_confidence_set,
    pinball_loss,
    spa_vs_naive,
    tercile_coverage,
)
from pipeline.forecast.calibration import ACI_REPLAY, CALIBRATION_WINDOW
from pipeline.forecast.intervals import ACI_GAMMA, quantile_forecast
from pipeline.models.volatility import VOLATILITY_MODELS, GjrHar, VarianceModel

RANGES = {"BTC-USD": ("2018-01-01", "2024-05-26"), "600519.SH": ("2015-01-01", "2020-04-24")}
# the bundled history starts 2014-09-17 (BTC-USD) and 2010-04-26 (600519.SH)
VALIDATION = {"BTC-USD": ("2016-07-01", "2017-12-31"), "600519.SH": ("2012-07-01", "2014-12-31")}
REFIT_EVERY = 20
POOLS = (250, 500, 1000)
WEIGHTS = (0.25, 0.75)  # GJR's weight in a log-variance combination (naive_vol's is 0.5)
BASELINE = "flat 60"
_PARKINSON = 1.0 / (4.0 * math.log(2.0))


def _series(symbol: str) -> pd.DataFrame:
    bars = BundledSource().fetch(get_symbol(symbol), date(2000, 1, 1), date(2100, 1, 1))
    return bars[~bars["is_partial"]].reset_index(drop=True)


class _Options(TypedDict, total=False):
    """quantile_forecast's calibration options."""

    window: int
    aci_step: float
    signed: bool


def _calibrations(pools: tuple[int, ...]) -> dict[str, _Options]:
    """Name -> quantile_forecast options."""
    out: dict[str, _Options] = {
        "|z| 60 + ACI": {"window": 60, "aci_step": ACI_GAMMA, "signed": False},
    }
    for pool in pools:
        out[f"FHS {pool}"] = {"window": pool, "aci_step": 0.0, "signed": True}
        out[f"FHS {pool} + ACI"] = {"window": pool, "aci_step": ACI_GAMMA, "signed": True}
    return out


def walk(
    symbol: str,
    start: str,
    end: str,
    kinds: tuple[str, ...] = tuple(VOLATILITY_MODELS),
    pools: tuple[int, ...] = POOLS,
    only: Collection[str] | None = None,
) -> pd.DataFrame:
    """Per calibration and target day in [start, end]: the quantiles' scores (``only``: just
    the calibrations of these labels, the baseline always)."""
    bars = _series(symbol)
    close = bars["close"].to_numpy("float64")
    returns = np.log(close[1:] / close[:-1])  # sample i: issued on bar i, target bar i + 1
    proxy = _PARKINSON * np.log((bars["high"] / bars["low"]).to_numpy("float64")) ** 2
    relative = close[1:] / close[:-1] - 1.0  # naive's relative error
    targets = bars["date"].to_numpy()[1:]
    days = np.flatnonzero((targets >= np.datetime64(start)) & (targets <= np.datetime64(end)))
    trailing = pd.Series(returns).shift(1).rolling(20).std().to_numpy()  # known on issue day
    frames = [_scores("baseline", BASELINE, days, close, relative, None, {}, trailing)]
    for kind in kinds:
        sigma = _filtered(kind, returns, proxy, days)
        for name, options in _calibrations(pools).items():
            label = f"{kind} {name}"
            if only is not None and label not in only:
                continue
            frames.append(_scores(kind, label, days, close, relative, sigma, options, trailing))
    return pd.concat(frames, ignore_index=True)


class _Weighted(GjrHar):
    """``var_gjr ** weight * var_har ** (1 - weight)``: naive_vol's combination reweighted."""

    weight = 0.5

    def one_step(self, returns: np.ndarray, proxy: np.ndarray) -> np.ndarray:
        gjr, har = (part.one_step(returns, proxy) for part in self.parts_)
        return np.asarray(gjr**self.weight * har ** (1 - self.weight))


def _variance(kind: str) -> VarianceModel:
    if kind.startswith("gjr^"):  # gjr^0.25: GJR's weight
        model = _Weighted()
        model.weight = float(kind.removeprefix("gjr^"))
        return model
    return VOLATILITY_MODELS[kind].variance_kind()


def _filtered(
    kind: str, returns: np.ndarray, proxy: np.ndarray, days: np.ndarray
) -> dict[int, np.ndarray]:
    """Issue day -> the one-step scales of every sample up to it and of tomorrow, filtered with
    the parameters fitted on the latest refit day (returns known that day), as the daily step
    standardises its whole pool with the day's parameters."""
    out: dict[int, np.ndarray] = {}
    for block in range(days[0], days[-1] + 1, REFIT_EVERY):
        variance = _variance(kind)
        variance.fit(returns[:block], proxy[: block + 1])
        stop = min(block + REFIT_EVERY, days[-1] + 1)
        filtered = variance.one_step(returns[:stop], proxy[: stop + 1])  # causal: entry i
        for i in range(block, stop):  # reads returns[:i] and proxy[: i + 1] only
            out[i] = filtered
    return out


def _scores(
    kind: str,
    label: str,
    days: np.ndarray,
    close: np.ndarray,
    relative: np.ndarray,
    sigma: dict[int, np.ndarray] | None,
    options: _Options,
    trailing: np.ndarray,
) -> pd.DataFrame:
    rows = []
    window = options.get("window", CALIBRATION_WINDOW)
    length = window + ACI_REPLAY
    for i in days:
        last = close[i]
        if sigma is None:
            history = relative[max(0, i - CALIBRATION_WINDOW) : i]
            q = quantile_forecast(last, last, history)
        else:
            known = slice(max(0, i - length), i)  # target days up to the issue day
            history = relative[known] / sigma[i][known]
            scale = float(sigma[i][i])
            q = quantile_forecast(last, last, history, scale=scale, **options)
        row: dict[str | float, float] = {"day": i, "last": last, "actual": close[i + 1]}
        row["volatility"] = trailing[i]
        for tau, value in q.items():
            row[tau] = value
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame.insert(0, "calibration", label)
    frame.insert(0, "kind", kind)
    return frame


def summarise(symbol: str, scores: pd.DataFrame, reps: int = 1000) -> pd.DataFrame:
    """One row per calibration: ratios to the baseline, coverage, SPA and MCS p-values."""
    daily: dict[str, pd.Series] = {}
    rows = []
    base: dict[str, float] = {}
    for label, g in scores.groupby("calibration", sort=False):
        y = g["actual"].to_numpy()
        is80 = _daily_is(y, g[0.1], g[0.9], 0.8)
        is95 = _daily_is(y, g[0.025], g[0.975], 0.95)
        daily[str(label)] = pd.Series(is95, index=g["day"].to_numpy())
        levels = [float(c) for c in g.columns if isinstance(c, float)]
        pinball = pinball_loss(y, {t: g[t].to_numpy() for t in levels})
        terciles = tercile_coverage(y, g[0.025], g[0.975], g["volatility"])
        if label == BASELINE:
            base = {"is80": is80.mean(), "is95": is95.mean(), "pinball": pinball}
        rows.append(
            {
                "series": symbol,
                "calibration": label,
                "days": len(g),
                "is80_ratio": is80.mean() / base["is80"],
                "is95_ratio": is95.mean() / base["is95"],
                "pinball_ratio": pinball / base["pinball"],
                "cov80": float(np.mean((y >= g[0.1]) & (y <= g[0.9]))),
                "cov95": float(np.mean((y >= g[0.025]) & (y <= g[0.975]))),
                **{f"cov95_{k}": v for k, v in terciles.items()},
            }
        )
    frame = pd.DataFrame(rows)
    losses = pd.DataFrame(daily)
    others = [c for c in losses.columns if c != BASELINE]
    spa = spa_vs_naive(losses[BASELINE], losses[others], reps=reps)["consistent"]
    frame["spa_p"] = [np.nan if c == BASELINE else spa for c in frame["calibration"]]
    mcs = model_confidence_set(losses, size=0.1, reps=reps)
    frame["mcs_p"] = frame["calibration"].map(mcs)
    return frame


def _daily_is(y: np.ndarray, lower: pd.Series, upper: pd.Series, level: float) -> np.ndarray:
    """Each day's interval score (the product's ``interval_score`` of one day)."""
    return np.array(
        [interval_score([a], [lo], [hi], level) for a, lo, hi in zip(y, lower, upper, strict=True)]
    )


def fhs_walkforward(**_: object) -> pd.DataFrame:
    """Every scale kind and calibration on the issue's long ranges."""
    return pd.concat(
        [summarise(s, walk(s, *r)) for s, r in RANGES.items()],
        ignore_index=True,
    )


def fhs_validation(**_: object) -> pd.DataFrame:
    """``naive_vol``'s calibrations on the years before the ranges, where the defaults come
    from (the lowest mean 95% interval-score ratio over both series), and other weights of
    GJR and HAR in its combination (``gjr^w``)."""
    kinds = ("naive_vol", *(f"gjr^{w}" for w in WEIGHTS))
    return pd.concat(
        [summarise(s, walk(s, *r, kinds=kinds)) for s, r in VALIDATION.items()],
        ignore_index=True,
    )
