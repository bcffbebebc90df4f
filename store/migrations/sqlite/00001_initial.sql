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
    last_error_kind TEXT    NOT NULL DEFAULT '', -- timeout, dns, http_status, not_a_feed, …
    failing_since   BIGINT  NOT NULL DEFAULT 0,  -- first failure of the current streak
    ops_reported    INTEGER NOT NULL DEFAULT 0,  -- the streak was reported to the ops channel
    etag            TEXT    NOT NULL DEFAULT '', -- HTTP validators for conditional requests
    last_modified   TEXT    NOT NULL DEFAULT '',
    created_at      BIGINT  NOT NULL
);

CREATE TABLE seen_items (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source        TEXT   NOT NULL,
    identity      TEXT   NOT NULL, -- the item's seen key: identity, plus the lifecycle step of a document
    title         TEXT   NOT NULL DEFAULT '',
    url           TEXT   NOT NULL DEFAULT '',
    abstract      TEXT   NOT NULL DEFAULT '', -- kept to show a new watch what it would have matched
    published     BIGINT NOT NULL DEFAULT 0,
    first_seen_at BIGINT NOT NULL,
    UNIQUE (source, identity)
);
CREATE INDEX seen_items_first_seen ON seen_items (first_seen_at);

-- One alert per channel and event, for ever.
CREATE TABLE alerts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    channel    TEXT    NOT NULL,
    event_key  TEXT    NOT NULL,
    entities   TEXT    NOT NULL, -- JSON array of every watch display name named so far
    item       TEXT    NOT NULL, -- JSON of the item the alert shows now
    posted     INTEGER NOT NULL DEFAULT 0, -- 0 while everything it named was muted
    aliases    TEXT    NOT NULL DEFAULT '[]', -- JSON: every alias matched so far (material change)
    state      TEXT    NOT NULL DEFAULT 'open', -- the triage decision: open, true_match, …
    assignee   TEXT    NOT NULL DEFAULT '',
    created_at BIGINT  NOT NULL,
    updated_at BIGINT  NOT NULL,
    UNIQUE (channel, event_key)
);

-- Every triage decision on an alert, with who, when and why: the audit trail.
CREATE TABLE decisions (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id BIGINT NOT NULL REFERENCES alerts (id),
    state    TEXT   NOT NULL,
    reason   TEXT   NOT NULL DEFAULT '',
    actor    TEXT   NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX decisions_alert ON decisions (alert_id, id);

-- The messages of an alert: the first, edits of it, replies in its thread.
CREATE TABLE posts (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    alert_id   BIGINT  NOT NULL REFERENCES alerts (id),
    channel    TEXT    NOT NULL,
    kind       TEXT    NOT NULL, -- new, update, followup
    about      TEXT    NOT NULL, -- what the message is about: '' (new), the step (update), the item (followup)
    entities   TEXT    NOT NULL,
    item       TEXT    NOT NULL,
    summary    TEXT    NOT NULL DEFAULT '',
    matches    TEXT    NOT NULL,
    note       TEXT    NOT NULL DEFAULT '',
    held       INTEGER NOT NULL DEFAULT 0, -- 1 while waiting for the channel's digest
    digest_id  BIGINT  NOT NULL DEFAULT 0, -- the digest message that carried it
    created_at BIGINT  NOT NULL,
    UNIQUE (alert_id, kind, about)
);
CREATE INDEX posts_held ON posts (channel, held);

-- Per-channel settings: digests batch a channel's alerts into one message at set times.
CREATE TABLE channel_settings (
    channel     TEXT   PRIMARY KEY,
    digest      TEXT   NOT NULL DEFAULT 'off', -- off, hourly, daily
    digest_at   TEXT   NOT NULL DEFAULT '',    -- HH:MM for daily
    digest_tz   TEXT   NOT NULL DEFAULT 'UTC',
    next_digest BIGINT NOT NULL DEFAULT 0      -- 0: to be computed
);

CREATE TABLE deliveries (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id      BIGINT NOT NULL UNIQUE REFERENCES posts (id),
    channel      TEXT   NOT NULL,
    platform_ref TEXT   NOT NULL DEFAULT '', -- the platform's message id, for edits and threads
    delivered_at BIGINT NOT NULL
);

-- Silences with an expiry; name_key '*' mutes the whole channel.
CREATE TABLE mutes (
    channel    TEXT   NOT NULL,
    name_key   TEXT   NOT NULL,
    name       TEXT   NOT NULL,
    until      BIGINT NOT NULL,
    created_by TEXT   NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (channel, name_key)
);

-- What chat adapters keep between runs: sync tokens, device ids, claimed event ids.
CREATE TABLE chat_state (
    key        TEXT   PRIMARY KEY,
    value      TEXT   NOT NULL,
    updated_at BIGINT NOT NULL
);

-- Events claimed by one process, so that each platform event is handled once across
-- replicas (Slack spreads and retries events; Matrix events after a lease change).
CREATE TABLE claims (
    key TEXT   PRIMARY KEY,
    at  BIGINT NOT NULL
);
CREATE INDEX claims_at ON claims (at);

-- Fingerprints of recent news stories (SimHash of title and lead), so that the same story
-- from another outlet joins the first one's event.
CREATE TABLE news_fingerprints (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    fp        BIGINT NOT NULL,
    event_key TEXT   NOT NULL,
    at        BIGINT NOT NULL
);
CREATE INDEX news_fingerprints_at ON news_fingerprints (at);

-- +goose Down
DROP TABLE decisions;
DROP TABLE news_fingerprints;
DROP TABLE claims;
DROP TABLE channel_settings;
DROP TABLE chat_state;
DROP TABLE mutes;
DROP TABLE deliveries;
DROP TABLE posts;
DROP TABLE alerts;
DROP TABLE seen_items;
DROP TABLE sources;
DROP TABLE counters;
DROP TABLE watch_audit;
DROP TABLE watches;
