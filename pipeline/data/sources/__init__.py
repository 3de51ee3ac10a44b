"""Where bars come from: tushare pro, Yahoo (yfinance), the bundled history, user CSV files."""
