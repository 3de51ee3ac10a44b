"""The daily step's decisions: retrain or fine-tune, which split each model gets, forecast rows,
and the ensemble combined from the day's fits.
"""
