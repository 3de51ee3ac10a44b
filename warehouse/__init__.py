"""DuckDB warehouse: migrations, set-based upserts and the views users query.

The only package that writes SQL.
"""
