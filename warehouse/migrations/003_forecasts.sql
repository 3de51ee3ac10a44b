-- 003: issued next-trading-day forecasts. Scores are derived in views, never stored,
-- so a revised bar re-scores its forecasts and scores can never disagree with bars.

-- grain: one row per issued forecast; re-issuing identical values is a no-op
create table forecasts (
    forecast_id  varchar primary key,  -- hash of what was forecast, so identical issues collide
    symbol       varchar not null,
    model        varchar not null,
    run_id       varchar,
    target       varchar not null check (target in ('open', 'high', 'low', 'close')),
    as_of_date   date not null,
    target_date  date not null,
    issued_at    timestamptz not null,
    -- prices in the symbol's currency
    predicted    double not null,
    lower_80     double,
    upper_80     double,
    lower_95     double,
    upper_95     double,
    last_known   double not null,  -- the as-of value of the target: the naive forecast
    is_champion  boolean not null default false,
    is_replay    boolean not null default false,
    check (as_of_date < target_date)
);
