"""Command start-up against a bare DuckDB script (issue #20's ``nextbar sql`` goal).

    python -m benchmarks.startup [--before CHECKOUT] [--rounds 5]

Each command runs as the installed ``nextbar`` script with ``PYTHONPATH`` set to a checkout:
this one ("after") and, with ``--before``, another ("before"), on one warehouse made by
``nextbar init`` and a bundled ingest in a temporary folder. The rounds interleave every command
and checkout, so load drifts touch them alike; the table gives each one's median seconds and
the load average before and after. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
NEXTBAR = str(Path(sys.executable).with_name("nextbar"))
BARE = (
    "import duckdb, sys; "
    "print(duckdb.connect(sys.argv[1], read_only=True).sql('select 1').fetchall())"
)
COMMANDS: dict[str, list[str]] = {
    "`nextbar --help`": ["--help"],
    '`nextbar sql "select 1"` (table)': ["sql", "select 1"],
    '`nextbar sql "select 1" --format csv`': ["sql", "select 1", "--format", "csv"],
}


def _seconds(command: list[str], env: dict[str, str], cwd: Path) -> float:
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout to run beside this one")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    checkouts = {**({"before": args.before.resolve()} if args.before else {}), "after": HERE}
    with tempfile.TemporaryDirectory() as folder:
        warehouse = Path(folder) / "nextbar.duckdb"
        env = {**os.environ, "NEXTBAR_WAREHOUSE": str(warehouse), "NEXTBAR_NO_SECRET_BLOCK": "1"}
        env["PREFECT_HOME"] = str(Path(folder) / "prefect")
        made = {**env, "PYTHONPATH": str(HERE)}
        subprocess.run([NEXTBAR, "init"], env=made, cwd=HERE, check=True, capture_output=True)
        ingest = [NEXTBAR, "ingest", "-s", "BTC-USD", "--source", "bundled"]
        subprocess.run(ingest, env=made, cwd=HERE, check=True, capture_output=True)
        runs: dict[tuple[str, str], list[float]] = {}
        load = os.getloadavg()[0]
        for _ in range(args.rounds):
            bare = [sys.executable, "-c", BARE, str(warehouse)]
            runs.setdefault(("bare DuckDB", ""), []).append(_seconds(bare, env, HERE))
            for name, argv in COMMANDS.items():
                for version, path in checkouts.items():
                    seconds = _seconds([NEXTBAR, *argv], {**env, "PYTHONPATH": str(path)}, path)
                    runs.setdefault((name, version), []).append(seconds)
        loads = f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after"
    bare_s = statistics.median(runs[("bare DuckDB", "")])
    print(f"{args.rounds} interleaved rounds, medians; {loads}\n")
    print("| command | " + " | ".join(checkouts) + " | after / bare DuckDB |")
    print("|---|" + "---|" * (len(checkouts) + 1))
    print(f'| `python -c "{BARE}" W` | {bare_s:.2f} s | | 1.0x |')
    for name in COMMANDS:
        medians = {v: statistics.median(runs[(name, v)]) for v in checkouts}
        cells = " | ".join(f"{medians[v]:.2f} s" for v in checkouts)
        print(f"| {name} | {cells} | {medians['after'] / bare_s:.1f}x |")


if __name__ == "__main__":
    main()
