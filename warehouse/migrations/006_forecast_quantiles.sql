-- 006: every forecast's predictive distribution. Quantiles of the target day's price, one row
-- per forecast and level, and the scale a volatility-aware model predicted (null: a point model).

-- the standard deviation of the forecast's relative error ((actual - predicted) / last_known)
-- that its intervals were calibrated with; null for a point model (flat calibration window)
alter table forecasts add column scale double;

-- grain: one row per issued forecast and quantile level (0.025 … 0.975); prices in the symbol's
-- currency; for a given forecast, value never decreases as level grows
create table forecast_quantiles (
    forecast_id  varchar not null,
    level        double not null check (level > 0 and level < 1),
    value        double not null,
    primary key (forecast_id, level)
);
