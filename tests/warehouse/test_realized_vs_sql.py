"""The replay's in-memory ``Realized`` picks each scored target day's forecast as the
``forecast_accuracy`` view's ``is_day_forecast`` does: live before replay, then the latest issue."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from flows.daily import daily
from flows.ingest import ingest
from flows.replay import replay
from pipeline.daily.realized import Realized
from pipeline.settings import load_settings
from pipeline.step_config import StepConfig
from warehouse.connection import connect
from warehouse.forecasts import day_errors

SYMBOL = "BTC-USD"
MODELS = ["naive", "drift", "linear", "naive_ewma"]
LIVE = [date(2024, 5, d) for d in (18, 19, 20)]  # live forecasts of the 19th to the 21st
FIRST = (date(2024, 5, 14), date(2024, 5, 21))  # a stored replay over and around them
SECOND = (date(2024, 5, 17), date(2024, 5, 24))  # the replay Realized follows
UNTIL = date(2024, 5, 25)
SMALL: dict[str, Any] = {"window": 20, "history_bars": 400, "retrain_every": 3}


def _errors(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    """(model, ISO target day) -> relative error."""
    rows = frame[["model", "day", "relative_error"]].itertuples(index=False)
    return {(m, d): float(e) for m, d, e in rows}


@pytest.mark.usefixtures("prefect_harness")
def test_realized_keeps_the_forecast_the_view_marks_as_the_day_forecast(tmp_path: Path) -> None:
    path = str(tmp_path / "nextbar.duckdb")
    ingest(symbols=[SYMBOL], source="bundled", warehouse=path)
    for day in LIVE:
        daily(
            symbols=[SYMBOL],
            source="bundled",
            as_of=day,
            skip_ingest=True,
            warehouse=path,
            models=MODELS,
            **SMALL,
        )
    replay(symbol=SYMBOL, start=FIRST[0], end=FIRST[1], models=MODELS, warehouse=path, **SMALL)
    step = StepConfig.from_settings(load_settings(), models=MODELS)
    flat, target = step.calibration.flat_kinds, step.target
    with connect(Path(path), read_only=True) as con:
        stored = day_errors(con, SYMBOL, target, UNTIL, flat)
    realized = Realized(stored, window=10_000)
    since = datetime.now(tz=UTC)
    # other bars of history: other drift and linear forecasts than the first replay's
    replay(
        symbol=SYMBOL,
        start=SECOND[0],
        end=SECOND[1],
        models=MODELS,
        warehouse=path,
        **{**SMALL, "history_bars": 300},
    )
    with connect(Path(path), read_only=True) as con:
        issued = con.execute(
            """
            select model, strftime(target_date, '%Y-%m-%d') as day,
                (actual - predicted) / abs(last_known) / coalesce(scale, 1.0) as relative_error
            from forecast_accuracy
            where symbol = ? and target = ? and is_replay and issued_at >= ?
              and (scale is null) = list_contains(?::varchar[], model)
            order by issued_at, target_date, model
            """,
            [SYMBOL, target, since, list(flat)],
        ).df()
        after = day_errors(con, SYMBOL, target, UNTIL, flat)
    for (model, iso), error in _errors(issued).items():
        realized.record(model, iso, error)

    ours = {(m, d): e for m, days in realized.errors.items() for d, e in days.items()}
    theirs = _errors(after)
    assert sorted(ours) == sorted(theirs)
    keys = sorted(theirs)
    np.testing.assert_allclose([ours[k] for k in keys], [theirs[k] for k in keys], rtol=1e-12)
    # every case was met: a live day stood, a stored replay day was replaced, a new day added
    live_days = {(d.replace(day=d.day + 1)).isoformat() for d in LIVE}
    second = _errors(issued)
    before = _errors(stored)
    assert any(d in live_days and second[(m, d)] != before[(m, d)] for m, d in second)
    assert any(
        d not in live_days and (m, d) in before and second[(m, d)] != before[(m, d)]
        for m, d in second
    )
    assert any((m, d) not in before for m, d in second)
