"""Fitting models: one model's fit and scores (``train``), the jobs a trainer runs and their
outcomes (``jobs``), the presets and the validation-only config search.
"""
