"""``make bench``: tutorial reproduction, timing ratios, retrain policies, walk-forward replays.

Each suite prints a markdown table and writes it to ``benchmarks/results/<suite>.md``; the
figures in BENCHMARKS.md are copied from there. Ratios are measured side by side in one run:
the machines are noisy, so no absolute time is asserted anywhere.

    python -m benchmarks.run [--suite reproduction|timing|policy|walkforward|probabilistic|
        probabilistic_direct|fhs_validation|fhs_walkforward|fhs_risk|profile|replay_speed|
        overhead|warm_run|epoch_time|backend|views|mechanisms|all] [--days N]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("NEXTBAR_NO_SECRET_BLOCK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "180")

import pandas as pd

from benchmarks import replay_speed
from benchmarks.backend import backend
from benchmarks.epoch_time import epoch_time
from benchmarks.fhs_risk import fhs_risk
from benchmarks.fhs_walkforward import fhs_validation, fhs_walkforward
from benchmarks.mechanisms import mechanisms
from benchmarks.probabilistic import probabilistic, probabilistic_direct
from benchmarks.views import views
from benchmarks.warm_run import warm_run
from pipeline.data.sources.bundled import BundledSource
from pipeline.data.symbols import get_symbol
from pipeline.splits.build import build_split
from pipeline.training.presets import get_preset
from pipeline.training.train import finetune_model, train_model

RESULTS = Path(__file__).parent / "results"


def _bars(symbol: str) -> pd.DataFrame:
    info = get_symbol(symbol)
    bars = BundledSource().fetch(info, date(2000, 1, 1), date(2100, 1, 1))
    return bars[~bars["is_partial"]].reset_index(drop=True)


def _table(frame: pd.DataFrame) -> str:
    cells = frame.map(lambda v: f"{v:.4g}" if isinstance(v, float) else str(v))
    rows = ["| " + " | ".join(cells.columns) + " |", "|" + "---|" * len(cells.columns)]
    rows += ["| " + " | ".join(r) + " |" for r in cells.itertuples(index=False)]
    return "\n".join(rows)


def reproduction(models_dir: Path, **_: object) -> pd.DataFrame:
    """The tutorials' split (Moutai, open, window 60, last 240 targets) under both presets."""
    rows = []
    for preset_name, kinds in (
        ("seed", ("naive", "linear", "rnn", "gru", "lstm")),
        ("default", ("naive", "linear", "gru", "lstm")),
    ):
        preset = get_preset(preset_name)
        config = preset.split_config("open", test_size=240, validation_size=120)
        split = build_split(_bars("600519.SH"), config, symbol="600519.SH")
        for kind in kinds:
            started = time.perf_counter()
            result = train_model(
                split,
                kind,
                run_id=f"repro-{preset_name}",
                models_dir=models_dir,
                epochs=preset.epochs,
                hyperparameters=preset.hyperparameters_for(kind),
            )
            metrics = result.metrics.set_index(["split", "metric"])["value"]
            rows.append(
                {
                    "preset": preset_name,
                    "model": kind,
                    "epochs_run": result.epochs_run,
                    "val_mae": metrics["validation", "mae"],
                    "test_mae": metrics["test", "mae"],
                    "naive_test_mae": metrics["test", "mae_naive"],
                    "test_mae_over_naive": metrics["test", "mae"] / metrics["test", "mae_naive"],
                    "direction_accuracy": metrics["test", "direction_accuracy"],
                    "seconds": time.perf_counter() - started,
                }
            )
    return pd.DataFrame(rows)


def timing(models_dir: Path, **_: object) -> pd.DataFrame:
    """Cold full training vs a warm-start fine-tune, per model and preset (3 epochs each)."""
    rows = []
    bars = _bars("600519.SH").tail(1000).reset_index(drop=True)
    # The process's first Keras model pays the backend's start-up: keep it out of the figures.
    warm_up = build_split(
        bars,
        get_preset("default").split_config("close", test_size=0, validation_size=120),
        symbol="600519.SH",
    )
    train_model(
        warm_up,
        "gru",
        run_id="warm-up",
        models_dir=models_dir,
        epochs=1,
        hyperparameters={"units": (4,)},
    )
    for preset_name in ("seed", "default"):
        preset = get_preset(preset_name)
        config = preset.split_config("close", test_size=0, validation_size=120)
        for kind in ("gru", "lstm"):
            hp = preset.hyperparameters_for(kind)
            day0 = build_split(bars.iloc[:-2], config, symbol="600519.SH")
            started = time.perf_counter()
            base = train_model(
                day0,
                kind,
                run_id=f"t0-{preset_name}",
                models_dir=models_dir,
                epochs=3,
                hyperparameters=hp,
            )
            full = time.perf_counter() - started
            day1 = build_split(
                bars.iloc[:-1], config, symbol="600519.SH", scalers=base.model.scalers()
            )
            started = time.perf_counter()
            finetune_model(
                day1,
                Path(base.artifact_uri),
                run_id=f"t1-{preset_name}",
                models_dir=models_dir,
                epochs=3,
            )
            tuned = time.perf_counter() - started
            rows.append(
                {
                    "preset": preset_name,
                    "model": kind,
                    "full_3_epochs_s": full,
                    "fine_tune_3_epochs_s": tuned,
                    "full_over_fine_tune": full / tuned,
                }
            )
    frame = pd.DataFrame(rows)
    seed_gru = frame[(frame["preset"] == "seed") & (frame["model"] == "gru")][
        "full_3_epochs_s"
    ].item()
    frame["full_vs_seed_gru"] = frame["full_3_epochs_s"] / seed_gru
    return frame


