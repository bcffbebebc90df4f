-- +goose Up
-- The watch audit log also records changes of a channel's settings (digest, passing,
-- sla) and mutes: kind 'setting', name the setting, old_value → new_value as the chat
-- command writes them. Watch rows keep kind 'watch' and leave the values empty.
ALTER TABLE watch_audit ADD COLUMN kind TEXT NOT NULL DEFAULT 'watch';
ALTER TABLE watch_audit ADD COLUMN old_value TEXT NOT NULL DEFAULT '';
ALTER TABLE watch_audit ADD COLUMN new_value TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE watch_audit DROP COLUMN new_value;
ALTER TABLE watch_audit DROP COLUMN old_value;
ALTER TABLE watch_audit DROP COLUMN kind;
