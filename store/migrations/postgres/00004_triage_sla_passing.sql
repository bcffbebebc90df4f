-- +goose Up
-- Triage SLA: when an alert's clock for a decision last (re)started, and when it was
-- reminded of its SLA in its thread (0: not in this open period).
ALTER TABLE alerts ADD COLUMN open_since BIGINT NOT NULL DEFAULT 0; -- 0: since its first message
ALTER TABLE alerts ADD COLUMN reminded_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX alerts_open ON alerts (state, reminded_at);

-- Where a channel's passing mentions go: 'alert' (like any alert) or 'digest' (only there).
ALTER TABLE channel_settings ADD COLUMN passing TEXT NOT NULL DEFAULT 'alert';

-- +goose Down
ALTER TABLE channel_settings DROP COLUMN passing;
DROP INDEX alerts_open;
ALTER TABLE alerts DROP COLUMN reminded_at;
ALTER TABLE alerts DROP COLUMN open_since;
