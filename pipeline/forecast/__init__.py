"""Next-day forecasts: the point forecast of a fitted model and its conformal intervals."""
