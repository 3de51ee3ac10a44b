"""Scoring: point metrics and the Diebold-Mariano test against naive."""
