"""``nextbar config``: the effective settings and where each came from."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from flows.cli.app import app
from flows.output import console, print_frame

if TYPE_CHECKING:
    import pandas as pd

    from pipeline.settings import Settings


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
    import pandas as pd

    from pipeline.settings import config_path, load_settings
    from pipeline.settings_origins import describe

    flags = {"warehouse": warehouse}
    settings = load_settings(**flags)
    rows = describe(settings, flags)
    path = config_path()
    console.print(f"settings file: {path}" + ("" if path.is_file() else " (none)"))
    print_frame(pd.DataFrame(rows, columns=["key", "value", "from"]), title="effective settings")
    print_frame(
        calendar_horizons(settings), title="calendars: the last day exchange-calendars knows"
    )


def calendar_horizons(settings: Settings) -> pd.DataFrame:
    """Each watched calendar's horizon and what covers the days past it."""
    import pandas as pd

    from flows.calendars import configure_calendars
    from pipeline.data.horizons import horizon_rows

    configure_calendars(settings)
    return pd.DataFrame(
        horizon_rows(list(settings.watch_list())), columns=["calendar", "horizon", "past it"]
    )
