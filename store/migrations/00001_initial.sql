-- +goose Up
-- Times are Unix milliseconds (BIGINT) so the same schema serves SQLite and PostgreSQL.

CREATE TABLE watches (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel    TEXT    NOT NULL,
    name       TEXT    NOT NULL,
    name_key   TEXT    NOT NULL, -- lower-cased name: one watch per name and channel
    aliases    TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    exclude    TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    created_by TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    UNIQUE (channel, name_key)
);

CREATE TABLE watch_audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    channel  TEXT   NOT NULL,
    name     TEXT   NOT NULL,
    action   TEXT   NOT NULL, -- add, update, remove
    actor    TEXT   NOT NULL,
    detail   TEXT   NOT NULL DEFAULT '',
    at       BIGINT NOT NULL
);
CREATE INDEX watch_audit_channel ON watch_audit (channel, at);

-- counters: watch_version changes with every change of any watch, so that every
-- process can tell when its matcher is stale.
CREATE TABLE counters (
    name  TEXT   PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('watch_version', 1);

CREATE TABLE sources (
    name            TEXT    PRIMARY KEY,
    type            TEXT    NOT NULL,
    url             TEXT    NOT NULL DEFAULT '',
    schedule        TEXT    NOT NULL,
    origin          TEXT    NOT NULL,
    next_poll       BIGINT  NOT NULL DEFAULT 0,
    baselined       INTEGER NOT NULL DEFAULT 0,
    last_poll_at    BIGINT  NOT NULL DEFAULT 0,
    last_success_at BIGINT  NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    last_error_at   BIGINT  NOT NULL DEFAULT 0,
    failures        INTEGER NOT NULL DEFAULT 0,
    items_seen      BIGINT  NOT NULL DEFAULT 0,
    created_at      BIGINT  NOT NULL
);

CREATE TABLE seen_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source        TEXT   NOT NULL,
    identity      TEXT   NOT NULL,
    title         TEXT   NOT NULL DEFAULT '',
    url           TEXT   NOT NULL DEFAULT '',
    published     BIGINT NOT NULL DEFAULT 0,
    first_seen_at BIGINT NOT NULL,
    UNIQUE (source, identity)
);

CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel    TEXT   NOT NULL,
    event_key  TEXT   NOT NULL,
    kind       TEXT   NOT NULL,
    entities   TEXT   NOT NULL, -- JSON array of watch display names
    item       TEXT   NOT NULL, -- JSON of the item
    summary    TEXT   NOT NULL DEFAULT '',
    matches    TEXT   NOT NULL, -- JSON array of matches
    created_at BIGINT NOT NULL,
    UNIQUE (channel, event_key)
);

CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id     BIGINT NOT NULL REFERENCES alerts (id),
    channel      TEXT   NOT NULL,
    platform_ref TEXT   NOT NULL DEFAULT '', -- the platform's message id, for edits and threads
    delivered_at BIGINT NOT NULL,
    UNIQUE (alert_id, channel)
);

-- +goose Down
DROP TABLE deliveries;
DROP TABLE alerts;
DROP TABLE seen_items;
DROP TABLE sources;
DROP TABLE counters;
DROP TABLE watch_audit;
DROP TABLE watches;
