"""The daily step without Prefect: its options built once from settings plus overrides
(``step``), the day's plan (retrain or fine-tune, which split each model gets, forecast rows:
``plan``) and the ensemble combined from the day's fits (``combine``).
"""
