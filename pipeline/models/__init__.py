"""Forecasting models behind one contract: naive, drift, linear, rnn, gru, lstm, ensemble."""

from pipeline.models.base import ForecastModel
from pipeline.models.registry import MODEL_KINDS, load_model, make_model

__all__ = ["MODEL_KINDS", "ForecastModel", "load_model", "make_model"]
