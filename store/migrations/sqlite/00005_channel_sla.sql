-- +goose Up
-- A channel's own triage SLA, set by the chat command sla or seeded from the file's
-- channels[].sla, as ParseSLA writes it back ("2 business days", "4h", "off");
-- '' means none: the configured SLA applies.
ALTER TABLE channel_settings ADD COLUMN sla TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE channel_settings DROP COLUMN sla;
