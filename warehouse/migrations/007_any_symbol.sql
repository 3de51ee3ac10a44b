-- 007: any symbol (symbols.calendar is any exchange-calendars code; how each symbol was
-- described is stored) and the artifact files retention has deleted.
-- DuckDB cannot drop a check constraint, and bars references symbols: both are rebuilt.

create temporary table bars_before_007 as select * from bars;
create temporary table symbols_before_007 as select * from symbols;
drop table bars;
drop table symbols;

-- grain: one row per instrument
create table symbols (
    symbol          varchar primary key,
    name            varchar not null,
    calendar        varchar not null,  -- XSHG, 24/7 or an exchange-calendars code (XNYS, ...)
    currency        varchar not null,
    timezone        varchar not null,
    tushare_code    varchar,
    yahoo_ticker    varchar,
    session_close   time,
    default_source  varchar,
    is_inferred     boolean not null default false
);
comment on column symbols.is_inferred is 'true: described from its code alone (nextbar.toml may override any field)';
insert into symbols (symbol, name, calendar, currency, timezone, tushare_code, yahoo_ticker)
select symbol, name, calendar, currency, timezone, tushare_code, yahoo_ticker
from symbols_before_007;

-- grain: one row per symbol per trading day; the latest values known (as in 001)
create table bars (
    symbol            varchar not null references symbols (symbol),
    date              date not null,
    open              double not null check (open > 0),
    high              double not null check (high > 0),
    low               double not null check (low > 0),
    close             double not null check (close > 0),
    volume            double check (volume >= 0),
    amount            double,
    adj_factor        double,
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
comment on column bars.adj_factor is 'tushare pro adj_factor, or one built from Yahoo dividends; the modelling series (warehouse.bars.load_bars) is price * adj_factor / the newest factor';
comment on column bars.price_adjustment is 'none (raw), qfq (forward-adjusted as of the export), hfq (backward-adjusted), split (Yahoo: split-adjusted)';
comment on column bars.is_partial is 'true while the day was still trading when fetched; replaced once final';
insert into bars select * from bars_before_007;
drop table bars_before_007;
drop table symbols_before_007;

-- grain: one row per artifact file (a model or a split's arrays) that `nextbar gc` deleted;
-- the runs and splits themselves stay, so a forecast's lineage is never lost
create table deleted_artifacts (
    path        varchar primary key,
    kind        varchar not null check (kind in ('model', 'split')),
    owner_id    varchar not null,  -- model_runs.run_id or splits.split_id
    bytes       bigint not null,
    deleted_at  timestamptz not null
);
