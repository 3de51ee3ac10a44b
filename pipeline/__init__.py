"""Plain-Python core of nextbar, one package per stage (data, splits, models, training,
forecast, evaluation, daily, reporting), the one ``settings`` object, the step options it and
every run share (``step_options``, ``step_config``) and the names the choices take
(``choices``).

Nothing in this package imports Prefect or writes SQL.
"""
