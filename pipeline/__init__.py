"""Plain-Python core of nextbar, one package per stage (data, splits, models, training,
forecast, evaluation, daily, reporting) and the one ``settings`` object.

Nothing in this package imports Prefect or writes SQL.
"""
