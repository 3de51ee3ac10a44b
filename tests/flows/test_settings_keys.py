"""Every key of deploy/nextbar.example.toml changes a real run: one nextbar.toml that sets each
key away from its default, one ingest, a three-day replay and a train on BTC-USD."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.ingest import ingest
from flows.replay import replay
from flows.train import train
from pipeline.daily.schedule import RetrainPolicy
from pipeline.data.symbols import DEFAULT_SYMBOLS
from pipeline.forecast.calibration import ACI_REPLAY, Calibration
from pipeline.forecast.point import forecast_next
from pipeline.models.registry import make_model
from pipeline.settings import load_settings
from pipeline.splits.build import build_split
from pipeline.splits.config import SplitConfig
from pipeline.step_config import StepConfig
from pipeline.step_options import StepOptions
from pipeline.training.presets import get_preset
from warehouse.bars import load_bars

pytestmark = pytest.mark.slow  # trains real Keras models

EXAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "nextbar.example.toml"
BTC = "BTC-USD"
CONFIG = """
[sources]
default = "bundled"

[model]
preset = "seed"
models = ["naive", "gru"]
epochs = 1
seed = 7
backend = "jax"

[split]
target = "open"
window = 5
validation_size = 40
test_size = 30
history_bars = 300

[retrain]
retrain_every = 3
finetune_epochs = 1
policy = "frozen"

[replay]
retrain_every = 2
policy = "finetune"

[intervals]
pool = 250
aci_step = 0.01
scale = "naive_har"
flat = ["gru"]

[[symbols]]
symbol = "BTC-USD"
name = "Bitcoin"
calendar = "24/7"
currency = "USD"
timezone = "UTC"
session_close = 00:00:00
yahoo_ticker = "BTC-USD"
default_source = "yfinance"
"""


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The warehouse after an ingest, a replay of BTC-USD's last three final days and a train,
    all given nothing but the warehouse: everything else comes from the file."""
    root = tmp_path_factory.mktemp("keys")
    (root / "nextbar.toml").write_text(CONFIG)
    warehouse = str(root / "nextbar.duckdb")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEXTBAR_CONFIG", str(root / "nextbar.toml"))
        ingest(warehouse=warehouse)
        with duckdb.connect(warehouse, read_only=True) as con:
            days = [r[0] for r in con.sql(_FINAL_DAYS).fetchall()][-3:]
        replay(symbol=BTC, start=days[0], end=days[-1], warehouse=warehouse)
        train(symbol=BTC, models=["naive"], warehouse=warehouse)
        yield Path(warehouse)


_FINAL_DAYS = "select date from bars where not is_partial order by date"


