-- 002: windowed splits, model runs, their metrics and predictions, champions.

-- grain: one row per distinct split (same bars and config => same split_id)
create table splits (
    split_id          varchar primary key,
    symbol            varchar not null,
    as_of_date        date not null,
    window_length     integer not null,
    features          varchar[] not null,
    target            varchar not null,
    target_kind       varchar not null,
    -- target dates of each range; test_* are null when the split has no test range
    train_start       date not null,
    train_end         date not null,
    validation_start  date not null,
    validation_end    date not null,
    test_start        date,
    test_end          date,
    first_bar_date    date not null,
    scaler            json not null,
    data_fingerprint  varchar not null,
    config            json not null,
    created_at        timestamptz not null default now(),
    check (train_end < validation_start),
    check (test_start is null or validation_end < test_start),
    check (coalesce(test_end, validation_end) <= as_of_date)
);

-- grain: one row per trained model (baselines included)
create table model_runs (
    run_id           varchar primary key,
    symbol           varchar not null,
    model            varchar not null,
    split_id         varchar not null references splits (split_id),
    hyperparameters  json not null,
    backend          varchar,
    device           varchar,
    epochs_run       integer,
    train_seconds    double,
    started_at       timestamptz not null,
    finished_at      timestamptz,
    status           varchar not null check (status in ('succeeded', 'failed')),
    error            varchar,
    artifact_uri     varchar,
    code_version     varchar,
    purpose          varchar not null default 'train',  -- train, daily, replay
    training         varchar not null default 'full'
                     check (training in ('full', 'fine_tune')),
    base_run_id      varchar  -- the run a fine-tune started from
);

-- grain: one row per run per evaluation range per metric; values in price units
create table metrics (
    run_id  varchar not null references model_runs (run_id),
    split   varchar not null check (split in ('validation', 'test')),
    metric  varchar not null,
    value   double,
    primary key (run_id, split, metric)
);

-- grain: one row per run per evaluation range per target date
create table predictions (
    run_id      varchar not null references model_runs (run_id),
    symbol      varchar not null,
    date        date not null,
    split       varchar not null check (split in ('validation', 'test')),
    predicted   double not null,
    actual      double not null,
    last_known  double not null,
    primary key (run_id, split, date)
);

-- grain: one row per champion choice; the newest per symbol is the champion
create table champions (
    symbol          varchar not null,
    run_id          varchar not null references model_runs (run_id),
    model           varchar not null,
    split_id        varchar not null,
    validation_mae  double not null,
    chosen_at       timestamptz not null,
    primary key (symbol, chosen_at)
);
