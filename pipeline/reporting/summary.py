"""The short per-symbol summary a run ends with: tomorrow's forecast and interval, and each
champion's skill against naive, marked ``loses to naive`` where it does."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from pipeline.evaluation.naive import TIE


@dataclass(frozen=True)
class Champion:
    """One champion and how its scored forecasts compare with naive's (leaderboard, all days)."""

    role: str  # point champion (lowest validation MAE) or interval champion
    model: str
    skill: float | None  # 1 - score / naive's score; None: nothing scored yet
    n: int  # scored forecasts behind ``skill``
    verdict: str  # beats naive, ties naive, loses to naive, the baseline, not scored yet

    def cells(self) -> tuple[str, str, str, str, str]:
        """role, model, skill, scored, verdict as text."""
        skill = "skill —" if self.skill is None else f"skill {self.skill:+.3f}"
        return self.role, self.model, skill, f"{self.n} scored", self.verdict


@dataclass(frozen=True)
class SymbolSummary:
    """One symbol's next-day forecast (the point champion's), its interval (the interval
    champion's where one is chosen), naive's forecast, and the champions."""

    symbol: str
    target: str
    currency: str
    as_of: date
    target_date: date
    predicted: float
    naive: float
    interval_model: str
    lower_80: float | None
    upper_80: float | None
    lower_95: float | None
    upper_95: float | None
    champions: tuple[Champion, ...]

    def heading(self) -> str:
        return (
            f"{self.symbol}: {self.target} on {self.target_date} (as of {self.as_of}), "
            f"{self.currency}"
        )

    def forecast_rows(self) -> list[tuple[str, str, str]]:
        """(what, price or range, whose) rows: the forecast, its 80% and 95% intervals, naive."""
        rows = [("forecast", _price(self.predicted), self.champions[0].model)]
        for level in ("80", "95"):
            low, high = getattr(self, f"lower_{level}"), getattr(self, f"upper_{level}")
            rows.append(
                (f"{level}% interval", f"{_price(low)} .. {_price(high)}", self.interval_model)
            )
        rows.append(("naive", _price(self.naive), "tomorrow = today"))
        return rows

    def markdown(self) -> str:
        lines = [f"## {self.heading()}", ""]
        lines += [f"- {what}: {value} ({whose})" for what, value, whose in self.forecast_rows()]
        lines += [
            f"- {role}: {model}, {skill} ({n}), **{verdict}**"
            for role, model, skill, n, verdict in (c.cells() for c in self.champions)
        ]
        return "\n".join(lines)


def _price(value: float | None) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:,.2f}"


def verdict(model: str, skill: float | None, is_beating: bool | None) -> str:
    """How a model compares with naive: a tie is not a win."""
    if model == "naive":
        return "the baseline"
    if skill is None or math.isnan(skill):
        return "not scored yet"
    if abs(skill) <= TIE:
        return "ties naive"
    return "beats naive" if is_beating else "loses to naive"


def _champion(
    role: str, model: str, board: pd.DataFrame, skill_column: str, beating_column: str
) -> Champion:
    rows = board[board["model"] == model]
    if rows.empty:
        return Champion(role, model, None, 0, verdict(model, None, None))
    row = rows.iloc[0]
    skill = None if pd.isna(row[skill_column]) else float(row[skill_column])
    beating = None if pd.isna(row[beating_column]) else bool(row[beating_column])
    return Champion(role, model, skill, int(row["n"]), verdict(model, skill, beating))


def _value(row: pd.Series, column: str) -> float | None:
    return None if pd.isna(row[column]) else float(row[column])


def summarize(
    latest: pd.DataFrame, board: pd.DataFrame, currencies: dict[str, str]
) -> list[SymbolSummary]:
    """One summary per symbol and target with a champion forecast.

    ``latest``: the ``latest_forecasts`` view; ``board``: the ``leaderboard`` view, window
    ``all``. The interval champion is the row with ``is_interval_champion`` where the view has
    that column (#19); without it the point champion's interval is shown and no interval
    champion is named.
    """
    summaries = []
    has_interval_champion = "is_interval_champion" in latest.columns
    for (symbol, target), rows in latest.groupby(["symbol", "target"], sort=True):
        point = rows[rows["is_champion"].astype(bool)]
        if point.empty:
            continue
        top = point.iloc[0]
        scores = board[(board["symbol"] == symbol) & (board["target"] == target)]
        champions = [
            _champion("point champion", top["model"], scores, "skill_vs_naive", "is_beating_naive")
        ]
        interval: Any = top
        if has_interval_champion:
            chosen = rows[rows["is_interval_champion"].fillna(False).astype(bool)]
            if not chosen.empty:
                interval = chosen.iloc[0]
                champions.append(
                    _champion(
                        "interval champion",
                        interval["model"],
                        scores,
                        "interval_skill_95",
                        "is_beating_naive_interval",
                    )
                )
        summaries.append(
            SymbolSummary(
                symbol=str(symbol),
                target=str(target),
                currency=currencies.get(str(symbol), ""),
                as_of=pd.Timestamp(top["as_of_date"]).date(),
                target_date=pd.Timestamp(top["target_date"]).date(),
                predicted=float(top["predicted"]),
                naive=float(top["naive_predicted"]),
                interval_model=str(interval["model"]),
                lower_80=_value(interval, "lower_80"),
                upper_80=_value(interval, "upper_80"),
                lower_95=_value(interval, "lower_95"),
                upper_95=_value(interval, "upper_95"),
                champions=tuple(champions),
            )
        )
    return summaries
