"""Scoring: point metrics, the Diebold-Mariano test against naive, proper scores of the
quantiles and intervals (``probabilistic``), and the champion rule (``champion``)."""
