"""The calendars past exchange-calendars' horizon, set up from the settings at the first
calendar use (no Prefect here: ``nextbar config`` shows them without starting it)."""

from __future__ import annotations

from pipeline.data.holidays import read_holidays
from pipeline.data.past_horizon import defer, use_extra_sessions, use_holidays
from pipeline.data.sources.tushare_pro import TushareSource
from pipeline.settings import Settings, config_path


def configure_calendars(settings: Settings) -> None:
    """Past exchange-calendars' horizon: the user's holiday files, then (XSHG, with a token)
    tushare's trade_cal. XSHG holidays are published yearly, so the library runs out. The
    files are read at the first calendar use (pipeline.data.past_horizon.defer), not here."""
    paths = settings.calendar.holiday_paths(config_path().parent)
    token = settings.tushare_token

    def configure() -> None:
        use_holidays({name: read_holidays(path, name) for name, path in paths.items()})
        use_extra_sessions(TushareSource(token.get_secret_value()).trade_cal if token else None)

    defer(configure)
