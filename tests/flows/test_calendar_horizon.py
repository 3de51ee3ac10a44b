"""A Moutai replay and a live-style run across XSHG's horizon (2026-12-31) to 2027-02, with a
supplied 2027 holiday list and without one. The 2027 bars and holidays are invented test data:
prices are a seeded random walk, and no bar exists on a test "holiday"."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest
from cronsim import CronSim

import flows.common
import flows.daily
from flows.daily import daily
from flows.replay import replay
from flows.schedules import DEPLOYMENTS
from pipeline.data import calendars, past_horizon
from pipeline.data.bars import canonical
from pipeline.data.holidays import read_holidays
from pipeline.data.symbols import DEFAULT_SYMBOLS, SymbolInfo, get_symbol
from warehouse.connection import connect
from warehouse.ingests import IngestRequest, store_ingest
from warehouse.symbols import sync_symbols

MOUTAI = get_symbol("600519.SH")
SMALL: dict[str, Any] = {"models": ["naive", "drift"], "window": 10, "history_bars": 260}
LAST_DAY = date(2027, 2, 26)
pytestmark = pytest.mark.usefixtures("xshg_until_2026")


def _true_days(holidays: frozenset[date]) -> list[date]:
    """The synthetic world's trading days: the library's through 2026, then 2027's weekdays
    without the test holidays."""
    known = calendars.trading_days(MOUTAI, date(2025, 6, 3), date(2026, 12, 31))
    later = pd.bdate_range(date(2027, 1, 1), LAST_DAY).date
    return known + [d for d in later if d not in holidays]


def _store(path: Path, days: list[date]) -> None:
    steps = np.random.default_rng(7).normal(0, 0.012, len(days))
    close = 1500 * np.exp(np.cumsum(steps))
    frame = pd.DataFrame(
        {
            "date": pd.to_datetime(days),
            "open": close * 0.998,
            "high": close * 1.01,
            "low": close * 0.99,
            "close": close,
            "volume": 30_000.0,
        }
    )
    bars = canonical(frame, volume_unit="lots_100", price_adjustment="none", source="test")
    request = IngestRequest(str(uuid.uuid4()), MOUTAI.symbol, "test", None, None, datetime.now(UTC))
    with connect(path) as con:
        sync_symbols(con, DEFAULT_SYMBOLS)
        store_ingest(con, request, bars, pd.DataFrame())


@pytest.fixture
def holidays(holidays_2027_file: Path) -> frozenset[date]:
    return read_holidays(holidays_2027_file, "XSHG").days


@pytest.fixture
def with_file(
    tmp_path: Path, holidays_2027_file: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """A nextbar.toml naming the test holiday file, as a user would."""
    config = tmp_path / "nextbar.toml"
    config.write_text(f'[calendar]\nholidays_file = {{ XSHG = "{holidays_2027_file}" }}\n')
    monkeypatch.setenv("NEXTBAR_CONFIG", str(config))
    yield
    past_horizon.use_holidays({})


@pytest.fixture
def warned(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The horizon warnings the runs logged."""
    lines: list[str] = []
    real = flows.common.warn_calendar_horizons

    def spy(infos: list[SymbolInfo], today: date | None = None) -> list[str]:
        lines.extend(real(infos, today))
        return lines

    monkeypatch.setattr(flows.common, "warn_calendar_horizons", spy)
    monkeypatch.setattr("flows.daily.warn_calendar_horizons", spy)
    monkeypatch.setattr("flows.replay.warn_calendar_horizons", spy)
    return lines


def _forecasts(path: Path) -> pd.DataFrame:
    with connect(path, read_only=True) as con:
        return con.execute(
            "select f.as_of_date, f.target_date, f.retargeted_from, a.actual is not null as scored "
            "from forecasts f left join forecast_accuracy a using (forecast_id) "
            "where f.model = 'naive' order by f.as_of_date"
        ).df()


def _next(days: list[date], day: date) -> date:
    return next(d for d in days if d > day)


def _check_replay(path: Path, days: list[date]) -> pd.DataFrame:
    replay(
        symbol=MOUTAI.symbol, start=date(2026, 12, 24), end=LAST_DAY, warehouse=str(path), **SMALL
    )
    frame = _forecasts(path)
    assert frame["as_of_date"].dt.date.tolist() == [d for d in days if d >= date(2026, 12, 24)]
    for as_of, target in zip(
        frame["as_of_date"].dt.date, frame["target_date"].dt.date, strict=True
    ):
        if as_of < LAST_DAY:
            assert target == _next(days, as_of), as_of
    assert frame["scored"].sum() == len(frame) - 1  # all but the last day's
    return frame


