"""The risk backtest of the long walk-forward (issue #19): VaR exceptions, Kupiec,
Christoffersen and the Basel traffic light for the baseline and the best kinds.

On ``fhs_walkforward``'s long ranges and quantiles (``walk``: the product's ``quantile_forecast``
on each day's scale), each target day's one-day Value-at-Risk of one unit bought at the issue
day's close, read from the quantiles as the ``risk`` view reads them: ``var_95 = last - q(0.05)``,
``var_99 = last - q(0.01)``. A day is an exception when the close fell below that quantile, as
in ``risk_backtest``. The view computes its tests in SQL; here they come from the libraries
``tests/warehouse/test_risk.py`` checks the view against: ``vartests.kupiec_test`` (Kupiec's
proportion of failures) and scipy's likelihood-ratio (G) test of the 2x2 table of day-to-day
transitions (Christoffersen's independence; 0 where a margin is empty, as the view's), their
sum chi-square with 2 df (conditional coverage). The traffic light is the view's rule at 99%
(``GREEN``, ``YELLOW``) over every 250 consecutive target days: each day's ``last_250`` window.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import vartests
from scipy import stats
from scipy.stats.contingency import chi2_contingency

from benchmarks.fhs_walkforward import BASELINE, RANGES, walk

DEFAULT = "naive_vol FHS 1000"  # [intervals] scale and pool, no ACI
BEST = {"BTC-USD": "naive_har FHS 1000", "600519.SH": "naive_vol FHS 500"}  # best 95% rows
VAR_LEVELS = (0.95, 0.99)
WINDOW = 250
GREEN, YELLOW = 4, 9  # risk_backtest's traffic_light: green 0-4 exceptions, yellow 5-9, red 10+


def zone(exceptions: int) -> str:
    """The Basel zone of a 99% VaR with ``exceptions`` in 250 days (the view's rule)."""
    return "green" if exceptions <= GREEN else "yellow" if exceptions <= YELLOW else "red"


def backtest(hits: np.ndarray, level: float) -> dict[str, float]:
    """Exceptions, Kupiec and Christoffersen of one exception series (oldest first)."""
    kupiec = vartests.kupiec_test(hits.astype(int), risk_conf_level=level)
    before, after = hits[:-1], hits[1:]
    table = np.array(
        [
            [np.sum(~before & ~after), np.sum(~before & after)],
            [np.sum(before & ~after), np.sum(before & after)],
        ]
    )
    independence, independence_p = 0.0, 1.0
    if (table.sum(axis=0) > 0).all() and (table.sum(axis=1) > 0).all():
        g = chi2_contingency(table, correction=False, lambda_="log-likelihood")
        independence, independence_p = float(g.statistic), float(g.pvalue)
    return {
        "n": len(hits),
        "exceptions": int(hits.sum()),
        "expected": len(hits) * (1 - level),
        "kupiec_p": kupiec["p-value"],
        "independence_p": independence_p,
        "cc_p": float(stats.chi2.sf(kupiec["statistic"] + independence, 2)),
    }


def windows(hits: np.ndarray) -> dict[str, object]:
    """The traffic light over every ``WINDOW`` consecutive days: the last, the worst, shares."""
    counts = np.convolve(hits.astype(int), np.ones(WINDOW, dtype=int), mode="valid")
    zones = [zone(int(c)) for c in counts]
    return {
        "last_250_zone": zones[-1],
        "worst_250": f"{zone(int(counts.max()))} ({counts.max()})",
        "green_share": zones.count("green") / len(zones),
        "red_share": zones.count("red") / len(zones),
    }


def risk_table(symbol: str, scores: pd.DataFrame) -> pd.DataFrame:
    """One row per calibration and VaR level of ``walk``'s scores."""
    rows = []
    for label, g in scores.groupby("calibration", sort=False):
        last, actual = g["last"].to_numpy(), g["actual"].to_numpy()
        for level in VAR_LEVELS:
            q = g[round(1 - level, 6)].to_numpy()
            hits = actual < q
            row: dict[str, object] = {"series": symbol, "calibration": label, "var_level": level}
            row["mean_var_pct"] = float(np.mean(100 * (last - q) / last))
            row.update(backtest(hits, level))
            if level == 0.99:
                row.update(windows(hits))
            rows.append(row)
    return pd.DataFrame(rows)


def fhs_risk(**_: object) -> pd.DataFrame:
    """The baseline, the default and each series' best 95% row of ``fhs_walkforward``."""
    frames = []
    for symbol, (start, end) in RANGES.items():
        labels = {DEFAULT, BEST[symbol]}
        kinds = tuple(sorted({label.split()[0] for label in labels}))
        pools = tuple(sorted({int(label.split()[-1]) for label in labels}))
        scores = walk(symbol, start, end, kinds=kinds, pools=pools, only=labels)
        order = [BASELINE, DEFAULT, *sorted(labels - {DEFAULT})]
        table = risk_table(symbol, scores)
        table["calibration"] = pd.Categorical(table["calibration"], order)
        frames.append(table.sort_values(["calibration", "var_level"], kind="stable"))
    out = pd.concat(frames, ignore_index=True)
    out["calibration"] = out["calibration"].astype(str)
    return out.astype(object).where(out.notna(), "")  # no traffic light at 95%
