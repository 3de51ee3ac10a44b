"""Getting bars in: sources (tushare pro, Yahoo, the bundled history), CSV formats, validation,
exchange calendars (with ``today_in``), symbols and the ingest plan. Plain Python, no SQL.
"""