def test_a_replay_across_the_horizon_with_a_holiday_file(
    warehouse_path: Path, holidays: frozenset[date], with_file: None, warned: list[str]
) -> None:
    days = _true_days(holidays)
    _store(warehouse_path, days)
    frame = _check_replay(warehouse_path, days)
    by_day = dict(zip(frame["as_of_date"].dt.date, frame["target_date"].dt.date, strict=True))
    assert by_day[date(2026, 12, 31)] == date(2027, 1, 4)
    assert by_day[date(2027, 2, 5)] == date(2027, 2, 15)  # over the test "Spring Festival"
    assert frame["retargeted_from"].isna().all()
    assert not [line for line in warned if "for 2027" in line]  # 2027 is supplied


def test_a_replay_across_the_horizon_without_one_warns_and_reads_the_bars(
    warehouse_path: Path, holidays: frozenset[date], warned: list[str]
) -> None:
    days = _true_days(holidays)
    _store(warehouse_path, days)
    _check_replay(warehouse_path, days)  # the past's closures come from the bars themselves
    with connect(warehouse_path, read_only=True) as con:
        seen = {r[0] for r in con.execute("select date from calendar_closures").fetchall()}
    assert seen == set(holidays)
    assert any(line.startswith("XSHG calendar: ") and "for 2027" in line for line in warned)


def test_a_readers_open_makes_the_recorded_closures_known(
    warehouse_path: Path, holidays: frozenset[date]
) -> None:
    days = _true_days(holidays)
    _store(warehouse_path, days)  # the writer records 2027's closures from the bars
    past_horizon.use_closures("XSHG", frozenset())  # as a new process starts
    with connect(warehouse_path, read_only=True):
        pass
    assert calendars.trading_calendar(MOUTAI).closures == holidays
    with pytest.warns(calendars.CalendarFallbackWarning):  # no holiday file: weekdays...
        known = calendars.trading_days(MOUTAI, date(2027, 1, 1), LAST_DAY)
    assert known == [d for d in days if d.year == 2027]  # ...but the closures never trade


def _live_days(path: Path, days: list[date], first: date, last: date) -> None:
    """As the daily deployment would: each trading day's bar lands, then the day's step."""
    for day in [d for d in days if first <= d <= last]:
        _store(path, [d for d in days if d <= day])
        daily(symbols=[MOUTAI.symbol], as_of=day, skip_ingest=True, warehouse=str(path), **SMALL)


def test_a_live_run_without_a_holiday_file_retargets_the_forecast(
    warehouse_path: Path, holidays: frozenset[date], warned: list[str]
) -> None:
    days = _true_days(holidays)
    _live_days(warehouse_path, days, date(2026, 12, 30), date(2027, 1, 5))
    frame = _forecasts(warehouse_path).set_index(_forecasts(warehouse_path)["as_of_date"].dt.date)
    # Issued as of 12-31 for 2027-01-01 (weekdays assumed); 01-04's bar showed no 01-01 bar:
    # a closure, so the forecast now targets 01-04, is scored there, and says so.
    new_year = frame.loc[date(2026, 12, 31)]
    assert new_year["target_date"].date() == date(2027, 1, 4)
    assert new_year["retargeted_from"].date() == date(2027, 1, 1)
    assert bool(new_year["scored"])
    with connect(warehouse_path, read_only=True) as con:
        [(moved,)] = con.execute(
            "select retargeted_from from forecast_accuracy "
            "where as_of_date = '2026-12-31' and model = 'naive'"
        ).fetchall()
    assert moved == date(2027, 1, 1)
    assert warned and all("for 2027" in line for line in warned)


def test_a_live_run_with_a_holiday_file_targets_the_right_day(
    warehouse_path: Path, holidays: frozenset[date], with_file: None
) -> None:
    days = _true_days(holidays)
    _live_days(warehouse_path, days, date(2026, 12, 31), date(2027, 1, 4))
    frame = _forecasts(warehouse_path)
    assert frame["target_date"].dt.date.tolist() == [date(2027, 1, 4), date(2027, 1, 5)]
    assert frame["retargeted_from"].isna().all()
    assert frame["scored"].tolist() == [True, False]


def test_the_moutai_schedule_runs_on_trading_days_past_the_horizon(
    holidays: frozenset[date], with_file: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    [spec] = [d for d in DEPLOYMENTS if d.full_name == "daily/600519-SH"]
    assert spec.cron is not None and spec.timezone is not None
    flows.common.load_settings()  # what a scheduled run starts with: the holiday file is read
    ran = []
    for when in CronSim(spec.cron, datetime(2026, 12, 28, tzinfo=ZoneInfo(spec.timezone))):
        if when.date() > LAST_DAY:
            break
        day = when.date()
        monkeypatch.setattr(flows.daily, "today_in", lambda info, day=day: day)
        if flows.daily.check_trading_day.fn(MOUTAI) is None:  # the flow's own skip
            ran.append(when.date())
    assert ran == [d for d in _true_days(holidays) if d >= date(2026, 12, 28)]
    assert set(holidays).isdisjoint(ran)
