"""``nextbar config``: the effective settings and where each came from."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer

from flows.cli.app import app
from flows.output import console, print_frame


@app.command()
def config(
    warehouse: Annotated[
        Path | None, typer.Option("--warehouse", help="As a command's --warehouse would")
    ] = None,
) -> None:
    """Print the effective settings and where each came from.

    Precedence: flag > environment > nextbar.toml > defaults; the tushare token is shown only
    as set or not.
    """
    from pipeline.settings import config_path, describe, load_settings

    flags = {"warehouse": warehouse}
    rows = describe(load_settings(**flags), flags)
    path = config_path()
    console.print(f"settings file: {path}" + ("" if path.is_file() else " (none)"))
    print_frame(pd.DataFrame(rows, columns=["key", "value", "from"]), title="effective settings")
