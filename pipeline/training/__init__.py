"""Fitting models: one model's fit and scores (``train``), the jobs a trainer runs and their
outcomes (``jobs``), one job's fit (``fit_one``), a global model across symbols
(``global_fit``), the presets, the validation-only config search, and the backend's quiet
start in worker processes (``backend_loading``).
"""
