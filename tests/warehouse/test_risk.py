"""The risk view's VaR and ES, and risk_backtest's tests, on a real file: checked against
closed forms, scipy and vartests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import vartests
from scipy import integrate, stats
from scipy.stats.contingency import chi2_contingency

from pipeline.data.symbols import DEFAULT_SYMBOLS
from warehouse.connection import connect
from warehouse.forecasts import issue_forecasts
from warehouse.symbols import sync_symbols

SIGMAS = {"naive": 0.02, "tight": 0.004, "wide": 0.04}


@pytest.fixture
def stored(warehouse_path: Path, store: Any) -> Any:
    with connect(warehouse_path) as con:
        return store.ladders(con, SIGMAS)


def _exceptions(closes: np.ndarray, sigma: float, level: float) -> np.ndarray:
    """Day t's close below the forecast of day t - 1's q(1 - level), t = 1 … last bar."""
    q = closes[:-1] * (1 + sigma * stats.norm.ppf(1 - level))
    return closes[1:] < q


def test_var_and_es_of_a_normal_forecast_are_its_closed_forms(
    stored: Any, warehouse_path: Path
) -> None:
    with connect(warehouse_path, read_only=True) as con:
        risk = con.execute("select * from risk").df().set_index("model")
    last = stored.closes[-1]
    assert set(risk.index) == set(SIGMAS) and (risk["last_close"] == last).all()
    assert (risk["currency"] == "USD").all()
    for model, sigma in SIGMAS.items():
        row = risk.loc[model]
        for level in (0.95, 0.99):
            z = stats.norm.ppf(1 - level)
            var = -sigma * last * z
            es = sigma * last * stats.norm.pdf(z) / (1 - level)
            pct = round(level * 100)
            assert row[f"var_{pct}"] == pytest.approx(var, rel=1e-9)
            assert row[f"es_{pct}"] == pytest.approx(es, rel=1e-9)
            assert row[f"es_{pct}_pct"] == pytest.approx(100 * es / last, rel=1e-9)
            assert row[f"es_{pct}"] > row[f"var_{pct}"]


def test_es_of_a_skewed_forecast_integrates_its_quantiles(warehouse_path: Path, store: Any) -> None:
    """A fat, skewed lower tail (Student t, 3 df, times 1 + a level): the view's ES is the
    stated rule, checked by numerical integration; a forecast without 0.01 has nulls."""
    with connect(warehouse_path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        store.ingest(con, np.array([100.0, 101.0]))
        day = pd.Timestamp("2023-01-02").date()
        skewed = {tau: 101.0 + 2.0 * stats.t.ppf(tau, 3) * (1.5 - tau) for tau in store.levels}
        partial = {tau: v for tau, v in skewed.items() if tau != 0.01}
        issue_forecasts(
            con,
            pd.DataFrame(
                [
                    store.forecast("skewed", day, 101.0, skewed, None),
                    store.forecast("partial", day, 101.0, partial, None),
                ]
            ),
        )
        risk = con.execute("select * from risk").df().set_index("model")

    levels = np.array([0.01, 0.025, 0.05])
    z = stats.norm.ppf(levels)
    q = np.array([skewed[tau] for tau in levels])

    def quantile(u: float) -> float:  # linear in z between the levels, the first line below
        zu = stats.norm.ppf(u)
        i = 0 if u < 0.025 else 1
        return float(q[i] + (q[i + 1] - q[i]) * (zu - z[i]) / (z[i + 1] - z[i]))

    for level, upper in ((0.99, 0.01), (0.95, 0.05)):
        mean, _ = integrate.quad(quantile, 0, upper, points=[0.01, 0.025], limit=200)
        pct = round(level * 100)
        assert risk.loc["skewed", f"es_{pct}"] == pytest.approx(101.0 - mean / upper, rel=1e-7)
        assert risk.loc["skewed", f"var_{pct}"] == pytest.approx(101.0 - skewed[upper])
    assert risk.loc["partial", "var_95"] == pytest.approx(101.0 - skewed[0.05])
    assert risk.loc["partial", ["var_99", "es_99", "es_95"]].isna().all()


def test_the_backtests_agree_with_vartests_and_scipy(stored: Any, warehouse_path: Path) -> None:
    with connect(warehouse_path, read_only=True) as con:
        board = con.execute("select * from risk_backtest").df()
    assert len(board) == len(SIGMAS) * 2 * 2
    board = board.set_index(["model", "window_name", "var_level"])
    for (model, window, level), row in board.iterrows():
        hits = _exceptions(stored.closes, SIGMAS[model], level)
        if window == "last_250":
            hits = hits[-250:]
        n, x = len(hits), int(hits.sum())
        assert (row["n"], row["exceptions"]) == (n, x)
        assert row["expected_exceptions"] == pytest.approx(n * (1 - level))
        kupiec = vartests.kupiec_test(hits.astype(int), risk_conf_level=level)
        assert row["kupiec_lr"] == pytest.approx(kupiec["statistic"], rel=1e-9, abs=1e-12)
        assert row["kupiec_p_value"] == pytest.approx(kupiec["p-value"], abs=1e-6)
        before, after = hits[:-1], hits[1:]
        table = np.array(
            [
                [np.sum(~before & ~after), np.sum(~before & after)],
                [np.sum(before & ~after), np.sum(before & after)],
            ]
        )
        if (table.sum(axis=0) > 0).all() and (table.sum(axis=1) > 0).all():
            # Christoffersen's LR is the likelihood-ratio (G) test of the 2x2 transitions
            g = chi2_contingency(table, correction=False, lambda_="log-likelihood")
            assert row["independence_lr"] == pytest.approx(g.statistic, rel=1e-9)
            assert row["independence_p_value"] == pytest.approx(g.pvalue, abs=1e-6)
        else:
            assert row["independence_lr"] == 0
        lr_cc = kupiec["statistic"] + row["independence_lr"]
        assert row["conditional_coverage_lr"] == pytest.approx(lr_cc, rel=1e-9, abs=1e-12)
        assert row["conditional_coverage_p_value"] == pytest.approx(stats.chi2.sf(lr_cc, 2))
        if window == "last_250" and level == 0.99:
            assert row["traffic_light"] == ("green" if x <= 4 else "yellow" if x <= 9 else "red")
        else:
            assert pd.isna(row["traffic_light"])
    # the too-narrow model fails its backtests, and is red
    tight = board.loc[("tight", "last_250", 0.99)]
    assert tight["traffic_light"] == "red" and tight["kupiec_p_value"] < 1e-6


def test_one_scored_day_has_no_independence_test(warehouse_path: Path, store: Any) -> None:
    with connect(warehouse_path) as con:
        store.ladders(con, {"naive": 0.02}, days=2)
        rows = con.execute("select * from risk_backtest where window_name = 'all'").df()
    assert (rows["n"] == 1).all() and rows["kupiec_p_value"].notna().all()
    assert rows[["independence_lr", "independence_p_value"]].isna().all().all()
    assert rows["traffic_light"].isna().all()
