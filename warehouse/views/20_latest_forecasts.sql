-- latest_forecasts — grain: one row per symbol, target and model: its newest issued forecast
-- (replays excluded), with its interval, the naive forecast, and its score once the actual is in.
-- is_interval_champion: its model is the symbol's interval champion of that target day
-- (views/15_interval_champions.sql).
create or replace view latest_forecasts as
with

ranked as (
    select
        *,
        row_number() over (
            partition by symbol, target, model
            order by as_of_date desc, issued_at desc, forecast_id
        ) as recency
    from forecasts
    where not is_replay
),

latest as (
    select * from ranked where recency = 1
)

select
    latest.symbol,
    latest.model,
    latest.is_champion,
    champion.model is not null as is_interval_champion,
    latest.target,
    latest.as_of_date,
    latest.target_date,
    latest.issued_at,
    latest.predicted,
    latest.lower_80,
    latest.upper_80,
    latest.lower_95,
    latest.upper_95,
    latest.last_known as naive_predicted,
    scored.forecast_id is not null as is_scored,
    scored.actual,
    scored.abs_error,
    scored.accuracy,
    scored.naive_abs_error,
    latest.run_id,
    latest.forecast_id,
    latest.scale
from latest
left join forecast_scores as scored
    on scored.forecast_id = latest.forecast_id
left join interval_champions as champion
    on champion.symbol = latest.symbol and champion.target = latest.target
    and champion.target_date = latest.target_date and champion.model = latest.model
