-- 005: price bases and users' files: duplicate rows counted per ingest; the basis columns
-- described as they are now used (see README "Price bases").

alter table ingest_runs add column rows_duplicate integer default 0;
comment on column ingest_runs.rows_duplicate is 'exact duplicate input rows, stored once';

comment on column bars.adj_factor is 'tushare pro adj_factor; the modelling series (warehouse.bars.load_bars) is price * adj_factor / the newest factor';
comment on column bars.price_adjustment is 'none (raw), qfq (forward-adjusted as of the export), hfq (backward-adjusted), split (Yahoo: split-adjusted)';
