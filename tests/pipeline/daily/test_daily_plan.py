"""The daily step's plan without Keras: the retrain-or-fine-tune policy as a pure function, the
step options built from settings plus overrides, and the day's jobs and splits."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from pipeline.daily.inputs import DayInputs
from pipeline.daily.plan import plan_day
from pipeline.daily.schedule import BaseRun, RetrainPolicy
from pipeline.data.symbols import SymbolInfo, get_symbol
from pipeline.errors import InputError
from pipeline.models.base import META_FILE
from pipeline.settings import Settings
from pipeline.step_config import StepConfig

MOUTAI, BTC = get_symbol("600519.SH"), get_symbol("BTC-USD")
EVERY_5 = RetrainPolicy(retrain_every=5, finetune_epochs=3)
CSV = Path(__file__).resolve().parents[3] / "pipeline" / "data" / "bundled" / "SH600519.csv"


def _base(last_full: date, artifact: str = "/nowhere") -> BaseRun:
    return BaseRun("run-1", artifact, last_full)


def wants_fine_tune(
    info: SymbolInfo, kind: str, base: BaseRun | None, day: date, policy: RetrainPolicy
) -> bool:
    return policy.fine_tunes(info, kind, base, day, {})


@pytest.mark.parametrize(
    ("as_of", "fine"),
    [
        (date(2024, 3, 7), True),  # 1 trading day after the full retrain
        (date(2024, 3, 12), True),  # 4 (Wed..Tue: the weekend is not counted)
        (date(2024, 3, 13), False),  # 5: due for a full retrain
    ],
)
def test_the_policy_counts_trading_days(as_of: date, fine: bool) -> None:
    assert wants_fine_tune(MOUTAI, "gru", _base(date(2024, 3, 6)), as_of, EVERY_5) is fine


def test_the_policy_skips_exchange_holidays() -> None:
    # Labour Day: XSHG is shut May 1-5, 2024, so May 8 is only 3 trading days after April 30
    assert wants_fine_tune(MOUTAI, "gru", _base(date(2024, 4, 30)), date(2024, 5, 8), EVERY_5)


def test_the_policy_counts_every_day_for_a_24_7_symbol() -> None:
    base = _base(date(2024, 5, 1))
    assert wants_fine_tune(BTC, "lstm", base, date(2024, 5, 5), EVERY_5)  # 4 days
    assert not wants_fine_tune(BTC, "lstm", base, date(2024, 5, 6), EVERY_5)  # 5 days


def test_the_policy_retrains_baselines_first_runs_and_later_bases() -> None:
    base = _base(date(2024, 5, 1))
    day = date(2024, 5, 2)
    assert not wants_fine_tune(MOUTAI, "linear", base, day, EVERY_5)  # not neural
    assert not wants_fine_tune(MOUTAI, "gru", None, day, EVERY_5)  # nothing to start from
    assert not wants_fine_tune(MOUTAI, "gru", base, date(2024, 5, 1), EVERY_5)  # same day
    assert not wants_fine_tune(MOUTAI, "gru", base, date(2024, 4, 30), EVERY_5)  # saw later bars
    always = RetrainPolicy(retrain_every=1, finetune_epochs=3)
    assert not wants_fine_tune(MOUTAI, "gru", base, day, always)


def test_step_options_come_from_settings_with_overrides_over_them() -> None:
    settings = Settings(model={"models": ["naive"], "epochs": 4}, retrain={"retrain_every": 2})
    step = StepConfig.from_settings(settings, epochs=None, finetune_epochs=9, target="open")
    assert step.models == ("naive",)
    assert step.full_epochs() == 4  # the settings': None is not an override
    assert step.policy == RetrainPolicy(retrain_every=2, finetune_epochs=9)
    assert step.target == "open"
    assert StepConfig.from_settings(Settings()).full_epochs() == 30  # the default preset's
    with pytest.raises(InputError, match="epoch"):
        StepConfig.from_settings(settings, epoch=3)


def _bars(n: int) -> pd.DataFrame:
    bars = pd.read_csv(CSV, index_col=0, nrows=n).drop(columns="code").reset_index(drop=True)
    bars["date"] = pd.to_datetime(bars["date"])
    return bars


def test_the_day_plan_fine_tunes_on_the_base_scalers_and_retrains_the_rest(
    tmp_path: Path,
) -> None:
    settings = Settings(
        model={"models": ["naive", "gru", "ensemble"]},
        split={"window": 5, "validation_size": 20, "history_bars": 150},
    )
    step = StepConfig.from_settings(settings)
    bars = step.recent(_bars(200))
    fresh = step.day_split("600519.SH", bars)
    base_dir = tmp_path / "gru-base"
    base_dir.mkdir()
    target = {  # the base was trained when prices were twice as high
        c: {k: v * 2 for k, v in bounds.items()}
        for c, bounds in fresh.target_scaler.to_dict().items()
    }
    meta = {
        "scaler": {"features": fresh.feature_scaler.to_dict(), "target": target},
        "split_config": step.split_config().to_dict(),
    }
    (base_dir / META_FILE).write_text(json.dumps(meta))
    yesterday = bars["date"].iloc[-2].date()  # the previous trading day
    errors = {"gru": {"2010-09-01": 0.01}, "ensemble": {"2010-09-01": 0.02}}
    bases = {"gru": _base(yesterday, str(base_dir))}
    plan = plan_day(DayInputs(MOUTAI, bars, fresh, bases, errors), step)
    assert len(bars) == 150 and plan.as_of == fresh.as_of_date
    jobs = {job.kind: job for job in plan.jobs}
    # the ensemble's members are fitted in its place (it is combined afterwards), and the
    # scale kind the point models are issued on
    assert set(jobs) == {"naive", "gru", "linear", "lstm", "drift", "naive_vol"}
    assert jobs["gru"].training == "fine_tune" and jobs["gru"].recent_errors == errors["gru"]
    assert jobs["lstm"].training == "full" and jobs["lstm"].recent_errors == {}
    assert "ensemble" not in jobs and step.wants_ensemble()
    tuned = plan.split_of(jobs["gru"]).split_id
    assert tuned != fresh.split_id and plan.split_of(jobs["naive"]) is fresh
    assert {s.split_id for s in plan.used_splits()} == {fresh.split_id, tuned}
