-- risk — grain: one row per symbol and model: tomorrow's one-day Value-at-Risk and Expected
-- Shortfall of a long position of one unit bought at the last known close, read from its
-- newest live close forecast's quantiles (latest_forecasts), in price (the symbol's currency,
-- a loss is positive) and in percent of that close.
--   var_95 = last close - q(0.05), var_99 = last close - q(0.01).
--   es_95, es_99 = last close - the mean of the quantile function below 0.05 (0.01): the
--   quantiles at 0.01, 0.025, 0.05 are joined linearly in the standard-normal quantile z
--   (q = a + b z between two levels), integrated exactly, and below 0.01 the line through
--   q(0.01) and q(0.025) goes on as a normal tail. Exact for a normal forecast; a tail fatter
--   than normal below 1% is understated.
-- A forecast without one of those levels has null there (older forecasts have no 0.01).
create or replace macro quantile_segment_integral(qa, qb, ua, ub, za, zb, pa, pb) as
    -- the integral over levels ua..ub of q = qa + (qb - qa) (z - za) / (zb - za), with
    -- z = the normal quantile of the level and pa, pb the normal density at za, zb
    qa * (ub - ua) + (qb - qa) / (zb - za) * ((pa - pb) - za * (ub - ua));

create or replace macro quantile_tail_mean(qa, qb, ua, za, zb, pa) as
    -- the mean of q below level ua, the line through (za, qa), (zb, qb) as a normal tail
    qa + (qb - qa) / (zb - za) * (-pa / ua - za);

create or replace view risk as
with

-- the normal quantile z and density at 0.01, 0.025, 0.05 (scipy.stats.norm)
normal as (
    select
        -2.3263478740408408 as z_01, 0.02665214220345808 as p_01,
        -1.9599639845400545 as z_025, 0.058445069805035325 as p_025,
        -1.6448536269514729 as z_05, 0.10313564037537128 as p_05
),

latest as (
    select * from latest_forecasts where target = 'close'
),

tails as (
    select
        q.forecast_id,
        max(q.value) filter (where round(q.level, 6) = 0.01) as q_01,
        max(q.value) filter (where round(q.level, 6) = 0.025) as q_025,
        max(q.value) filter (where round(q.level, 6) = 0.05) as q_05
    from forecast_quantiles as q
    where q.forecast_id in (select forecast_id from latest)
    group by q.forecast_id
),

means as (
    select
        latest.*,
        tails.q_01,
        tails.q_05,
        quantile_tail_mean(q_01, q_025, 0.01, z_01, z_025, p_01) as mean_below_01,
        (
            0.01 * quantile_tail_mean(q_01, q_025, 0.01, z_01, z_025, p_01)
            + quantile_segment_integral(q_01, q_025, 0.01, 0.025, z_01, z_025, p_01, p_025)
            + quantile_segment_integral(q_025, q_05, 0.025, 0.05, z_025, z_05, p_025, p_05)
        ) / 0.05 as mean_below_05
    from latest
    left join tails using (forecast_id)
    cross join normal
)

select
    means.symbol,
    means.model,
    means.is_champion,
    means.is_interval_champion,
    means.as_of_date,
    means.target_date,
    symbols.currency,
    means.naive_predicted as last_close,
    naive_predicted - q_05 as var_95,
    100 * (naive_predicted - q_05) / naive_predicted as var_95_pct,
    naive_predicted - mean_below_05 as es_95,
    100 * (naive_predicted - mean_below_05) / naive_predicted as es_95_pct,
    naive_predicted - q_01 as var_99,
    100 * (naive_predicted - q_01) / naive_predicted as var_99_pct,
    naive_predicted - mean_below_01 as es_99,
    100 * (naive_predicted - mean_below_01) / naive_predicted as es_99_pct,
    means.forecast_id
from means
left join symbols using (symbol);

