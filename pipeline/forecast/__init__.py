"""Next-day forecasts: the point forecast of a fitted model, its conformal intervals and quantiles."""
