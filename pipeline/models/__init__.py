"""Forecasting models behind one contract: naive, drift, linear, rnn, gru, lstm, the scaled
kinds (naive_ewma, naive_garch, naive_har, gru_dist, lstm_dist), ensemble.

``base`` is the contract, ``baselines``, ``recurrent``, ``volatility`` and ``distributional`` the
single models, ``kinds`` builds a single model by name, ``ensemble`` averages the best of them,
``registry`` builds any kind (pipeline.choices names them). Nothing is imported here but
``backend``, so choosing the backend loads no model code.
"""

from pipeline.models.backend import use_default_backend

use_default_backend()  # before anything here imports Keras (``backend`` explains)
