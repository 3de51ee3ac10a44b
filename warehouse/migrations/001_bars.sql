-- 001: instruments, daily bars, their revisions, ingest runs and rejected rows.
-- Dates are trading days in the symbol's own time zone (symbols.timezone).
-- Timestamps (…_at) are UTC.

-- grain: one row per instrument
create table symbols (
    symbol        varchar primary key,
    name          varchar not null,
    calendar      varchar not null check (calendar in ('XSHG', '24/7')),
    currency      varchar not null,
    timezone      varchar not null,
    tushare_code  varchar,
    yahoo_ticker  varchar
);

-- grain: one row per symbol per trading day; the latest values known
create table bars (
    symbol            varchar not null references symbols (symbol),
    date              date not null,
    -- prices, in symbols.currency; see price_adjustment
    open              double not null check (open > 0),
    high              double not null check (high > 0),
    low               double not null check (low > 0),
    close             double not null check (close > 0),
    -- size; see volume_unit
    volume            double check (volume >= 0),
    amount            double,
    adj_factor        double,
    -- provenance
    is_partial        boolean not null,
    volume_unit       varchar not null,
    price_adjustment  varchar not null,
    source            varchar not null,
    ingest_run_id     varchar not null,
    ingested_at       timestamptz not null,
    primary key (symbol, date),
    check (low <= least(open, close) and greatest(open, close) <= high)
);
comment on column bars.volume is 'as the source gives it: lots_100 = lots of 100 shares (tushare), shares (Yahoo equities), usd (Yahoo crypto 24h volume)';
comment on column bars.amount is 'turnover; tushare pro: thousands of CNY; null when the source has none';
comment on column bars.adj_factor is 'tushare pro adj_factor (forward-adjusted price = price * adj_factor / latest adj_factor)';
comment on column bars.price_adjustment is 'none (raw), qfq (forward-adjusted as of the export), split (Yahoo: split-adjusted)';
comment on column bars.is_partial is 'true while the day was still trading when fetched; replaced once final';

-- grain: one row per replaced version of a bar; the values it held before the replacement
create table bar_revisions (
    symbol                 varchar not null,
    date                   date not null,
    revised_at             timestamptz not null,
    reason                 varchar not null,
    revised_by_run_id      varchar not null,
    old_open               double,
    old_high               double,
    old_low                double,
    old_close              double,
    old_volume             double,
    old_amount             double,
    old_adj_factor         double,
    old_is_partial         boolean,
    old_price_adjustment   varchar,
    old_source             varchar,
    old_ingest_run_id      varchar,
    old_ingested_at        timestamptz,
    new_source             varchar not null
);

-- grain: one row per symbol per ingest attempt
create table ingest_runs (
    run_id           varchar primary key,
    symbol           varchar not null,
    source           varchar not null,
    requested_start  date,
    requested_end    date,
    rows_fetched     integer not null default 0,
    rows_new         integer not null default 0,
    rows_changed     integer not null default 0,
    rows_unchanged   integer not null default 0,
    rows_rejected    integer not null default 0,
    started_at       timestamptz not null,
    finished_at      timestamptz,
    status           varchar not null check (status in ('succeeded', 'failed')),
    error            varchar
);

-- grain: one row per input row that failed validation in an ingest
create table rejected_bars (
    ingest_run_id  varchar not null,
    symbol         varchar not null,
    date           date,
    raw_date       varchar,
    open           double,
    high           double,
    low            double,
    close          double,
    volume         double,
    reason         varchar not null,
    rejected_at    timestamptz not null
);