def _replay(
    symbol: str, days: int, target: str, retrain_every: int, models: list[str]
) -> tuple[pd.DataFrame, float]:
    from flows.ingest import ingest
    from flows.replay import replay
    from warehouse.connection import connect
    from warehouse.forecasts import leaderboard

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.duckdb"
        os.environ["NEXTBAR_MODELS_DIR"] = str(Path(tmp) / "models")
        os.environ["NEXTBAR_SPLITS_DIR"] = str(Path(tmp) / "splits")
        ingest(symbols=[symbol], source="bundled", warehouse=str(path))
        dates = list(_bars(symbol)["date"].dt.date)
        started = time.perf_counter()
        replay(
            symbol=symbol,
            start=dates[-days - 1],
            end=dates[-2],
            retrain_every=retrain_every,
            models=models,
            target=target,
            warehouse=str(path),
        )
        seconds = time.perf_counter() - started
        with connect(path, read_only=True) as con:
            board = leaderboard(con, [symbol])
    return board, seconds


def policy(days: int = 20, **_: object) -> pd.DataFrame:
    """Full retrain every day vs full retrain once then daily fine-tunes, same replayed days."""
    rows = []
    for retrain_every in (1, days + 1):
        board, seconds = _replay(
            "600519.SH", days, "close", retrain_every, ["naive", "gru", "lstm"]
        )
        for row in board.to_dict("records"):
            rows.append(
                {
                    "policy": "full retrain daily" if retrain_every == 1 else "fine-tune daily",
                    "model": row["model"],
                    "n": row["n"],
                    "mae": row["mae"],
                    "mae_over_naive": row["mae"] / row["naive_mae"],
                    "replay_seconds": seconds,
                }
            )
    return pd.DataFrame(rows)


WALKFORWARD_SERIES = ("600519.SH:open", "600519.SH:close", "BTC-USD:close")


def walkforward(
    days: int = 240, series: tuple[str, ...] = WALKFORWARD_SERIES, **_: object
) -> pd.DataFrame:
    """Walk-forward replays over the last ``days`` trading days of Moutai (open and close
    targets) and BTC-USD (close; 365 days when ``days`` is 240 or more, the issue's lengths).

    The ensemble is combined each day from that day's fitted models (top 3 by validation MAE),
    so it costs no extra fit. ``series`` picks some of ``SYMBOL:TARGET``.
    """
    rows = []
    models = ["naive", "drift", "linear", "gru", "lstm", "ensemble"]
    for item in series:
        symbol, target = item.split(":")
        n = 365 if symbol == "BTC-USD" and days >= 240 else days
        board, seconds = _replay(symbol, n, target, 20, models)
        for row in board[board["window_name"] == "all"].to_dict("records"):
            rows.append(
                {
                    "symbol": symbol,
                    "target": target,
                    "model": row["model"],
                    "n": row["n"],
                    "mae": row["mae"],
                    "naive_mae": row["naive_mae"],
                    "mae_over_naive": row["mae"] / row["naive_mae"],
                    "dm_p_better": row["dm_p_value_better"],
                    "direction_accuracy": row["direction_accuracy"],
                    "coverage_80": row["coverage_80"],
                    "coverage_95": row["coverage_95"],
                    "replay_seconds": seconds,
                }
            )
    return pd.DataFrame(rows)


SUITES: dict[str, Callable[..., pd.DataFrame]] = {
    "reproduction": reproduction,
    "timing": timing,
    "policy": policy,
    "walkforward": walkforward,
    "probabilistic": probabilistic,
    "probabilistic_direct": probabilistic_direct,
    "fhs_validation": fhs_validation,
    "fhs_walkforward": fhs_walkforward,
    "fhs_risk": fhs_risk,
    "profile": replay_speed.profile,
    "replay_speed": replay_speed.replay_speed,
    "overhead": replay_speed.overhead,
    "warm_run": warm_run,
    "epoch_time": epoch_time,
    "backend": backend,
    "views": views,
    "mechanisms": mechanisms,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--suite", choices=[*SUITES, "all"], default="all")
    parser.add_argument(
        "--days", type=int, default=None, help="replayed days (policy, walkforward, probabilistic*)"
    )
    parser.add_argument(
        "--series",
        nargs="+",
        choices=WALKFORWARD_SERIES,
        default=None,
        help="walkforward: only these SYMBOL:TARGET series (results get their own file)",
    )
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    names = list(SUITES) if args.suite == "all" else [args.suite]
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            started = time.perf_counter()
            extra: dict[str, object] = {"days": args.days} if args.days else {}
            stem = name
            if args.series and name == "walkforward":
                extra["series"] = tuple(args.series)
                stem = "-".join([name, *(s.replace(":", "-") for s in args.series)])
            frame = SUITES[name](models_dir=Path(tmp), **extra)
            took = time.perf_counter() - started
            text = f"## {stem}\n\n{_table(frame)}\n\n(suite took {took:.0f} s)\n"
            (RESULTS / f"{stem}.md").write_text(text)
            print(text, flush=True)


if __name__ == "__main__":
    main()
