-- forecast_accuracy — grain: one row per scored forecast (its target day's final bar is stored).
-- Prices in the symbol's currency. accuracy = 1 - |actual - predicted| / actual (the tutorials').
-- The naive forecast ("next = last known") is scored beside every forecast. Interval scores
-- (Winkler: width + 2/alpha * the miss) and the mean pinball loss over the stored quantiles
-- (forecast_quantiles) are proper scores: lower is better. volatility_20 is the symbol's
-- trailing 20-bar close-to-close volatility on the issue day (for per-tercile coverage).
-- is_direction_hit is null where the forecast predicts no change (naive's point).
-- Stored: forecast_accuracy_of computes the rows of some symbols (everything here is per
-- symbol), warehouse.scores keeps them in forecast_scores (migration 008), read by the view.
create or replace macro forecast_accuracy_of(symbols) as table
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
    where symbol in (select unnest(symbols))
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
    where not is_partial and symbol in (select unnest(symbols))
),

returns as (
    select symbol, date, ln(close / lag(close) over (partition by symbol order by date)) as r
    from actuals
),

volatility as (
    select
        symbol,
        date,
        stddev_samp(r) over (
            partition by symbol order by date rows between 19 preceding and current row
        ) as volatility_20
    from returns
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

quantile_losses as (
    select
        q.forecast_id,
        count(*) as n_quantiles,
        avg(greatest(q.level * (j.actual - q.value), (q.level - 1) * (j.actual - q.value)))
            as pinball_loss
    from forecast_quantiles as q
    join joined as j on j.forecast_id = q.forecast_id
    where q.symbol in (select unnest(symbols))
    group by q.forecast_id
),

enriched as (
    select joined.*, ql.n_quantiles, ql.pinball_loss, v.volatility_20
    from joined
    left join quantile_losses as ql on ql.forecast_id = joined.forecast_id
    left join volatility as v on v.symbol = joined.symbol and v.date = joined.as_of_date
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
        -- null where the model predicts no change (naive's point): no direction was called
        case when predicted <> last_known then
            sign(predicted - last_known) = sign(actual - last_known)
        end as is_direction_hit,
        actual between lower_80 and upper_80 as is_inside_80,
        actual between lower_95 and upper_95 as is_inside_95,

        ---------- the naive forecast beside it
        last_known as naive_predicted,
        abs(actual - last_known) as naive_abs_error,
        1 - abs(actual - last_known) / actual as naive_accuracy,
        abs(actual - predicted) < abs(actual - last_known) as is_better_than_naive,

        ---------- the predictive distribution (proper scores, price units)
        scale,
        upper_80 - lower_80 as width_80,
        upper_95 - lower_95 as width_95,
        upper_80 - lower_80
        + 10 * (greatest(lower_80 - actual, 0) + greatest(actual - upper_80, 0))
            as interval_score_80,
        upper_95 - lower_95
        + 40 * (greatest(lower_95 - actual, 0) + greatest(actual - upper_95, 0))
            as interval_score_95,
        n_quantiles,
        pinball_loss,
        volatility_20,

        ---------- the day first targeted, when it turned out not to trade (warehouse.calendar)
        retargeted_from
    from enriched
)

select * from scored;

-- is_interval_champion: the forecast's model is its symbol's interval champion of that target
-- day (views/15_interval_champions.sql), read from the stored interval_champions
create or replace view forecast_accuracy as
select
    scores.*,
    champion.model is not null as is_interval_champion
from forecast_scores as scores
left join interval_champions as champion
    on champion.symbol = scores.symbol and champion.target = scores.target
    and champion.target_date = scores.target_date and champion.model = scores.model;
