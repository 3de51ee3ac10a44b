-- model_scoreboard — grain: one row per model run and evaluation range: its MAE beside the
-- naive MAE on the same targets, a Diebold-Mariano test against naive, and whether it is the
-- symbol's current champion; on a test range, also its interval and pinball scores beside the
-- probabilistic baseline's (naive with its validation errors); on the validation range the
-- same scores in-sample (the validation errors score their own intervals).
-- is_beating_naive is false on a tie (naive itself), is_beating_naive_interval when no score
-- is better.
create or replace view model_scoreboard as
with

pivoted as (
    select
        run_id,
        split,
        max(value) filter (where metric = 'mae') as mae,
        max(value) filter (where metric = 'rmse') as rmse,
        max(value) filter (where metric = 'mape') as mape,
        max(value) filter (where metric = 'direction_accuracy') as direction_accuracy,
        max(value) filter (where metric = 'mae_naive') as naive_mae,
        max(value) filter (where metric = 'skill') as skill_vs_naive,
        max(value) filter (where metric = 'dm_statistic') as dm_statistic,
        max(value) filter (where metric = 'dm_p_value_better') as dm_p_value_better,
        max(value) filter (where metric = 'interval_score_80') as interval_score_80,
        max(value) filter (where metric = 'naive_interval_score_80') as naive_interval_score_80,
        max(value) filter (where metric = 'interval_score_95') as interval_score_95,
        max(value) filter (where metric = 'naive_interval_score_95') as naive_interval_score_95,
        max(value) filter (where metric = 'pinball_loss') as pinball_loss,
        max(value) filter (where metric = 'naive_pinball_loss') as naive_pinball_loss
    from metrics
    group by run_id, split
),

current_champions as (
    select symbol, arg_max(run_id, chosen_at) as run_id
    from champions
    group by symbol
)

select
    runs.symbol,
    runs.model,
    pivoted.split,
    pivoted.mae,
    pivoted.naive_mae,
    pivoted.skill_vs_naive,
    pivoted.mae < pivoted.naive_mae * (1 - 1e-9) as is_beating_naive,  -- a tie is no win
    pivoted.rmse,
    pivoted.mape,
    pivoted.direction_accuracy,
    -- Diebold-Mariano vs naive: a small p says the lower MAE is unlikely to be luck
    pivoted.dm_statistic,
    pivoted.dm_p_value_better,
    current_champions.run_id is not null as is_champion,
    runs.purpose,
    runs.finished_at,
    runs.split_id,
    runs.run_id,
    -- the distribution on the test range (train runs), beside the probabilistic baseline's
    pivoted.interval_score_80,
    pivoted.naive_interval_score_80,
    pivoted.interval_score_95,
    pivoted.naive_interval_score_95,
    pivoted.pinball_loss,
    pivoted.naive_pinball_loss,
    pivoted.interval_score_80 <= pivoted.naive_interval_score_80
    and pivoted.interval_score_95 <= pivoted.naive_interval_score_95
    and pivoted.pinball_loss <= pivoted.naive_pinball_loss
    and (
        pivoted.interval_score_80 < pivoted.naive_interval_score_80
        or pivoted.interval_score_95 < pivoted.naive_interval_score_95
        or pivoted.pinball_loss < pivoted.naive_pinball_loss
    ) as is_beating_naive_interval
from model_runs as runs
join pivoted on pivoted.run_id = runs.run_id
left join current_champions on current_champions.run_id = runs.run_id
