"""Forecasting models behind one contract: naive, drift, linear, rnn, gru, lstm, the scaled
kinds (naive_ewma, naive_garch, naive_har, gru_dist, lstm_dist), ensemble.

``base`` is the contract, ``baselines``, ``recurrent``, ``volatility`` and ``distributional`` the
single models, ``kinds`` builds a single model by name, ``ensemble`` averages the best of them,
``registry`` builds any kind.
"""

from pipeline.models.backend import use_default_backend
from pipeline.models.base import ForecastModel
from pipeline.models.registry import MODEL_KINDS, load_model, make_model

__all__ = ["MODEL_KINDS", "ForecastModel", "load_model", "make_model"]

use_default_backend()  # before anything here imports Keras (``backend`` explains)
