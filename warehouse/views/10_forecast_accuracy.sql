-- forecast_accuracy — grain: one row per scored forecast (its target day's final bar is stored).
-- Prices in the symbol's currency. accuracy = 1 - |actual - predicted| / actual (the tutorials').
-- The naive forecast ("next = last known") is scored beside every forecast.
create or replace view forecast_accuracy as
with

issued as (
    select
        *,
        row_number() over (
            partition by symbol, model, target, as_of_date, target_date, is_replay
            order by issued_at desc, forecast_id
        ) = 1 as is_latest_issue,
        -- the one forecast that stands for its model's target day: live before replay, then
        -- the latest issue (scores and calibration count a day once)
        row_number() over (
            partition by symbol, model, target, target_date
            order by is_replay, issued_at desc, forecast_id
        ) = 1 as is_day_forecast
    from forecasts
),

-- factor: adj_factor, or the first known one for bars stored before it (see load_bars)
actuals as (
    select
        symbol, date, open, high, low, close,
        coalesce(adj_factor, first_value(adj_factor ignore nulls) over (
            partition by symbol order by date
            rows between unbounded preceding and unbounded following
        )) as factor
    from bars
    where not is_partial
),

joined as (
    select
        issued.*,
        -- on the basis the forecast was issued in (the as-of day's): an ex-dividend drop
        -- between the two days is added back, so it counts against no model and not naive
        case issued.target
            when 'open' then actuals.open
            when 'high' then actuals.high
            when 'low' then actuals.low
            else actuals.close
        end * coalesce(actuals.factor / as_of_bar.factor, 1.0) as actual
    from issued
    join actuals
        on actuals.symbol = issued.symbol and actuals.date = issued.target_date
    left join actuals as as_of_bar
        on as_of_bar.symbol = issued.symbol and as_of_bar.date = issued.as_of_date
),

scored as (
    select
        forecast_id,
        symbol,
        model,
        run_id,
        target,
        as_of_date,
        target_date,
        issued_at,
        is_champion,
        is_replay,
        is_latest_issue,
        is_day_forecast,

        ---------- forecast and outcome
        predicted,
        actual,
        last_known,
        lower_80,
        upper_80,
        lower_95,
        upper_95,

        ---------- errors (price units, percent)
        actual - predicted as error,
        abs(actual - predicted) as abs_error,
        100 * abs(actual - predicted) / actual as abs_pct_error,
        1 - abs(actual - predicted) / actual as accuracy,
        sign(predicted - last_known) = sign(actual - last_known) as is_direction_hit,
        actual between lower_80 and upper_80 as is_inside_80,
        actual between lower_95 and upper_95 as is_inside_95,

        ---------- the naive forecast beside it
        last_known as naive_predicted,
        abs(actual - last_known) as naive_abs_error,
        1 - abs(actual - last_known) / actual as naive_accuracy,
        abs(actual - predicted) < abs(actual - last_known) as is_better_than_naive
    from joined
)

select * from scored
