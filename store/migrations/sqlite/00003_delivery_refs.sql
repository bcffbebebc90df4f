-- +goose Up
-- A reaction on a chat message names the message by the platform's reference: find its
-- alert without reading every delivery.
CREATE INDEX deliveries_ref ON deliveries (channel, platform_ref);

-- +goose Down
DROP INDEX deliveries_ref;
