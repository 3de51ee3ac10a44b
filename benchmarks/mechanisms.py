"""Issue #20 item 5: each speed mechanism timed on and off on the default backend.

    python -m benchmarks.run --suite mechanisms [--days N]   # about 15 min at load 10

Each mechanism runs its own loop in ``pairs`` pairs, on then off, then off then on, and so on,
so that a drift in the shared machine's load or an effect of the order falls on both sides;
each run records the load average before it.
A mechanism is turned off here by patching this process, never by a product setting:

- pooled traced twins: the fast frozen replay of the last ``days`` Moutai close days (naive,
  gru, lstm, a full retrain every 20 days), the pool against one that keeps nothing (a new
  traced network for every fit and forward pass);
- frozen batching: the same replay, one batched predict per block against one predict per day;
- the ``_WARM`` cache: a daily fine-tune sequence (gru and lstm, ``FINETUNES`` days each, every
  day fine-tuning the day before's model), kept in memory against reloaded from disk;
- ``steps_per_execution``: full fits of the default gru and lstm, 32 batches per traced call
  against 1 (each side's twins traced by a one-epoch warm-up first).

(Fit worker processes and retrains started a block ahead were measured here too, and removed.)
All replays share one JAX compilation cache, filled by an untimed warm-up replay.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any

import pandas as pd

SYMBOL, TARGET = "600519.SH", "close"
MODELS = ["naive", "gru", "lstm"]
RETRAIN_EVERY = 20
FINETUNES = 10  # fine-tune days per recurrent model in the _WARM loop
REPLAY = "fast frozen replay, {days} Moutai close days, naive/gru/lstm"


@contextmanager
def _patched(target: object, name: str, value: object) -> Iterator[None]:
    saved = getattr(target, name)
    setattr(target, name, value)
    try:
        yield
    finally:
        setattr(target, name, saved)


@contextmanager
def _empty_pool(**patches: object) -> Iterator[None]:
    """The traced twins' pool emptied and ``traced`` patched; afterwards the pool as it was,
    so the next run traces no more than the one before."""
    from pipeline.models import traced

    kept = dict(traced._POOL)
    traced._POOL.clear()
    saved = {name: getattr(traced, name) for name in patches}
    for name, value in patches.items():
        setattr(traced, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(traced, name, value)
        traced._POOL.clear()
        traced._POOL.update(kept)


def _no_pool() -> AbstractContextManager[None]:
    """Every fit and forward pass on a newly traced network (the pool keeps none)."""
    return _empty_pool(_POOL_SIZE=0)


def _per_day_predicts() -> AbstractContextManager[None]:
    """A frozen model predicts one day per call instead of its whole block."""
    from pipeline.daily.frozen import ReplayFitter

    def one_day(self: ReplayFitter, plan: Any, job: Any, base: Any) -> None:
        days = self.days
        self.days = []  # no later days: the block is the day itself
        try:
            batched(self, plan, job, base)
        finally:
            self.days = days

    batched = ReplayFitter._predict_ahead
    return _patched(ReplayFitter, "_predict_ahead", one_day)


def _never_warm() -> AbstractContextManager[None]:
    """A saved model is never kept in memory: each fine-tune reloads it from disk."""
    from pipeline.training import train

    train._WARM.clear()
    return _patched(train, "_WARM_SIZE", 0)


def _steps_per_call(steps: int) -> Callable[[], AbstractContextManager[None]]:
    """``steps`` batches per traced call (TensorFlow and JAX), on twins traced for it."""
    return lambda: _empty_pool(_STEPS_PER_CALL={"tensorflow": steps, "jax": steps})


def _replay(template: Path, days: int) -> Callable[[], float]:
    """A run of the fast frozen replay over the last ``days`` days in a copy of ``template``."""
    from flows.replay import replay
    from warehouse.bars import load_bars
    from warehouse.connection import connect

    with connect(template, read_only=True) as con:
        dates = list(load_bars(con, SYMBOL)["date"].dt.date)

    def run() -> float:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "bench.duckdb"
            shutil.copy(template, path)
            os.environ["NEXTBAR_MODELS_DIR"] = str(Path(tmp) / "models")
            os.environ["NEXTBAR_SPLITS_DIR"] = str(Path(tmp) / "splits")
            started = time.perf_counter()
            replay(
                symbol=SYMBOL,
                start=dates[-days - 1],
                end=dates[-2],
                retrain_every=RETRAIN_EVERY,
                models=MODELS,
                target=TARGET,
                policy="frozen",
                warehouse=str(path),
            )
            return time.perf_counter() - started

    return run


def _step() -> Any:
    from pipeline.settings import load_settings
    from pipeline.step_config import StepConfig

    return StepConfig.from_settings(load_settings(), models=["gru", "lstm"], target=TARGET)


def _finetunes(models_dir: Path) -> Callable[[], float]:
    """The daily fine-tune sequence: per model, a base fitted (untimed), then ``FINETUNES``
    days, each fine-tuning the day before's model on one more bar."""
    from benchmarks.run import _bars
    from pipeline.splits.build import build_split
    from pipeline.training.train import finetune_model, train_model

    step, bars = _step(), _bars(SYMBOL).tail(1000).reset_index(drop=True)
    config = step.split_config()
    counter = iter(range(1_000_000))

    def run() -> float:
        seconds = 0.0
        for kind in ("gru", "lstm"):
            base = train_model(
                build_split(bars.iloc[:-FINETUNES], config, symbol=SYMBOL),
                kind,
                run_id=f"base-{next(counter)}",
                models_dir=models_dir,
                epochs=2,
                hyperparameters=step.hyperparameters_for(kind),
            )
            scalers, artifact = base.model.scalers(), Path(base.artifact_uri)
            started = time.perf_counter()
            for day in range(FINETUNES):
                history = bars.iloc[: len(bars) - FINETUNES + day + 1]
                split = build_split(history, config, symbol=SYMBOL, scalers=scalers)
                tuned = finetune_model(
                    split,
                    artifact,
                    run_id=f"ft-{next(counter)}",
                    models_dir=models_dir,
                    epochs=step.policy.step_epochs,
                )
                artifact = Path(tuned.artifact_uri)
            seconds += time.perf_counter() - started
        return seconds

    return run


