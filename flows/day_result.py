"""What one symbol's daily step reports: a forecast, a reused day, or a skip."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flows.reuse import ReusedDay
from pipeline.daily.day import DayOutcome
from pipeline.data.symbols import SymbolInfo
from pipeline.training.jobs import ModelOutcome


@dataclass
class DayResult:
    """One symbol's daily step."""

    symbol: str
    status: str  # forecast, reused (the day's earlier fits and forecasts), skipped
    reason: str | None = None
    as_of: date | None = None
    champion: str | None = None
    new_forecasts: int = 0
    outcomes: list[ModelOutcome] = field(default_factory=list)

    @classmethod
    def forecast(cls, day: DayOutcome, new_forecasts: int) -> DayResult:
        """A recorded day, ``new_forecasts`` of its forecasts not stored before."""
        champion = day.champion()
        return cls(
            symbol=day.info.symbol,
            status="forecast",
            as_of=day.as_of,
            champion=champion.model if champion else None,
            new_forecasts=new_forecasts,
            outcomes=day.outcomes,
        )


def reused_result(info: SymbolInfo, reused: ReusedDay, asked: str | None = None) -> DayResult:
    """What a reused day reports: its champion, when its forecasts were issued, and the
    source ``asked`` for new bars first (outside Prefect), if any."""
    when = f"{reused.run.recorded_at:%Y-%m-%d %H:%M} UTC"
    fetched = f"{asked} has no new or revised bars; " if asked else ""
    return DayResult(
        symbol=info.symbol,
        status="reused",
        reason=(
            f"{fetched}same bars and settings as at {when}: reused its fits and "
            f"{reused.run.forecasts} forecasts (--force refits)"
        ),
        as_of=reused.as_of,
        champion=reused.run.champion,
    )