-- risk_backtest — grain: one row per symbol, model, window ('all' scored close forecasts, or
-- the model's 'last_250' scored target days) and VaR level (0.95, 0.99). A day forecast
-- (forecast_accuracy's is_day_forecast) is an exception when the close fell below its VaR
-- quantile (q(0.05), q(0.01)); days whose forecast lacks that level are not counted.
--   exceptions against expected_exceptions = n (1 - var_level);
--   kupiec_lr / kupiec_p_value: Kupiec's proportion of failures (chi-square, 1 df);
--   independence_lr / independence_p_value: Christoffersen's Markov test that an exception
--   is no likelier after an exception (1 df; over consecutive scored days of the window);
--   conditional_coverage_lr = kupiec_lr + independence_lr, its p-value chi-square with 2 df;
--   traffic_light: the Basel zone of the 99% VaR over the last 250 days: green 0-4
--   exceptions, yellow 5-9, red 10 or more (last_250 at 0.99 with 250 days; null otherwise).
-- A small p-value rejects a VaR that is right on average (Kupiec), whose exceptions do not
-- cluster (independence), or both (conditional coverage).
-- Stored: risk_backtest_of computes the rows of some symbols from their stored forecast
-- scores, warehouse.scores keeps them in risk_backtest_scores (migration 009).
create or replace macro risk_backtest_of(symbols) as table
with

observed as (
    select
        s.symbol,
        s.model,
        s.target_date,
        levels.var_level,
        1 - levels.var_level as p,
        s.actual < q.value as is_exception
    from forecast_scores as s
    join forecast_quantiles as q on q.forecast_id = s.forecast_id
    join (values (0.95::double), (0.99::double)) as levels (var_level)
        on round(q.level, 6) = round(1 - levels.var_level, 6)
    where s.is_day_forecast and s.target = 'close'
        and s.symbol in (select unnest(symbols)) and q.symbol in (select unnest(symbols))
),

windowed as (
    select 'all' as window_name, * from observed
    union all
    select 'last_250' as window_name, * from observed
    qualify row_number() over (
        partition by symbol, model, var_level order by target_date desc
    ) <= 250
),

transitions as (
    select
        *,
        lag(is_exception) over (
            partition by window_name, symbol, model, var_level order by target_date
        ) as was_exception
    from windowed
),

counted as (
    select
        symbol,
        model,
        window_name,
        var_level,
        any_value(p) as p,
        count(*) as n,
        min(target_date) as first_target_date,
        max(target_date) as last_target_date,
        count(*) filter (where is_exception) as x,
        count(*) filter (where not was_exception and not is_exception) as n00,
        count(*) filter (where not was_exception and is_exception) as n01,
        count(*) filter (where was_exception and not is_exception) as n10,
        count(*) filter (where was_exception and is_exception) as n11
    from transitions
    group by symbol, model, window_name, var_level
),

rates as (
    select
        *,
        x / n as rate,
        n01 / nullif(n00 + n01, 0) as pi_01,
        n11 / nullif(n10 + n11, 0) as pi_11,
        (n01 + n11) / nullif(n00 + n01 + n10 + n11, 0) as pi_any
    from counted
),

tested as (
    select
        *,
        -- 2 (log-likelihood at the observed rates - at the null's), never below 0
        greatest(
            2 * (
                xlogy(n - x, 1 - rate) + xlogy(x, rate)
                - xlogy(n - x, 1 - p) - xlogy(x, p)
            ),
            0
        ) as kupiec_lr,
        case when n00 + n01 + n10 + n11 > 0 then greatest(
            2 * (
                xlogy(n00, 1 - pi_01) + xlogy(n01, pi_01)
                + xlogy(n10, 1 - pi_11) + xlogy(n11, pi_11)
                - xlogy(n00 + n10, 1 - pi_any) - xlogy(n01 + n11, pi_any)
            ),
            0
        ) end as independence_lr
    from rates
)

select
    symbol,
    model,
    window_name,
    var_level,
    n,
    first_target_date,
    last_target_date,
    x as exceptions,
    n * p as expected_exceptions,
    rate as exception_rate,
    kupiec_lr,
    chi2_1_sf(kupiec_lr) as kupiec_p_value,
    independence_lr,
    chi2_1_sf(independence_lr) as independence_p_value,
    kupiec_lr + independence_lr as conditional_coverage_lr,
    chi2_2_sf(kupiec_lr + independence_lr) as conditional_coverage_p_value,
    case when window_name = 'last_250' and var_level = 0.99 and n = 250 then
        case when x <= 4 then 'green' when x <= 9 then 'yellow' else 'red' end
    end as traffic_light
from tested;

create or replace view risk_backtest as select * from risk_backtest_scores;
