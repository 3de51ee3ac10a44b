"""One symbol's day without Prefect, the one code path of live runs, watch lists and replays:
what a day is planned from (``inputs``), which days retrain (``schedule``), the day's plan
(``plan``), the day step itself with an injected fitter (``day``), the ensemble combined from
the day's fits (``combine``), the replay's loop (``replay``), its fitter with frozen models'
batched days (``frozen``) and the errors it knows of its own forecasts (``realized``).
"""
