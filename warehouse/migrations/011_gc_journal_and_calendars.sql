-- gc records a deletion before the file goes and marks it done after: a row whose
-- deleted_at is null is a deletion begun and not confirmed (a killed gc), finished by the next
alter table deleted_artifacts add column requested_at timestamptz;
update deleted_artifacts set requested_at = deleted_at;
alter table deleted_artifacts alter column deleted_at drop not null;
comment on column deleted_artifacts.requested_at is 'when gc recorded that it would delete the file';
comment on column deleted_artifacts.deleted_at is 'when the file was gone; null: gc was stopped between recording and deleting';

-- grain: one row per calendar and weekday past exchange-calendars' horizon on which no symbol
-- of that calendar has a bar while later bars exist: a closure seen in the bars themselves
create table calendar_closures (
    calendar     varchar not null,  -- XSHG, XNYS, ...: symbols.calendar
    date         date not null,
    recorded_at  timestamptz not null,
    primary key (calendar, date)
);

-- a forecast whose target day turned out not to trade is moved to the next trading day after
-- its as-of day; retargeted_from keeps the day it was first issued for
alter table forecasts add column retargeted_from date;
comment on column forecasts.retargeted_from is 'the target day first issued, when that day turned out not to trade (target_date is then the next trading day); null otherwise';
alter table forecast_scores add column retargeted_from date;
