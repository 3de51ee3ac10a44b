"""Next-day forecasts: a fitted model's point and next-day outcome (``point``, ``next_day``),
its conformal intervals and quantiles (``intervals``, ``calibration``), and a day's point models
issued on a volatility kind's scale (``scaled``)."""
