"""Plain-Python core of nextbar: sources, validation, calendars, splits, models, metrics.

Nothing in this package imports Prefect or writes SQL.
"""
