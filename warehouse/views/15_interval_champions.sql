-- interval_champions — grain: one row per symbol, target and target day: the interval
-- champion, the model whose 95% interval score known on the issue day is the lowest. Its basis
-- is its mean interval_score_95 over its last 250 scored target days up to the issue day
-- ('trailing_250'), or, while it has fewer, the validation interval_score_95 of the run that
-- issued the forecast (metrics; 'validation'). A model with neither takes no part; ties go to
-- the model name first in order. Every model issued for that day is a candidate, naive
-- included: when the flat-window baseline wins, it is the champion.
-- Stored: interval_champions_of computes the rows of some symbols from their stored
-- forecast_scores, warehouse.scores keeps them in interval_champions (migration 009), read by
-- forecast_accuracy and latest_forecasts as is_interval_champion.
create or replace macro interval_champions_of(symbols) as table
with

-- the forecast that stands for a model's target day (live before replay, the latest issue)
candidates as (
    select symbol, target, model, run_id, as_of_date, target_date
    from forecasts
    where symbol in (select unnest(symbols))
    qualify row_number() over (
        partition by symbol, model, target, target_date
        order by is_replay, issued_at desc, forecast_id
    ) = 1
),

recent as (
    select
        symbol,
        target,
        model,
        target_date,
        avg(interval_score_95) over last_250 as interval_score_95,
        row_number() over (
            partition by symbol, target, model order by target_date
        ) as n_scored
    from forecast_scores
    where is_day_forecast and interval_score_95 is not null
        and symbol in (select unnest(symbols))
    window last_250 as (
        partition by symbol, target, model order by target_date
        rows between 249 preceding and current row
    )
),

validation as (
    select run_id, value as interval_score_95
    from metrics
    where split = 'validation' and metric = 'interval_score_95'
),

based as (
    select
        c.symbol,
        c.target,
        c.target_date,
        c.as_of_date,
        c.model,
        -- scores known on the issue day: target days up to the as-of day
        coalesce(t.n_scored, 0) as n_scored,
        case when t.n_scored >= 250 then t.interval_score_95 else v.interval_score_95 end
            as interval_score_95,
        case when t.n_scored >= 250 then 'trailing_250' else 'validation' end as basis
    from candidates as c
    asof left join recent as t
        on t.symbol = c.symbol and t.target = c.target and t.model = c.model
        and c.as_of_date >= t.target_date
    left join validation as v on v.run_id = c.run_id
)

select symbol, target, target_date, as_of_date, model, interval_score_95, basis, n_scored
from based
where interval_score_95 is not null
qualify row_number() over (
    partition by symbol, target, target_date order by interval_score_95, model
) = 1;
