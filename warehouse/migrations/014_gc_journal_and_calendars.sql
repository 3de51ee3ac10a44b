-- gc records a deletion before the file goes and marks it done after: a row whose
-- deleted_at is null is a deletion begun and not confirmed (a killed gc), finished by the next
alter table deleted_artifacts add column requested_at timestamptz;
update deleted_artifacts set requested_at = deleted_at;
alter table deleted_artifacts alter column deleted_at drop not null;
comment on column deleted_artifacts.requested_at is 'when gc recorded that it would delete the file';
comment on column deleted_artifacts.deleted_at is 'when the file was gone; null: gc was stopped between recording and deleting';
