-- 004: a key for bar_revisions, and the units of the columns whose unit is not obvious, as
-- column comments (select table_name, column_name, comment from duckdb_columns()
-- where comment is not null). Stored column names stay as they are.

-- grain: one row per bar per ingest run that replaced it
alter table bar_revisions add primary key (symbol, date, revised_by_run_id);

comment on column bar_revisions.old_volume is 'as bars.volume: in the replaced row''s volume_unit';
comment on column bar_revisions.old_amount is 'as bars.amount: tushare pro turnover, thousands of CNY';
comment on column model_runs.train_seconds is 'wall-clock seconds of the fit';
comment on column metrics.value is 'mae, rmse, mae_naive: prices in symbols.currency; mse: squared prices; mape: percent; r2, skill, accuracies, p-values: fractions; dm_statistic: no unit';
comment on column predictions.predicted is 'price of splits.target, in symbols.currency';
comment on column predictions.last_known is 'the target''s last known price (naive forecast), in symbols.currency';
comment on column forecasts.predicted is 'price of forecasts.target, in symbols.currency';
comment on column forecasts.last_known is 'the as-of price of the target: the naive forecast, in symbols.currency';
comment on column champions.validation_mae is 'in prices, symbols.currency';
