-- leaderboard — grain: one row per symbol, target, model and window ('all' scored forecasts,
-- or the 'last_30' scored target days of that symbol and target). Live and replayed forecasts
-- both count, a target day once (live first); a re-issued forecast counts once (its latest).
-- skill_vs_naive = 1 - mae / naive_mae: below 0 means the model lost to "next = last known"
-- over that window; is_beating_naive is true above 0 only (a tie is no win).
-- direction_accuracy: the share of days the model called the direction right, among the days
-- it predicted a change (null for naive-point kinds, which never do). dm_statistic and
-- dm_p_value_better test the skill against luck (Diebold-Mariano, absolute errors, vs naive).
-- The distribution: interval_score_80/95 (Winkler), pinball_loss (mean over the stored
-- quantiles), mean widths, and coverage per tercile of the issue day's trailing volatility
-- (coverage_80_low_vol … coverage_95_high_vol; terciles over each model's scored days), each
-- beside the probabilistic baseline's, naive with its flat-window intervals, on the same days
-- (naive_interval_score_80 …); is_beating_naive_interval is false when the model scores worse
-- than it on either interval score or on the pinball loss, or better on none.
-- Stored: leaderboard_of computes the rows of some symbols from their stored forecast_accuracy
-- rows, warehouse.scores keeps them in leaderboard_scores (migration 008), read by the view.
create or replace macro leaderboard_of(symbols) as table
with

scored as (
    select
        a.*,
        dense_rank() over (partition by a.symbol, a.target order by a.target_date desc)
            as days_back,
        ntile(3) over (
            partition by a.symbol, a.target, a.model order by a.volatility_20, a.target_date
        ) as volatility_tercile,
        naive.interval_score_80 as baseline_interval_score_80,
        naive.interval_score_95 as baseline_interval_score_95,
        naive.pinball_loss as baseline_pinball_loss
    from forecast_scores as a
    left join (
        select * from forecast_scores
        where model = 'naive' and is_day_forecast and symbol in (select unnest(symbols))
    ) as naive
        on naive.symbol = a.symbol and naive.target = a.target
        and naive.target_date = a.target_date
    -- a target day counts once, so n is the number of distinct target days and the
    -- Diebold-Mariano test does not count a day twice
    where a.is_day_forecast and a.symbol in (select unnest(symbols))
),

windowed as (
    select 'all' as window_name, * from scored
    union all
    select 'last_30' as window_name, * from scored where days_back <= 30
),

aggregated as (
    select
        symbol,
        target,
        model,
        window_name,
        count(*) as n,
        min(target_date) as first_target_date,
        max(target_date) as last_target_date,
        avg(abs_error) as mae,
        avg(abs_pct_error) as mape,
        avg(accuracy) as mean_accuracy,
        avg(is_direction_hit::int) as direction_accuracy,
        avg(is_inside_80::int) as coverage_80,
        avg(is_inside_95::int) as coverage_95,
        avg(naive_abs_error) as naive_mae,
        avg(naive_accuracy) as naive_mean_accuracy,
        -- Diebold-Mariano on absolute errors: loss difference d = |error| - |naive error|
        avg(abs_error - naive_abs_error) as mean_loss_difference,
        var_pop(abs_error - naive_abs_error) as loss_difference_variance,
        avg(interval_score_80) as interval_score_80,
        avg(interval_score_95) as interval_score_95,
        avg(pinball_loss) as pinball_loss,
        avg(width_80) as mean_width_80,
        avg(width_95) as mean_width_95,
        avg(is_inside_80::int) filter (where volatility_tercile = 1) as coverage_80_low_vol,
        avg(is_inside_80::int) filter (where volatility_tercile = 2) as coverage_80_mid_vol,
        avg(is_inside_80::int) filter (where volatility_tercile = 3) as coverage_80_high_vol,
        avg(is_inside_95::int) filter (where volatility_tercile = 1) as coverage_95_low_vol,
        avg(is_inside_95::int) filter (where volatility_tercile = 2) as coverage_95_mid_vol,
        avg(is_inside_95::int) filter (where volatility_tercile = 3) as coverage_95_high_vol,
        avg(baseline_interval_score_80) as naive_interval_score_80,
        avg(baseline_interval_score_95) as naive_interval_score_95,
        avg(baseline_pinball_loss) as naive_pinball_loss
    from windowed
    group by symbol, target, model, window_name
),

tested as (
    select
        *,
        -- one-step DM statistic with the Harvey-Leybourne-Newbold factor sqrt((n - 1) / n);
        -- null when the losses never differ (naive itself) or n < 2
        case when n >= 2 and loss_difference_variance > 0 then
            mean_loss_difference / sqrt(loss_difference_variance / n) * sqrt((n - 1) / n)
        end as dm_statistic
    from aggregated
)

select
    symbol,
    target,
    model,
    window_name,
    n,
    first_target_date,
    last_target_date,
    mae,
    mape,
    mean_accuracy,
    direction_accuracy,
    coverage_80,
    coverage_95,
    naive_mae,
    naive_mean_accuracy,
    case when naive_mae > 0 then 1 - mae / naive_mae end as skill_vs_naive,
    -- a tie is no win: naive itself and every naive-point kind are false (within rounding:
    -- two means of one sum may differ in the last digit)
    mae < naive_mae * (1 - 1e-9) as is_beating_naive,
    dm_statistic,
    -- one-sided p of "the model's expected |error| is below naive's" (standard normal, as
    -- pipeline.evaluation.significance computes it): small means the win is unlikely luck
    standard_normal_cdf(dm_statistic) as dm_p_value_better,
    interval_score_80,
    interval_score_95,
    pinball_loss,
    mean_width_80,
    mean_width_95,
    coverage_80_low_vol,
    coverage_80_mid_vol,
    coverage_80_high_vol,
    coverage_95_low_vol,
    coverage_95_mid_vol,
    coverage_95_high_vol,
    naive_interval_score_80,
    naive_interval_score_95,
    naive_pinball_loss,
    case when naive_interval_score_95 > 0 then
        1 - interval_score_95 / naive_interval_score_95
    end as interval_skill_95,
    -- no score worse and one better, within rounding (naive against itself sums the same
    -- scores in another order): a tie is no win, so naive itself is false
    interval_score_80 <= naive_interval_score_80 * (1 + 1e-9)
    and interval_score_95 <= naive_interval_score_95 * (1 + 1e-9)
    and coalesce(pinball_loss <= naive_pinball_loss * (1 + 1e-9), true)
    and (
        interval_score_80 < naive_interval_score_80 * (1 - 1e-9)
        or interval_score_95 < naive_interval_score_95 * (1 - 1e-9)
        or coalesce(pinball_loss < naive_pinball_loss * (1 - 1e-9), false)
    ) as is_beating_naive_interval
from tested;

create or replace view leaderboard as select * from leaderboard_scores;
