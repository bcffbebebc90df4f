// Package config owns Vigil's configuration: the types, loading strict YAML, ${ENV}
// expansion, secrets from *_file, defaults, validation and the embedded example. It must not
// open databases, networks or chats.
package config

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"strings"

	"gopkg.in/yaml.v3"
)

// Source types.
const (
	SourceFeed            = "feed"
	SourceFederalRegister = "federalregister"
)

// Config is Vigil's whole configuration. Load and Parse return it with defaults applied and
// validated; Default returns the configuration used when there is no file.
type Config struct {
	Database Database  `yaml:"database,omitempty"`
	Sources  []Source  `yaml:"sources"` // no omitempty: "sources: []" differs from no key
	Channels []Channel `yaml:"channels,omitempty"`
	Ops      Ops       `yaml:"ops,omitempty"`
	Triage   Triage    `yaml:"triage,omitempty"`
	Slack    *Slack    `yaml:"slack,omitempty"`  // nil when not configured
	Matrix   *Matrix   `yaml:"matrix,omitempty"` // nil when not configured
	HTTP     HTTP      `yaml:"http,omitempty"`
	Log      Log       `yaml:"log,omitempty"`

	// secretsFromEnv are the key paths ("slack.bot_token", "database.url") of the secrets
	// that Parse read from ${VAR} rather than from the file's own text; Warnings uses it.
	// It is nil when there are none, so that a parsed configuration without such secrets
	// still equals one built in code.
	secretsFromEnv []string
}

// Database says where Vigil keeps its state: "sqlite:PATH" (relative to the working
// directory), "sqlite:///ABSOLUTE/PATH", or a "postgres://" URL. Printing it (fmt, YAML,
// JSON) hides a password in the URL; read URL itself to connect.
type Database struct {
	URL string `yaml:"url,omitempty"`
}

// String shows the URL with any password redacted.
func (d Database) String() string { return redactURL(d.URL) }

// databaseView is Database without methods, for printing.
type databaseView Database

// Format prints the database settings with any password redacted, whatever the verb.
func (d Database) Format(f fmt.State, _ rune) {
	formatRedacted(f, databaseView{URL: redactURL(d.URL)}, "databaseView", "Database")
}

// MarshalYAML writes the URL with any password redacted.
func (d Database) MarshalYAML() (any, error) {
	return struct {
		URL string `yaml:"url,omitempty"`
	}{redactURL(d.URL)}, nil
}

// MarshalJSON writes the URL with any password redacted.
func (d Database) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct{ URL string }{redactURL(d.URL)})
}

// Source is a place Vigil polls for new items.
type Source struct {
	Name string `yaml:"name,omitempty"`
	Type string `yaml:"type,omitempty"` // SourceFeed or SourceFederalRegister

	// URL is the feed's address (feed only).
	URL string `yaml:"url,omitempty"`

	// BaseURL is the Federal Register API root (federalregister only).
	BaseURL string `yaml:"base_url,omitempty"`
	// Agencies are Federal Register agency slugs. Absent means the default three; an
	// explicit empty list means every agency.
	Agencies []string `yaml:"agencies,omitempty"`
	// Types are Federal Register document types (RULE, PRORULE, NOTICE, PRESDOCU); empty
	// means every type.
	Types []string `yaml:"types,omitempty"`
	// Since is an optional YYYY-MM-DD: the earliest publication date of the first window.
	Since string `yaml:"since,omitempty"`
	// PublicInspection says whether to poll documents on public inspection (defaults to
	// true for federalregister).
	PublicInspection         *bool  `yaml:"public_inspection,omitempty"`
	PublicInspectionSchedule string `yaml:"public_inspection_schedule,omitempty"`

	// Schedule is a cron expression as robfig/cron's ParseStandard reads it (CRON_TZ= and
	// @every accepted).
	Schedule string `yaml:"schedule,omitempty"`

	// Backfill alerts on the newest N items a new feed already holds, instead of taking
	// them all as its baseline (feed only).
	Backfill int `yaml:"backfill,omitempty"`
	// FetchArticle fetches each new item's page and matches its main text (feed only).
	FetchArticle bool `yaml:"fetch_article,omitempty"`
}

// Channel is a chat channel seeded from the file, with its watches.
type Channel struct {
	ID      string  `yaml:"id,omitempty"` // PLATFORM:ID with platform console, slack or matrix
	Watches []Watch `yaml:"watches,omitempty"`
	SLA     string  `yaml:"sla,omitempty"` // overrides triage.sla for this channel
	// Passing is where the channel's passing-mention alerts go: PassingDigest or
	// PassingAlert; empty leaves the setting made by chat command.
	Passing string `yaml:"passing,omitempty"`
}

// Where a channel's passing-mention alerts go (channels[].passing).
const (
	PassingDigest = "digest" // held for the channel's digest only
	PassingAlert  = "alert"  // alerted like any other alert
)

// Watch is an entity watched in a channel.
type Watch struct {
	Name    string   `yaml:"name,omitempty"`
	Aliases []string `yaml:"aliases,omitempty"`
	Exclude []string `yaml:"exclude,omitempty"`
}

// Ops says where operational problems (failing sources) are reported.
type Ops struct {
	Channel    string   `yaml:"channel,omitempty"` // PLATFORM:ID; empty means log at ERROR
	AlertAfter Duration `yaml:"alert_after,omitempty"`
}

