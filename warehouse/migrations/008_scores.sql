-- 008: the scores behind forecast_accuracy and leaderboard, stored so those views answer fast
-- with hundreds of symbols. Still derived, never edited: warehouse.scores recomputes a symbol's
-- rows (views/10_forecast_accuracy.sql's forecast_accuracy_of, views/30_leaderboard.sql's
-- leaderboard_of) in the same transaction as every write of its forecasts or bars, and all of
-- them when those definitions change (derived_tables). Columns as the views document them.

-- a quantile's symbol (its forecast's), so a symbol's quantiles are found without a full scan
alter table forecast_quantiles add column symbol varchar;
update forecast_quantiles as q set symbol = f.symbol
from forecasts as f
where f.forecast_id = q.forecast_id;
comment on column forecast_quantiles.symbol is 'the forecast''s symbol (forecasts.symbol)';

-- grain: one row per scored forecast (forecast_accuracy)
create table forecast_scores (
    forecast_id           varchar not null,
    symbol                varchar not null,
    model                 varchar not null,
    run_id                varchar,
    target                varchar not null,
    as_of_date            date not null,
    target_date           date not null,
    issued_at             timestamptz not null,
    is_champion           boolean,
    is_replay             boolean,
    is_latest_issue       boolean,
    is_day_forecast       boolean,
    predicted             double,
    actual                double,
    last_known            double,
    lower_80              double,
    upper_80              double,
    lower_95              double,
    upper_95              double,
    error                 double,
    abs_error             double,
    abs_pct_error         double,
    accuracy              double,
    is_direction_hit      boolean,
    is_inside_80          boolean,
    is_inside_95          boolean,
    naive_predicted       double,
    naive_abs_error       double,
    naive_accuracy        double,
    is_better_than_naive  boolean,
    scale                 double,
    width_80              double,
    width_95              double,
    interval_score_80     double,
    interval_score_95     double,
    n_quantiles           bigint,
    pinball_loss          double,
    volatility_20         double
);

-- grain: one row per symbol, target, model and window (leaderboard)
create table leaderboard_scores (
    symbol                     varchar not null,
    target                     varchar not null,
    model                      varchar not null,
    window_name                varchar not null,
    n                          bigint,
    first_target_date          date,
    last_target_date           date,
    mae                        double,
    mape                       double,
    mean_accuracy              double,
    direction_accuracy         double,
    coverage_80                double,
    coverage_95                double,
    naive_mae                  double,
    naive_mean_accuracy        double,
    skill_vs_naive             double,
    is_beating_naive           boolean,
    dm_statistic               double,
    dm_p_value_better          double,
    interval_score_80          double,
    interval_score_95          double,
    pinball_loss               double,
    mean_width_80              double,
    mean_width_95              double,
    coverage_80_low_vol        double,
    coverage_80_mid_vol        double,
    coverage_80_high_vol       double,
    coverage_95_low_vol        double,
    coverage_95_mid_vol        double,
    coverage_95_high_vol       double,
    naive_interval_score_80    double,
    naive_interval_score_95    double,
    naive_pinball_loss         double,
    interval_skill_95          double,
    is_beating_naive_interval  boolean
);

-- grain: one row per stored derived table: the hash of the view files it was computed with
-- (a different hash on a writer's open recomputes the table in full)
create table derived_tables (
    name             varchar primary key,
    definition_md5   varchar not null,
    refreshed_at     timestamptz not null
);
