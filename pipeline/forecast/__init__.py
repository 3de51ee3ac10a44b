"""Next-day forecasts: a fitted model's point, its conformal intervals and its quantiles."""