// Slack configures the Slack adapter. Socket Mode needs AppToken; HTTP mode (Events API)
// needs SigningSecret instead.
type Slack struct {
	BotToken          Secret   `yaml:"bot_token,omitempty"`
	BotTokenFile      string   `yaml:"bot_token_file,omitempty"`
	AppToken          Secret   `yaml:"app_token,omitempty"`
	AppTokenFile      string   `yaml:"app_token_file,omitempty"`
	SigningSecret     Secret   `yaml:"signing_secret,omitempty"`
	SigningSecretFile string   `yaml:"signing_secret_file,omitempty"`
	APIURL            string   `yaml:"api_url,omitempty"` // tests only: a local stand-in
	Admins            []string `yaml:"admins,omitempty"`
	Command           string   `yaml:"command,omitempty"`
}

// Matrix configures the Matrix adapter.
type Matrix struct {
	Homeserver      string   `yaml:"homeserver,omitempty"`
	UserID          string   `yaml:"user_id,omitempty"`
	Password        Secret   `yaml:"password,omitempty"`
	PasswordFile    string   `yaml:"password_file,omitempty"`
	AccessToken     Secret   `yaml:"access_token,omitempty"`
	AccessTokenFile string   `yaml:"access_token_file,omitempty"`
	DeviceID        string   `yaml:"device_id,omitempty"`
	AllowedInviters []string `yaml:"allowed_inviters,omitempty"`
	Admins          []string `yaml:"admins,omitempty"`
	// PickleKey encrypts the end-to-end encryption keys kept in the database.
	PickleKey     Secret `yaml:"pickle_key,omitempty"`
	PickleKeyFile string `yaml:"pickle_key_file,omitempty"`
	// RecoveryKeyFile receives the cross-signing recovery key, once (created 0600).
	RecoveryKeyFile string `yaml:"recovery_key_file,omitempty"`
}

type (
	slackView  Slack  // Slack without methods, for printing
	matrixView Matrix // Matrix without methods, for printing
)

// Format prints the Slack settings with every secret redacted, whatever the verb.
func (s Slack) Format(f fmt.State, _ rune) {
	formatRedacted(f, slackView(s), "slackView", "Slack")
}

// Format prints the Matrix settings with every secret redacted, whatever the verb.
func (m Matrix) Format(f fmt.State, _ rune) {
	formatRedacted(f, matrixView(m), "matrixView", "Matrix")
}

// formatRedacted prints v, a method-free copy of a settings struct, always with verb v
// (keeping the flags): under a verb that does not fit a field, such as %s on a pointer
// or %d on a string, fmt prints the value raw, skipping the redacting methods of the
// fields below it. Under %#v the copy's type name view is shown as name.
func formatRedacted(f fmt.State, v any, view, name string) {
	out := fmt.Sprintf(fmt.FormatString(f, 'v'), v)
	if f.Flag('#') {
		out = strings.Replace(out, "config."+view, "config."+name, 1)
	}
	_, _ = io.WriteString(f, out)
}

// HTTP configures the health and metrics server.
type HTTP struct {
	Listen string `yaml:"listen,omitempty"` // host:port; empty means no HTTP server
}

// Log configures the logger.
type Log struct {
	Level  string `yaml:"level,omitempty"`  // debug, info, warn or error
	Format string `yaml:"format,omitempty"` // text or json
}

// ChatConfigured reports whether a chat platform (Slack or Matrix) is configured.
func (c *Config) ChatConfigured() bool {
	return c.Slack != nil || c.Matrix != nil
}

//go:embed example.yaml
var example []byte

// Example returns the commented example configuration.
func Example() []byte {
	return bytes.Clone(example)
}

// Redacted returns the effective configuration as YAML with every secret, including a
// password inside database.url, shown as <redacted>. Secret and Database redact
// themselves, so this is also what yaml.Marshal gives.
func (c *Config) Redacted() ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// redactURL hides the password of a PostgreSQL URL, given in its user info or as a
// "password" query parameter.
func redactURL(raw string) string {
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		return raw
	}
	u, err := url.Parse(raw)
	if err != nil {
		return redacted // unparsable: it may still hold a password
	}
	// A marker url.URL does not escape, swapped for the display form afterwards.
	const marker = "REDACTED"
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), marker)
	}
	if q := u.Query(); q.Has("password") {
		q.Set("password", marker)
		u.RawQuery = q.Encode()
	}
	return strings.ReplaceAll(u.String(), marker, redacted)
}

// plainSource has Source's fields and tags but not its MarshalYAML method.
type plainSource Source

// fedregSource is Source with agencies always written, because an explicit empty list
// (every agency) must not read back as an absent one (the default agencies).
type fedregSource struct {
	Name                     string   `yaml:"name,omitempty"`
	Type                     string   `yaml:"type,omitempty"`
	URL                      string   `yaml:"url,omitempty"`
	BaseURL                  string   `yaml:"base_url,omitempty"`
	Agencies                 []string `yaml:"agencies"`
	Types                    []string `yaml:"types,omitempty"`
	Since                    string   `yaml:"since,omitempty"`
	PublicInspection         *bool    `yaml:"public_inspection,omitempty"`
	PublicInspectionSchedule string   `yaml:"public_inspection_schedule,omitempty"`
	Schedule                 string   `yaml:"schedule,omitempty"`
	Backfill                 int      `yaml:"backfill,omitempty"`
	FetchArticle             bool     `yaml:"fetch_article,omitempty"`
}

// MarshalYAML writes a source so that reading it back gives the same source.
func (s Source) MarshalYAML() (any, error) {
	if s.Type == SourceFederalRegister && s.Agencies != nil {
		return fedregSource(s), nil
	}
	return plainSource(s), nil
}
