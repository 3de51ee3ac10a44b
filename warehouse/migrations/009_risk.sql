-- 009: the interval champion of each day and the VaR backtests, stored beside the scores of
-- 008 and recomputed with them (warehouse.scores): views/15_interval_champions.sql's
-- interval_champions_of and views/50_risk.sql's risk_backtest_of. Columns as those views
-- document them.

-- grain: one row per symbol, target and target day that some model has a score basis for:
-- the model whose trailing 95% interval score, known on the issue day, is the lowest
create table interval_champions (
    symbol               varchar not null,
    target               varchar not null,
    target_date          date not null,
    as_of_date           date not null,
    model                varchar not null,
    interval_score_95    double,   -- price units: the basis it won on
    basis                varchar,  -- 'trailing_250' or 'validation'
    n_scored             bigint    -- the model's scored days known on the issue day
);

-- grain: one row per symbol, model, window ('all', 'last_250') and VaR level (0.95, 0.99)
create table risk_backtest_scores (
    symbol                      varchar not null,
    model                       varchar not null,
    window_name                 varchar not null,
    var_level                   double not null,
    n                           bigint,
    first_target_date           date,
    last_target_date            date,
    exceptions                  bigint,
    expected_exceptions         double,
    exception_rate              double,
    kupiec_lr                   double,
    kupiec_p_value              double,
    independence_lr             double,
    independence_p_value        double,
    conditional_coverage_lr     double,
    conditional_coverage_p_value double,
    traffic_light               varchar
);
