"""Prefect flows: thin tables of contents over ``pipeline`` and ``warehouse``."""
