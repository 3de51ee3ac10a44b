"""Volatility models that give a point forecaster a scale for tomorrow's move.

A variance model reads a split's daily series: ``returns[i]``, the log return of sample ``i``'s
target day, and ``proxy[i]``, a range-based variance proxy of the bar sample ``i``'s window
ends on. ``one_step(returns, proxy)`` gives the standard deviation of each sample's return from
``returns[:i]`` and ``proxy[: i + 1]`` only (what was known on the day it was issued), and one
more for the day after the last sample: tomorrow. Parameters are fitted on the training range;
the rest is filtering with those parameters, so no later bar moves an earlier forecast.

Kinds: ``naive_ewma`` (RiskMetrics, λ = 0.94), ``naive_garch`` (GJR-GARCH(1,1) with Student-t
errors, from ``arch``), ``naive_har`` (HAR on the Parkinson proxy ``ln(H/L)² / (4 ln 2)``) and
``naive_vol`` (the geometric mean of the GJR-GARCH-t and HAR variances): the naive point with
that scale. The point models are issued on ``naive_vol``'s scale by default
(``pipeline.forecast.scaled``).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from pipeline.models.base import EpochCallback
from pipeline.models.baselines import NaiveModel
from pipeline.splits.split import Split, SplitPart

RISKMETRICS_LAMBDA = 0.94
HAR_LAGS = (1, 5, 22)  # daily, weekly, monthly means of the proxy
_PARKINSON = 1.0 / (4.0 * math.log(2.0))
_FLOOR = 1e-12  # a variance never reaches zero (a flat day would divide by it)


def daily_series(split: Split) -> tuple[np.ndarray, np.ndarray, list[tuple[str, int]]]:
    """(returns (n,), proxy (n + 1,), [(part name, its sample count)]) over train, validation
    and test in order; ``proxy[n]`` is the latest bar's (tomorrow's forecast reads it)."""
    parts: list[tuple[str, SplitPart]] = [
        (name, getattr(split, name)) for name in ("train", "validation", "test")
    ]
    returns = np.concatenate([np.log(p.actual / p.last_known) for _, p in parts])
    last_bars = np.concatenate([p.X[:, -1, :] for _, p in parts] + [split.latest_window[:, -1, :]])
    columns = split.feature_scaler.columns
    values = split.feature_scaler.inverse_transform(last_bars.astype("float64"))
    if "high" in columns and "low" in columns:
        log_range = np.log(values[:, columns.index("high")] / values[:, columns.index("low")])
        proxy = _PARKINSON * log_range**2
    elif "range_rel" in columns:  # (H - L) / C, close to ln(H / L) for daily ranges
        proxy = _PARKINSON * values[:, columns.index("range_rel")] ** 2
    else:  # no range among the inputs: the squared return of the bar itself
        proxy = np.concatenate([[0.0], returns**2])
    return returns, np.maximum(proxy, 0.0), [(name, len(p)) for name, p in parts]


class VarianceModel(ABC):
    """Fit on training returns; one-step standard deviations by filtering."""

    name: ClassVar[str]

    @abstractmethod
    def fit(self, returns: np.ndarray, proxy: np.ndarray) -> None:
        """Fit parameters on training ``returns`` (n,) and ``proxy`` (n + 1,)."""

    @abstractmethod
    def one_step(self, returns: np.ndarray, proxy: np.ndarray) -> np.ndarray:
        """(n + 1,) standard deviations: entry ``i`` reads ``returns[:i]``, ``proxy[:i+1]``."""

    @abstractmethod
    def state(self) -> dict[str, float]:
        """JSON-able parameters."""

    @abstractmethod
    def restore(self, state: dict[str, Any]) -> None:
        """Inverse of :meth:`state`."""


class Ewma(VarianceModel):
    """RiskMetrics: ``var[i+1] = λ var[i] + (1 - λ) r[i]²``, started at the training variance."""

    name = "ewma"

    def fit(self, returns: np.ndarray, proxy: np.ndarray) -> None:
        self.initial_ = float(np.mean(returns**2))

    def one_step(self, returns: np.ndarray, proxy: np.ndarray) -> np.ndarray:
        var = np.empty(len(returns) + 1)
        var[0] = self.initial_
        for i, r in enumerate(returns):
            var[i + 1] = RISKMETRICS_LAMBDA * var[i] + (1 - RISKMETRICS_LAMBDA) * r * r
        return np.sqrt(np.maximum(var, _FLOOR))

    def state(self) -> dict[str, float]:
        return {"initial": self.initial_}

    def restore(self, state: dict[str, Any]) -> None:
        self.initial_ = float(state["initial"])


class GjrGarch(VarianceModel):
    """GJR-GARCH(1,1), zero mean, Student-t errors (``arch``), fitted on returns × 100."""

    name = "gjr_garch"

    def fit(self, returns: np.ndarray, proxy: np.ndarray) -> None:
        from arch import arch_model  # imported here: only this kind pays for it

        model = arch_model(100 * returns, mean="Zero", vol="GARCH", p=1, o=1, q=1, dist="t")
        params = model.fit(disp="off", show_warning=False).params
        self.params_ = {k: float(params[k]) for k in ("omega", "alpha[1]", "gamma[1]", "beta[1]")}
        self.params_["nu"] = float(params["nu"])
        self.initial_ = float(np.mean((100 * returns) ** 2))

    def one_step(self, returns: np.ndarray, proxy: np.ndarray) -> np.ndarray:
        p = self.params_
        scaled = 100 * returns
        var = np.empty(len(returns) + 1)
        var[0] = self.initial_
        for i, r in enumerate(scaled):
            shock = (p["alpha[1]"] + p["gamma[1]"] * (r < 0)) * r * r
            var[i + 1] = p["omega"] + shock + p["beta[1]"] * var[i]
        return np.sqrt(np.maximum(var, _FLOOR)) / 100  # arch's Student-t has unit variance

    def state(self) -> dict[str, float]:
        return {**self.params_, "initial": self.initial_}

    def restore(self, state: dict[str, Any]) -> None:
        self.initial_ = float(state["initial"])
        self.params_ = {k: float(v) for k, v in state.items() if k != "initial"}


class Har(VarianceModel):
    """HAR: tomorrow's proxy regressed (OLS, training range) on the proxy's mean over the last
    1, 5 and 22 bars, rescaled to the squared return (the proxy misses overnight gaps)."""

    name = "har"

    def fit(self, returns: np.ndarray, proxy: np.ndarray) -> None:
        design = _har_design(proxy[:-1])  # row i: what was known on the bar of sample i
        target = proxy[1:]
        usable = slice(max(HAR_LAGS) - 1, len(target))
        coef, *_ = np.linalg.lstsq(design[usable], target[usable], rcond=None)
        self.coef_ = coef
        fitted = np.maximum(design @ coef, _FLOOR)
        self.ratio_ = float(np.mean(returns[usable] ** 2) / np.mean(fitted[usable]))

    def one_step(self, returns: np.ndarray, proxy: np.ndarray) -> np.ndarray:
        fitted = np.maximum(_har_design(proxy) @ self.coef_, _FLOOR)
        return np.sqrt(self.ratio_ * fitted)

    def state(self) -> dict[str, Any]:
        return {"coef": [float(c) for c in self.coef_], "ratio": self.ratio_}

    def restore(self, state: dict[str, Any]) -> None:
        self.coef_ = np.asarray(state["coef"], dtype="float64")
        self.ratio_ = float(state["ratio"])


class GjrHar(VarianceModel):
    """The geometric mean of the GJR-GARCH-t and HAR variances: ``sqrt(var_gjr * var_har)``,
    each fitted on its own (two views of tomorrow's variance, one from returns, one from
    ranges)."""

    name = "gjr_har"

    def fit(self, returns: np.ndarray, proxy: np.ndarray) -> None:
        self.parts_ = (GjrGarch(), Har())
        for part in self.parts_:
            part.fit(returns, proxy)

    def one_step(self, returns: np.ndarray, proxy: np.ndarray) -> np.ndarray:
        gjr, har = (part.one_step(returns, proxy) for part in self.parts_)
        return np.sqrt(gjr * har)  # the square root of the variances' geometric mean

    def state(self) -> dict[str, Any]:
        return {part.name: part.state() for part in self.parts_}

    def restore(self, state: dict[str, Any]) -> None:
        self.parts_ = (GjrGarch(), Har())
        for part in self.parts_:
            part.restore(state[part.name])


def _har_design(proxy: np.ndarray) -> np.ndarray:
    """Rows ``[1, mean of the last 1, 5, 22 proxies]`` per bar (fewer bars early on)."""
    cumulative = np.concatenate([[0.0], np.cumsum(proxy)])
    index = np.arange(1, len(proxy) + 1)
    columns = [np.ones(len(proxy))]
    for lag in HAR_LAGS:
        start = np.maximum(index - lag, 0)
        columns.append((cumulative[index] - cumulative[start]) / (index - start))
    return np.column_stack(columns)


class ScaledNaiveModel(NaiveModel):
    """The naive point with a variance model's one-step scale (``alias`` names the pair)."""

    variance_kind: ClassVar[type[VarianceModel]]

    def _fit(self, split: Split, *, epochs: int, seed: int, on_epoch: EpochCallback | None) -> None:
        returns, proxy, sizes = daily_series(split)
        n_train = sizes[0][1]
        self.variance_ = self.variance_kind()
        self.variance_.fit(returns[:n_train], proxy[: n_train + 1])

    def predict_scale(self, split: Split) -> dict[str, np.ndarray] | None:
        returns, proxy, sizes = daily_series(split)
        sigma = self.variance_.one_step(returns, proxy)
        out, start = {}, 0
        for name, size in sizes:
            out[name] = sigma[start : start + size]
            start += size
        out["latest"] = sigma[-1:]
        return out

    def training_errors(self, split: Split) -> dict[str, float]:
        """The naive point's relative error over the training range, standardised by its one-step
        scale, by ISO target day: the FHS pool before the validation range."""
        returns, proxy, _ = daily_series(split)
        part = split.train
        sigma = self.variance_.one_step(returns, proxy)[: len(part)]
        errors = (part.actual - part.last_known) / np.abs(part.last_known) / sigma
        days = pd.to_datetime(part.dates).strftime("%Y-%m-%d")
        return dict(zip(days, errors.astype("float64").tolist(), strict=True))

    def _save_state(self, directory: Path) -> dict[str, Any]:
        return self.variance_.state()

    def _load_state(self, directory: Path, state: dict[str, Any]) -> None:
        self.variance_ = self.variance_kind()
        self.variance_.restore(state)


def _scaled_kind(alias: str, variance: type[VarianceModel]) -> type[ScaledNaiveModel]:
    return type(
        f"Naive{variance.__name__}Model",
        (ScaledNaiveModel,),
        {"alias": alias, "variance_kind": variance, "__doc__": f"naive + {variance.name}"},
    )


VOLATILITY_MODELS: dict[str, type[ScaledNaiveModel]] = {
    alias: _scaled_kind(alias, variance)
    for alias, variance in (
        ("naive_ewma", Ewma),
        ("naive_garch", GjrGarch),
        ("naive_har", Har),
        ("naive_vol", GjrHar),
    )
}
