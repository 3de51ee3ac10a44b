"""Where bars come from: tushare pro, Yahoo (yfinance), the bundled history, user CSV files."""

# The --source names (the submodules are imported only when a source is used).
SOURCE_NAMES = ("tushare", "yfinance", "bundled")
