-- 010: what each live daily step ran on, so a same-day re-run on the same inputs reuses that
-- day's fits and forecasts instead of refitting (flows.day; `nextbar run --force` refits).

-- grain: one row per symbol, as-of day and recording of its forecasts (UTC timestamps)
create table day_runs (
    symbol       varchar not null,
    as_of_date   date not null,
    -- md5 of the day's inputs (pipeline.daily.reuse.day_fingerprint): the bars known that
    -- day as read into its split, the step options, the base runs and the recent errors
    fingerprint  varchar not null,
    champion     varchar,             -- the day's champion model (null: none succeeded)
    run_ids      varchar[] not null,  -- the runs whose forecasts the day issued
    forecasts    integer not null,    -- how many forecasts those runs issued
    recorded_at  timestamptz not null,
    primary key (symbol, as_of_date, recorded_at)
);