def _full_fits(models_dir: Path) -> Callable[[], float]:
    """Full fits of the default gru and lstm after a one-epoch warm-up of each (untimed)."""
    from benchmarks.run import _bars
    from pipeline.splits.build import build_split
    from pipeline.training.train import train_model

    step = _step()
    split = build_split(_bars(SYMBOL), step.split_config(), symbol=SYMBOL)

    counter = iter(range(1_000_000))

    def fit(kind: str, epochs: int) -> None:
        hp = step.hyperparameters_for(kind)
        run_id = f"fit-{next(counter)}"
        train_model(
            split, kind, run_id=run_id, models_dir=models_dir, epochs=epochs, hyperparameters=hp
        )

    def run() -> float:
        for kind in ("gru", "lstm"):
            fit(kind, 1)
        started = time.perf_counter()
        for kind in ("gru", "lstm"):
            fit(kind, step.full_epochs())
        return time.perf_counter() - started

    return run


Side = tuple[Callable[[], float], Callable[[], AbstractContextManager[None]]]


def _timed(side: Side) -> tuple[float, float]:
    run, context = side
    load = os.getloadavg()[0]
    with context():
        return run(), load


def mechanisms(models_dir: Path, days: int = 40, pairs: int = 3, **_unused: object) -> pd.DataFrame:
    """Each mechanism's loop on and off, interleaved ``pairs`` times: one row per pair and its
    median; ``off_over_on`` above 1 is what the mechanism saves."""
    from flows.ingest import ingest
    from pipeline.models.backend import use_compilation_cache

    with tempfile.TemporaryDirectory() as tmp:
        use_compilation_cache(Path(tmp) / "jax-cache")  # one for every run
        template = Path(tmp) / "template.duckdb"
        ingest(symbols=[SYMBOL], source="bundled", warehouse=str(template))
        one = _replay(template, days)
        warm, fits = _finetunes(models_dir), _full_fits(models_dir)
        on = nullcontext
        loop = REPLAY.format(days=days)
        cases: list[tuple[str, str, Side, Side]] = [
            ("pooled traced twins", loop, (one, on), (one, _no_pool)),
            ("frozen batching", loop, (one, on), (one, _per_day_predicts)),
            (
                "_WARM model cache",
                f"{FINETUNES} daily fine-tunes each of gru and lstm",
                (warm, on),
                (warm, _never_warm),
            ),
            (
                "steps_per_execution (32 vs 1)",
                "full fits of the default gru and lstm",
                (fits, _steps_per_call(32)),
                (fits, _steps_per_call(1)),
            ),
        ]
        one()  # untimed: the compilation cache, the pool and Prefect's server warm up
        measured: dict[str, list[tuple[float, float, float, float]]] = {c[0]: [] for c in cases}
        for pair in range(pairs):
            for name, _, on_side, off_side in cases:
                if pair % 2:  # every other pair off first: an order effect falls on both sides
                    off_s, off_load = _timed(off_side)
                    on_s, on_load = _timed(on_side)
                else:
                    on_s, on_load = _timed(on_side)
                    off_s, off_load = _timed(off_side)
                measured[name].append((on_s, off_s, on_load, off_load))
                shown = (
                    f"on {on_s:.1f} s (load {on_load:.1f}), off {off_s:.1f} s (load {off_load:.1f})"
                )
                print(f"{name}: {shown}", flush=True)
    rows = []
    for name, loop_name, _, _ in cases:
        runs = measured[name]
        for i, (on_s, off_s, on_load, off_load) in enumerate(runs, start=1):
            rows.append(
                _row(name, loop_name, str(i), on_s, off_s, f"{on_load:.1f} / {off_load:.1f}")
            )
        ratios = [off_s / on_s for on_s, off_s, _, _ in runs]
        rows.append(
            {
                **_row(
                    name,
                    loop_name,
                    "median",
                    statistics.median(r[0] for r in runs),
                    statistics.median(r[1] for r in runs),
                    "",
                ),
                "off_over_on": statistics.median(ratios),
            }
        )
    return pd.DataFrame(rows)


def _row(name: str, loop: str, pair: str, on_s: float, off_s: float, load: str) -> dict[str, Any]:
    return {
        "mechanism": name,
        "loop": loop,
        "pair": pair,
        "on_s": on_s,
        "off_s": off_s,
        "off_over_on": off_s / on_s,
        "load_on_off": load,
    }