def _sql(path: Path, query: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.sql(query).fetchall()


def _replay_runs(path: Path) -> list[tuple[object, ...]]:
    """(as_of_date, model, training, epochs_run, hyperparameters) of the replay's runs."""
    return _sql(
        path,
        "select s.as_of_date, r.model, r.training, r.epochs_run, r.hyperparameters "
        "from model_runs r join splits s using (split_id) where r.purpose = 'replay' "
        "order by s.as_of_date, r.model",
    )


def test_the_example_documents_exactly_the_keys_tested() -> None:
    example = tomllib.loads(EXAMPLE.read_text())
    tested = tomllib.loads(CONFIG)
    for section in ("sources", "model", "split", "retrain", "replay", "intervals"):
        documented = set(example[section]) | _commented_keys(section)
        assert documented == set(tested[section]), section
    assert set(example["symbols"][1]) == set(tested["symbols"][0])


def _commented_keys(section: str) -> set[str]:
    """Keys shown commented out (unset by default) in a section of the example."""
    text = EXAMPLE.read_text().split(f"[{section}]", 1)[1].split("\n[", 1)[0]
    lines = [line[2:] for line in text.splitlines() if line.startswith("# ")]
    return {line.split(" = ")[0] for line in lines if " = " in line}


def test_sources_default(run: Path) -> None:
    assert _sql(run, "select distinct source from ingest_runs") == [("bundled",)]  # not yfinance


def test_symbols(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _sql(run, "select distinct symbol from bars") == [(BTC,)]  # Moutai not configured
    assert len(DEFAULT_SYMBOLS) == 2
    monkeypatch.setenv("NEXTBAR_CONFIG", str(run.parent / "nextbar.toml"))
    assert [i.symbol for i in load_settings().symbol_infos()] == [BTC]


def test_model_models(run: Path) -> None:
    assert {r[1] for r in _replay_runs(run)} == {"naive", "gru"}


def test_model_preset(run: Path) -> None:
    gru = [json.loads(str(r[4])) for r in _replay_runs(run) if r[1] == "gru"]
    assert all(h["preset"] == "seed" and h["units"] == [80, 100] for h in gru)


def test_model_epochs(run: Path) -> None:
    full = [r for r in _replay_runs(run) if r[1] == "gru" and r[2] == "full"]
    assert full and all(r[3] == 1 for r in full)  # the seed preset's 50, stopped at 1


def test_model_backend(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import keras

    from pipeline.models import backend
    from pipeline.settings import Settings

    gru = _sql(run, "select distinct backend from model_runs where model = 'gru'")
    assert gru == [(keras.backend.backend(),)]  # KERAS_BACKEND, when the session set it, wins
    monkeypatch.setattr(backend, "GIVEN", None)
    monkeypatch.setenv("NEXTBAR_CONFIG", str(run.parent / "nextbar.toml"))
    assert Settings().model.backend == "jax"


def test_model_seed(run: Path, tmp_path: Path) -> None:
    """The first day's gru, refitted on its own split: seed 7 gives its forecast, 42 does not."""
    split_id, predicted = _sql(
        run,
        "select r.split_id, f.predicted from model_runs r join forecasts f using (run_id) "
        "where r.model = 'gru' and r.training = 'full' order by f.as_of_date limit 1",
    )[0]
    # the replay keeps split rows, not arrays: rebuild the split from the bars it read
    [(as_of, config)] = _sql(
        run, f"select as_of_date, config from splits where split_id = '{split_id}'"
    )
    with duckdb.connect(str(run), read_only=True) as con:
        bars = load_bars(con, BTC, until=as_of).tail(300)  # [split] history_bars
    split = build_split(bars, SplitConfig.from_dict(json.loads(config)), symbol=BTC)
    assert split.split_id == split_id
    hyperparameters = get_preset("seed").hyperparameters_for("gru")

    def refit(seed: int) -> float:
        model = make_model("gru", **hyperparameters).fit(split, epochs=1, seed=seed)
        return forecast_next(model, split)

    assert refit(7) == pytest.approx(predicted)
    assert refit(42) != pytest.approx(predicted)


def test_split_target(run: Path) -> None:
    assert _sql(run, "select distinct target from forecasts") == [("open",)]
    assert _sql(run, "select distinct target from splits") == [("open",)]


def test_split_window(run: Path) -> None:
    assert _sql(run, "select distinct window_length from splits") == [(5,)]  # the preset's 60


def test_split_validation_size(run: Path) -> None:
    counts = _sql(
        run,
        "select count(*) from predictions where split = 'validation' group by run_id",
    )
    assert counts and {c for (c,) in counts} == {40}


def test_split_test_size(run: Path) -> None:
    counts = _sql(
        run,
        "select count(*) from predictions p join model_runs r using (run_id) "
        "where r.purpose = 'train' and p.split = 'test'",
    )
    assert counts == [(30,)]


def test_split_history_bars(run: Path) -> None:
    firsts = _sql(
        run,
        "select s.as_of_date, s.first_bar_date from splits s join model_runs r using (split_id) "
        "where r.purpose = 'replay'",
    )
    days = [d for (d,) in _sql(run, _FINAL_DAYS)]
    for as_of, first in firsts:
        assert isinstance(as_of, date)
        assert first == days[days.index(as_of) - 299]  # the newest 300 bars, not all


def test_replay_retrain_every(run: Path) -> None:
    gru = [r[2] for r in _replay_runs(run) if r[1] == "gru"]
    assert gru == ["full", "fine_tune", "full"]  # with the default 20: full, fine_tune, fine_tune


def test_replay_policy(run: Path) -> None:
    tuned = [r for r in _replay_runs(run) if r[2] == "fine_tune"]
    assert tuned and all(r[3] > 0 for r in tuned)  # the default, frozen, trains 0 epochs


def test_retrain_retrain_every(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the daily step's schedule (the replay above follows [replay])
    monkeypatch.setenv("NEXTBAR_CONFIG", str(run.parent / "nextbar.toml"))
    settings = load_settings()
    assert StepConfig.from_options(settings, StepOptions()).policy.retrain_every == 3  # 5
    assert StepConfig.for_replay(settings, StepOptions()).policy == RetrainPolicy(2, 1, "finetune")


def test_retrain_policy(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # the daily step's policy (the replay's is [replay]'s, above); default finetune
    monkeypatch.setenv("NEXTBAR_CONFIG", str(run.parent / "nextbar.toml"))
    settings = load_settings()
    assert StepConfig.from_options(settings, StepOptions()).policy.mode == "frozen"
    given = StepOptions(policy="finetune")
    assert StepConfig.from_options(settings, given).policy.mode == "finetune"


def test_retrain_finetune_epochs(run: Path) -> None:
    tuned = [r for r in _replay_runs(run) if r[2] == "fine_tune"]
    assert tuned and all(r[3] == 1 for r in tuned)  # the default: 3


def test_intervals_flat(run: Path) -> None:
    # gru on the flat window: no scale kind is fitted for it, its forecasts carry no scale
    assert _sql(run, "select distinct model from forecasts order by 1") == [("gru",), ("naive",)]
    assert _sql(run, "select count(*) from forecasts where scale is not null") == [(0,)]


def test_intervals_pool_aci_step_scale(run: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXTBAR_CONFIG", str(run.parent / "nextbar.toml"))
    calibration = StepConfig.for_replay(load_settings(), StepOptions()).calibration
    assert calibration == Calibration(pool=250, aci_step=0.01, scale="naive_har", flat=("gru",))
    assert calibration.history == 250 + ACI_REPLAY  # the default: 1000, no ACI
