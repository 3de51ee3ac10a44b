"""The schedules fire when the data is there, in their own time zones; holidays are skipped."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from prefect.server.schemas.schedules import CronSchedule

from flows import daily
from flows.schedules import DEPLOYMENTS
from pipeline.data.calendars import is_trading_day
from pipeline.data.symbols import get_symbol

SHANGHAI = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


def _next_runs(full_name: str, after: datetime, n: int = 1) -> list[datetime]:
    """The next runs as Prefect's scheduler computes them."""
    (spec,) = [s for s in DEPLOYMENTS if s.full_name == full_name]
    assert spec.cron and spec.timezone
    schedule = CronSchedule(cron=spec.cron, timezone=spec.timezone)
    dates = asyncio.run(schedule.get_dates(n=n, start=after + timedelta(seconds=1)))
    return [datetime.fromisoformat(d.isoformat()) for d in dates]


def test_moutai_runs_weekday_evenings_in_shanghai() -> None:
    friday_evening = datetime(2024, 5, 24, 18, 0, tzinfo=SHANGHAI)
    (run,) = _next_runs("daily/600519-SH", friday_evening)
    assert run == datetime(2024, 5, 27, 17, 30, tzinfo=SHANGHAI)  # Monday, not the weekend
    assert run.astimezone(UTC) == datetime(2024, 5, 27, 9, 30, tzinfo=UTC)
    # after tushare's data lands (15:00-16:00 CST) on each weekday
    week = _next_runs("daily/600519-SH", datetime(2024, 5, 26, 12, 0, tzinfo=SHANGHAI), n=5)
    assert [r.astimezone(SHANGHAI).strftime("%a %H:%M") for r in week] == [
        f"{day} 17:30" for day in ("Mon", "Tue", "Wed", "Thu", "Fri")
    ]


def test_bitcoin_runs_every_day_in_utc() -> None:
    runs = _next_runs("daily/BTC-USD", datetime(2024, 5, 24, 18, 0, tzinfo=SHANGHAI), n=3)
    assert runs == [datetime(2024, 5, 25 + i, 1, 30, tzinfo=UTC) for i in range(3)]


def test_the_moutai_flow_skips_the_national_day_week(monkeypatch: pytest.MonkeyPatch) -> None:
    moutai = get_symbol("600519.SH")
    holiday = [date(2024, 10, d) for d in range(1, 8)]
    assert not any(is_trading_day(moutai, d) for d in holiday)
    assert is_trading_day(moutai, date(2024, 10, 8))
    # The live flow's own check, on each day of the week as the Shanghai clock reads it.
    for today in [*holiday, date(2024, 10, 8)]:
        monkeypatch.setattr(daily, "today_in", lambda info, today=today: today)
        reason = daily.skip_reason(moutai, None, "tushare")
        assert reason == daily.check_trading_day.fn(moutai)
        if today in holiday:
            assert reason and f"{today} is not a XSHG trading day" in reason
        else:
            assert reason is None
