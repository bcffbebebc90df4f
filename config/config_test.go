package config

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// invalidCases maps each file in testdata/invalid to a substring its error must contain.
var invalidCases = map[string]string{
	"bad_bool.yaml":                   "bad_bool.yaml:4: sources[0].public_inspection: want true or false",
	"bad_duration.yaml":               `bad_duration.yaml:2: ops.alert_after: invalid duration "3 days"`,
	"channel_duplicate.yaml":          `channel_duplicate.yaml:3: channels[1] (console:main): id "console:main" is already used by channels[0]`,
	"channel_empty_id.yaml":           `channel_empty_id.yaml:2: channels[0] (console:): id "console:" has nothing after`,
	"channel_matrix_room.yaml":        `channel_matrix_room.yaml:6: channels[0] (matrix:room): id "matrix:room" must name a room`,
	"channel_missing_id.yaml":         "channel_missing_id.yaml:2: channels[0]: id is required",
	"channel_no_platform.yaml":        `channel_no_platform.yaml:2: channels[0] (main): id "main" must be PLATFORM:ID`,
	"channel_platform.yaml":           `channel_platform.yaml:2: channels[0] (irc:#vigil): id "irc:#vigil": platform "irc" is not console, slack or matrix`,
	"channel_slack_unconfigured.yaml": `channel_slack_unconfigured.yaml:2: channels[0] (slack:C0123): id "slack:C0123" is on slack, but slack is not configured`,
	"database_scheme.yaml":            "database_scheme.yaml:2: database: url must be sqlite:PATH",
	"database_sqlite_empty.yaml":      "database_sqlite_empty.yaml:2: database: url: sqlite: needs a file path",
	"database_sqlite_relative.yaml":   "database_sqlite_relative.yaml:2: database: url: sqlite:// must be followed by an absolute path",
	"duplicate_key.yaml":              `duplicate_key.yaml:4: duplicate key "level" in log (first at line 2)`,
	"env_bad_name.yaml":               "env_bad_name.yaml:2: database.url: invalid variable name in",
	"env_unterminated.yaml":           `env_unterminated.yaml:2: database.url: "${" without a closing "}"`,
	"fedreg_agency.yaml":              `fedreg_agency.yaml:4: sources[0] (fedreg): agencies[0] "Bureau of Industry and Security" is not an agency slug`,
	"fedreg_base_url.yaml":            "fedreg_base_url.yaml:4: sources[0] (fedreg): base_url must be an absolute http or https URL",
	"fedreg_doc_type.yaml":            `fedreg_doc_type.yaml:4: sources[0] (fedreg): types[1] "rule" is not one of RULE, PRORULE, NOTICE, PRESDOCU`,
	"fedreg_url.yaml":                 "fedreg_url.yaml:4: sources[0] (fedreg): url applies only to feed sources",
	"feed_fedreg_key.yaml":            "feed_fedreg_key.yaml:5: sources[0] (news): agencies applies only to federalregister sources",
	"feed_url_missing.yaml":           "feed_url_missing.yaml:2: sources[0] (news): url is required for a feed",
	"feed_url_relative.yaml":          "feed_url_relative.yaml:4: sources[0] (news): url must be an absolute http or https URL",
	"feed_url_scheme.yaml":            "feed_url_scheme.yaml:4: sources[0] (news): url must be an absolute http or https URL",
	"http_listen.yaml":                `http_listen.yaml:2: http: listen "9464" must be host:port`,
	"http_listen_port.yaml":           `http_listen_port.yaml:2: http: listen "127.0.0.1:99999": port "99999" is not a number`,
	"log_format.yaml":                 `log_format.yaml:2: log: format "xml" is not auto, text or json`,
	"log_level.yaml":                  `log_level.yaml:2: log: level "verbose" is not one of debug, info, warn, error`,
	"matrix_admin.yaml":               `matrix_admin.yaml:5: matrix: admins[0] "alice" must look like @user:server`,
	"matrix_homeserver_scheme.yaml":   "matrix_homeserver_scheme.yaml:2: matrix: homeserver must be an absolute http or https URL",
	"matrix_inviter.yaml":             `matrix_inviter.yaml:5: matrix: allowed_inviters[0] "@alice" must be a user`,
	"matrix_no_credentials.yaml":      "matrix_no_credentials.yaml:2: matrix: password or access_token (or their *_file) is required",
	"matrix_no_homeserver.yaml":       "matrix_no_homeserver.yaml:2: matrix: homeserver is required",
	"matrix_secret_file_empty.yaml":   "matrix_secret_file_empty.yaml:4: matrix: password_file: testdata/secrets/empty is empty",
	"matrix_user_id.yaml":             `matrix_user_id.yaml:3: matrix: user_id "vigil" must look like @user:server`,
	"merge_not_mapping.yaml":          `merge_not_mapping.yaml:2: log: "<<" merges mappings, got a single value`,
	"negative_duration.yaml":          `negative_duration.yaml:2: ops.alert_after: invalid duration "-1h": must not be negative`,
	"ops_channel_unconfigured.yaml":   `ops_channel_unconfigured.yaml:2: ops: channel "matrix:!ops:example.org" is on matrix, but matrix is not configured`,
	"schedule_bad_zone.yaml":          `schedule_bad_zone.yaml:4: sources[0] (fedreg): public_inspection_schedule "CRON_TZ=Mars/Olympus_Mons */10 7-17 * * 1-5": provided bad location`,
	"schedule_invalid.yaml":           `schedule_invalid.yaml:7: sources[1] (news): schedule "x": expected exactly 5 fields`,
	"schedule_never.yaml":             `schedule_never.yaml:4: sources[0] (fedreg): schedule "0 0 30 2 *" never runs`,
	"schedule_zone_only.yaml":         `schedule_zone_only.yaml:4: sources[0] (fedreg): schedule "CRON_TZ=UTC": a time zone must be followed by a schedule`,
	"since_invalid.yaml":              `since_invalid.yaml:4: sources[0] (fedreg): since "2023-13-01" is not a date`,
	"slack_api_url.yaml":              "slack_api_url.yaml:4: slack: api_url must be an absolute http or https URL",
	"slack_command.yaml":              `slack_command.yaml:4: slack: command "watch" must be a slash command`,
	"slack_http_mode_no_listen.yaml":  "slack_http_mode_no_listen.yaml:3: slack: HTTP mode (signing_secret without app_token) needs http.listen",
	"slack_no_app_token.yaml":         "slack_no_app_token.yaml:2: slack: app_token (or app_token_file) is required",
	"slack_no_bot_token.yaml":         "slack_no_bot_token.yaml:2: slack: bot_token (or bot_token_file) is required",
	"slack_secret_and_file.yaml":      "slack_secret_and_file.yaml:3: slack: set bot_token or bot_token_file, not both",
	"slack_secret_file_missing.yaml":  "slack_secret_file_missing.yaml:2: slack: bot_token_file: open testdata/secrets/does-not-exist",
	"source_name_chars.yaml":          `source_name_chars.yaml:2: sources[0] (My News): name "My News" may contain only`,
	"source_name_duplicate.yaml":      `source_name_duplicate.yaml:5: sources[1] (news): name "news" is already used by sources[0]`,
	"source_name_missing.yaml":        "source_name_missing.yaml:2: sources[0]: name is required",
	"source_type_missing.yaml":        "source_type_missing.yaml:2: sources[0] (news): type is required",
	"source_type_unknown.yaml":        `source_type_unknown.yaml:3: sources[0] (news): type "rss" is not feed or federalregister`,
	"syntax_error.yaml":               "syntax_error.yaml:4: did not find expected '-' indicator",
	"top_level_list.yaml":             "top_level_list.yaml:1: want a mapping of settings at the top level, got a list",
	"two_documents.yaml":              "two_documents.yaml:4: only one YAML document is allowed",
	"triage_sla.yaml":                 `triage_sla.yaml:2: triage: sla: invalid SLA "1 working day"`,
	"triage_timezone.yaml":            `triage_timezone.yaml:3: triage: timezone "Europe/Atlantis" is not an IANA time zone`,
	"channel_sla.yaml":                `channel_sla.yaml:3: channels[0] (console:main): sla: invalid SLA "0 business days": want 1 to 65 business days`,
	"channel_passing.yaml":            `channel_passing.yaml:3: channels[0] (console:main): passing "digests" is not digest or alert`,
	"unknown_key.yaml":                `unknown_key.yaml:7: unknown key "shedule" in sources[0]`,
	"unknown_merged_key.yaml":         `unknown_merged_key.yaml:2: unknown key "shedule" in sources[0]`,
	"unknown_nested_key.yaml":         `unknown_nested_key.yaml:5: unknown key "alias" in channels[0].watches[0]; did you mean "aliases"?`,
	"unknown_top_key.yaml":            `unknown_top_key.yaml:1: unknown key "databse" at the top level; did you mean "database"?`,
	"watch_duplicate.yaml":            `watch_duplicate.yaml:5: channels[0] (console:main): watches[1] (zhejiang dahua technology): name "zhejiang dahua technology" is already watched by watches[0]`,
	"watch_empty_alias.yaml":          "watch_empty_alias.yaml:5: channels[0] (console:main): watches[0] (Zhejiang Dahua Technology): aliases[1] is empty",
	"watch_name_missing.yaml":         "watch_name_missing.yaml:4: channels[0] (console:main): watches[0]: name is required",
	"wrong_type_list.yaml":            "wrong_type_list.yaml:2: database.url: want a string, got a list",
	"wrong_type_mapping.yaml":         "wrong_type_mapping.yaml:2: sources: want a list, got a mapping",
	"wrong_type_watch.yaml":           "wrong_type_watch.yaml:4: channels[0].watches[0]: want a mapping of settings, got a single value",
}

func TestLoadInvalid(t *testing.T) {
	files, err := filepath.Glob("testdata/invalid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, path := range files {
		name := filepath.Base(path)
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			want, ok := invalidCases[name]
			if !ok {
				t.Fatalf("no expected error for %s in invalidCases", path)
			}
			cfg, err := Load(path)
			if err == nil {
				t.Fatalf("Load(%s) = %+v, nil; want an error containing %q", path, cfg, want)
			}
			if cfg != nil {
				t.Errorf("Load(%s) returned a config along with error %v", path, err)
			}
			if got := err.Error(); !strings.Contains(got, want) {
				t.Errorf("Load(%s) error:\n got %s\nwant it to contain %s", path, got, want)
			}
			if got := err.Error(); !strings.HasPrefix(got, path) {
				t.Errorf("Load(%s) error %q does not start with the file path", path, got)
			}
		})
	}
	for name := range invalidCases {
		if !seen[name] {
			t.Errorf("invalidCases has %s, but testdata/invalid/%s does not exist", name, name)
		}
	}
}

func TestSyntaxErrorLines(t *testing.T) {
	tests := []struct {
		name, yaml, want string
	}{
		{"bad indentation", "sources:\n  - name: news\n    type: feed\n  url: [x\n", "test.yaml:4: "},
		{"tab indentation", "log:\n  level: info\n\tformat: text\n", "test.yaml:3: "},
		{"unclosed quote", "log:\n  level: info\n  format: \"text\nhttp:\n  listen: x\n", "test.yaml:3: "},
		{"misaligned dash", "sources:\n  - name: x\n    type: feed\n - name: y\n", "test.yaml:4: "},
		{"unclosed flow list", "log:\n  level: info\nsources: [a, b\nhttp:\n  listen: x\n", "test.yaml:3: "},
		{"no line from the parser", "a: b: c\n", "test.yaml:1: mapping values are not allowed"},
		{"unknown anchor", "log:\n  level: *nope\n", "test.yaml:2: unknown anchor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse([]byte(tt.yaml), "test.yaml")
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Parse(%q) error = %v, want it to start with %q", tt.yaml, err, tt.want)
			}
		})
	}
}

func TestLoadValidFiles(t *testing.T) {
	files, err := filepath.Glob("testdata/valid/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no files in testdata/valid")
	}
	for _, path := range files {
		t.Run(filepath.Base(path), func(t *testing.T) {
			if _, err := Load(path); err != nil {
				t.Errorf("Load(%s) = %v, want no error", path, err)
			}
		})
	}
}

func TestLoadFull(t *testing.T) {
	cfg, err := Load("testdata/valid/full.yaml")
	if err != nil {
		t.Fatal(err)
	}
	off := false
	want := &Config{
		Database: Database{URL: "postgres://vigil@127.0.0.1:5432/vigil?sslmode=disable"},
		Sources: []Source{
			{
				Name: "fedreg", Type: SourceFederalRegister, BaseURL: "http://127.0.0.1:8080/api/v1",
				Agencies: []string{}, Types: []string{"RULE", "NOTICE"}, Since: "2023-02-01",
				PublicInspection: &off, PublicInspectionSchedule: "@every 30m",
				Schedule: "CRON_TZ=UTC 0 * * * *",
			},
			{Name: "news_feed-2", Type: SourceFeed, URL: "http://127.0.0.1:8081/feed.xml", Schedule: "@every 3s"},
		},
		Channels: []Channel{
			{ID: "console:main", Watches: []Watch{{
				Name:    "Hangzhou Hikvision Digital Technology",
				Aliases: []string{"Hikvision", "海康威视"},
				Exclude: []string{"Hikvision Road"},
			}}},
			{ID: "slack:C0123", SLA: "4h", Passing: "digest"},
			{ID: "matrix:!room:example.org", Watches: []Watch{{Name: "Zhejiang Dahua Technology", Aliases: []string{"Dahua"}}}},
		},
		Ops:    Ops{Channel: "slack:C0OPS", AlertAfter: Duration(36 * time.Hour)},
		Triage: Triage{SLA: "2 business days", Timezone: "America/New_York"},
		Slack: &Slack{
			BotToken: "file-secret-value", BotTokenFile: "testdata/secrets/token",
			AppToken: "xapp-1-test", SigningSecret: "test-signing-secret",
			APIURL: "http://127.0.0.1:8082/api/", Admins: []string{"U0123ABC"}, Command: "/vigil",
		},
		Matrix: &Matrix{
			Homeserver: "https://matrix.example.org", UserID: "@vigil:example.org",
			Password: "hunter2", AccessToken: "file-secret-value", AccessTokenFile: "testdata/secrets/token",
			DeviceID: "VIGILBOT", AllowedInviters: []string{"example.org", "@alice:example.org"},
			Admins:    []string{"@alice:example.org"},
			PickleKey: "file-secret-value", PickleKeyFile: "testdata/secrets/token", RecoveryKeyFile: "/var/lib/vigil/recovery-key",
		},
		HTTP: HTTP{Listen: "127.0.0.1:9464"},
		Log:  Log{Level: "debug", Format: "json"},
	}
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load(full.yaml):\n got %#v\nwant %#v", cfg, want)
	}
	if !cfg.ChatConfigured() {
		t.Error("ChatConfigured() = false, want true")
	}
}

func TestLoadMissingFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vigil.yaml")
	_, err := Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Load(missing) error = %v, want one matching fs.ErrNotExist", err)
	}
	if err != nil && !strings.Contains(err.Error(), path) {
		t.Errorf("Load(missing) error %q does not name %s", err, path)
	}
}

func TestParse(t *testing.T) {
	on, off := true, false
	tests := []struct {
		name  string
		yaml  string
		check func(t *testing.T, c *Config)
	}{
		{"empty is the default", "", func(t *testing.T, c *Config) {
			if want := Default(); !reflect.DeepEqual(c, want) {
				t.Errorf("got %#v, want Default() %#v", c, want)
			}
		}},
		{"null document is the default", "~\n", func(t *testing.T, c *Config) {
			if want := Default(); !reflect.DeepEqual(c, want) {
				t.Errorf("got %#v, want Default() %#v", c, want)
			}
		}},
		{"no sources key gives fedreg", "log: {level: warn}\n", func(t *testing.T, c *Config) {
			if got := len(c.Sources); got != 1 || c.Sources[0].Name != "fedreg" {
				t.Errorf("sources = %+v, want the default fedreg source", c.Sources)
			}
			if c.Log.Level != "warn" || c.Log.Format != "auto" {
				t.Errorf("log = %+v, want warn/auto", c.Log)
			}
		}},
		{"empty sources list means none", "sources: []\n", func(t *testing.T, c *Config) {
			if len(c.Sources) != 0 {
				t.Errorf("sources = %+v, want none", c.Sources)
			}
		}},
		{"empty sources key means none", "sources:\n", func(t *testing.T, c *Config) {
			if len(c.Sources) != 0 {
				t.Errorf("sources = %+v, want none", c.Sources)
			}
		}},
		{"feed defaults", "sources:\n  - {name: news, type: feed, url: 'https://example.org/feed.xml'}\n", func(t *testing.T, c *Config) {
			want := Source{Name: "news", Type: SourceFeed, URL: "https://example.org/feed.xml", Schedule: "*/10 * * * *"}
			if !reflect.DeepEqual(c.Sources, []Source{want}) {
				t.Errorf("sources = %#v, want %#v", c.Sources, []Source{want})
			}
		}},
		{"federalregister defaults", "sources:\n  - {name: fr, type: federalregister}\n", func(t *testing.T, c *Config) {
			want := Source{
				Name: "fr", Type: SourceFederalRegister, BaseURL: "https://www.federalregister.gov/api/v1",
				Agencies:         []string{"industry-and-security-bureau", "foreign-assets-control-office", "state-department"},
				PublicInspection: &on, PublicInspectionSchedule: "CRON_TZ=America/New_York */10 7-17 * * 1-5",
				Schedule: "*/15 * * * *",
			}
			if !reflect.DeepEqual(c.Sources, []Source{want}) {
				t.Errorf("sources = %#v, want %#v", c.Sources, []Source{want})
			}
		}},
		{"federalregister explicit values stay", "sources:\n  - name: fr\n    type: federalregister\n    agencies: []\n    public_inspection: false\n", func(t *testing.T, c *Config) {
			s := c.Sources[0]
			if s.Agencies == nil || len(s.Agencies) != 0 {
				t.Errorf("agencies = %#v, want an empty, non-nil list (every agency)", s.Agencies)
			}
			if s.PublicInspection == nil || *s.PublicInspection != off {
				t.Errorf("public_inspection = %v, want false", s.PublicInspection)
			}
		}},
		{"slack socket mode", "slack: {bot_token: xoxb-1, app_token: xapp-1}\nchannels: [{id: 'slack:C0123'}]\nops: {channel: 'slack:C0OPS'}\n", func(t *testing.T, c *Config) {
			if c.Slack == nil || c.Slack.Command != "/watch" {
				t.Fatalf("slack = %+v, want command /watch", c.Slack)
			}
			if c.Matrix != nil || !c.ChatConfigured() {
				t.Errorf("matrix = %+v, ChatConfigured() = %v; want nil, true", c.Matrix, c.ChatConfigured())
			}
		}},
		{"slack http mode", "slack: {bot_token: xoxb-1, signing_secret: s}\nhttp: {listen: ':8080'}\n", func(t *testing.T, c *Config) {
			if c.Slack.AppToken != "" || c.Slack.SigningSecret.Reveal() != "s" {
				t.Errorf("slack = %+v, want HTTP mode", c.Slack)
			}
		}},
		{"empty slack section is not configured", "slack:\n", func(t *testing.T, c *Config) {
			if c.Slack != nil || c.ChatConfigured() {
				t.Errorf("slack = %+v, ChatConfigured() = %v; want nil, false", c.Slack, c.ChatConfigured())
			}
		}},
		{"matrix access token", "matrix:\n  homeserver: http://127.0.0.1:8008\n  user_id: '@vigil:localhost'\n  access_token: t\nchannels: [{id: 'matrix:#room:localhost'}]\n", func(t *testing.T, c *Config) {
			if c.Matrix == nil || c.Matrix.AccessToken.Reveal() != "t" {
				t.Errorf("matrix = %+v, want access token t", c.Matrix)
			}
		}},
		{"sqlite absolute", "database: {url: 'sqlite:///var/lib/vigil/vigil.db'}\n", func(t *testing.T, c *Config) {
			if got, want := c.Database.URL, "sqlite:///var/lib/vigil/vigil.db"; got != want {
				t.Errorf("url = %q, want %q", got, want)
			}
		}},
		{"postgresql scheme", "database: {url: 'postgresql://vigil:pw@db:5432/vigil'}\n", func(t *testing.T, c *Config) {
			if got, want := c.Database.URL, "postgresql://vigil:pw@db:5432/vigil"; got != want {
				t.Errorf("url = %q, want %q", got, want)
			}
		}},
		{"durations with days and weeks", "ops: {alert_after: 1w2d}\n", func(t *testing.T, c *Config) {
			if got, want := c.Ops.AlertAfter.D(), 9*24*time.Hour; got != want {
				t.Errorf("alert_after = %v, want %v", got, want)
			}
		}},
		{"since as a date", "sources: [{name: fr, type: federalregister, since: 2023-02-01}]\n", func(t *testing.T, c *Config) {
			if got, want := c.Sources[0].Since, "2023-02-01"; got != want {
				t.Errorf("since = %q, want %q", got, want)
			}
		}},
		{"bool written yes", "sources: [{name: fr, type: federalregister, public_inspection: no}]\n", func(t *testing.T, c *Config) {
			if p := c.Sources[0].PublicInspection; p == nil || *p {
				t.Errorf("public_inspection = %v, want false", p)
			}
		}},
		{"numbers as strings", "channels: [{id: 'console:1', watches: [{name: 3M, aliases: [1234]}]}]\n", func(t *testing.T, c *Config) {
			if got, want := c.Channels[0].Watches[0].Aliases, []string{"1234"}; !reflect.DeepEqual(got, want) {
				t.Errorf("aliases = %q, want %q", got, want)
			}
		}},
		{"anchors and aliases", "channels:\n  - id: console:a\n    watches: &w\n      - {name: Dahua}\n  - id: console:b\n    watches: *w\n", func(t *testing.T, c *Config) {
			if got := c.Channels[1].Watches; len(got) != 1 || got[0].Name != "Dahua" {
				t.Errorf("channels[1].watches = %+v, want the anchored list", got)
			}
		}},
		{"merge keys", "sources:\n  - &a {name: a, type: feed, url: 'https://example.org/a', schedule: '@every 1m'}\n  - <<: *a\n    name: b\n", func(t *testing.T, c *Config) {
			if got := c.Sources[1]; got.Name != "b" || got.URL != "https://example.org/a" || got.Schedule != "@every 1m" {
				t.Errorf("sources[1] = %+v, want a's settings with name b", got)
			}
		}},
		{"feed with empty federalregister lists", "sources: [{name: n, type: feed, url: 'https://example.org/f', agencies: [], types: []}]\n", func(t *testing.T, c *Config) {
			if s := c.Sources[0]; s.Agencies != nil || s.Types != nil {
				t.Errorf("agencies, types = %#v, %#v; want nil, nil", s.Agencies, s.Types)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), "test.yaml")
			if err != nil {
				t.Fatalf("Parse(%q) = %v, want no error", tt.yaml, err)
			}
			tt.check(t, c)
		})
	}
}

func TestDefault(t *testing.T) {
	c := Default()
	if err := c.Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v, want nil", err)
	}
	if got, want := c.Database.URL, "sqlite:data/vigil.db"; got != want {
		t.Errorf("database.url = %q, want %q", got, want)
	}
	if len(c.Sources) != 1 || c.Sources[0].Name != "fedreg" || c.Sources[0].Type != SourceFederalRegister {
		t.Errorf("sources = %+v, want one federalregister source named fedreg", c.Sources)
	}
	if len(c.Channels) != 0 || c.ChatConfigured() {
		t.Errorf("channels = %+v, ChatConfigured() = %v; want none, false", c.Channels, c.ChatConfigured())
	}
	if got, want := c.Ops.AlertAfter.D(), 6*time.Hour; got != want {
		t.Errorf("ops.alert_after = %v, want %v", got, want)
	}
	if c.Log != (Log{Level: "info", Format: "auto"}) {
		t.Errorf("log = %+v, want info/auto", c.Log)
	}
	// Each call is independent: changing one must not change the next.
	c.Sources[0].Agencies[0] = "changed"
	if got := Default().Sources[0].Agencies[0]; got == "changed" {
		t.Error("Default() shares its agencies slice between calls")
	}
}

func TestValidateMessages(t *testing.T) {
	tests := []struct {
		name   string
		change func(c *Config)
		want   []string
	}{
		{"schedule", func(c *Config) { c.Sources[0].Schedule = "x" }, []string{`sources[0] (fedreg): schedule "x": expected exactly 5 fields`}},
		{"all problems at once", func(c *Config) {
			c.Log.Level = "loud"
			c.HTTP.Listen = "nowhere"
			c.Sources = append(c.Sources, Source{Name: "fedreg", Type: SourceFeed, URL: "https://example.org/f"})
		}, []string{
			`sources[1] (fedreg): name "fedreg" is already used by sources[0]`,
			`sources[1] (fedreg): schedule is required`,
			`log: level "loud"`,
			`http: listen "nowhere"`,
		}},
		{"zero config", func(c *Config) { *c = Config{} }, []string{
			"database: url is required",
			"ops: alert_after must be positive",
			`triage: sla: invalid SLA ""`,
			`log: level ""`,
			`log: format ""`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.change(c)
			err := c.Validate()
			if err == nil {
				t.Fatalf("Validate() = nil, want errors containing %q", tt.want)
			}
			got := err.Error()
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("Validate() =\n%s\nwant it to contain %q", got, w)
				}
			}
			if n := len(strings.Split(got, "\n")); n != len(tt.want) {
				t.Errorf("Validate() reported %d problems, want %d:\n%s", n, len(tt.want), got)
			}
		})
	}
}

func TestExample(t *testing.T) {
	// The example must check without any environment variable set.
	for _, v := range []string{"SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET", "MATRIX_PASSWORD", "MATRIX_ACCESS_TOKEN"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	c, err := Parse(Example(), "example.yaml")
	if err != nil {
		t.Fatalf("Parse(Example()) = %v, want no error", err)
	}
	if c.ChatConfigured() {
		t.Error("the example configures a chat platform; Slack and Matrix must stay commented out")
	}
	var names []string
	for _, s := range c.Sources {
		names = append(names, s.Name+":"+s.Type)
	}
	if got, want := names, []string{"fedreg:federalregister", "news:feed"}; !reflect.DeepEqual(got, want) {
		t.Errorf("example sources = %q, want %q", got, want)
	}
	if got := c.Sources[1].URL; got != "https://example.org/feed.xml" {
		t.Errorf("example feed url = %q, want https://example.org/feed.xml", got)
	}
	wantChannels := []Channel{{ID: "console:main", Watches: []Watch{
		{Name: "Hangzhou Hikvision Digital Technology", Aliases: []string{"Hikvision", "海康威视"}, Exclude: []string{"Hikvision Road"}},
		{Name: "Zhejiang Dahua Technology", Aliases: []string{"Dahua"}},
	}}}
	if !reflect.DeepEqual(c.Channels, wantChannels) {
		t.Errorf("example channels = %+v, want %+v", c.Channels, wantChannels)
	}
	// The explicit fedreg source must equal the default one, so that the example teaches
	// the defaults.
	if got, want := c.Sources[0], Default().Sources[0]; !reflect.DeepEqual(got, want) {
		t.Errorf("example fedreg source = %#v, want the default %#v", got, want)
	}
}

func TestExampleCoversEveryKey(t *testing.T) {
	text := string(Example())
	var keys []string
	var collect func(reflect.Type)
	collect = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || isLeaf(t) {
			return
		}
		for name, f := range yamlFields(t) {
			keys = append(keys, name)
			collect(f.Type)
		}
	}
	collect(reflect.TypeFor[Config]())
	for _, k := range keys {
		// A key may be set, or shown commented out.
		re := regexp.MustCompile(`(?m)^[ \t]*(#[ \t]*)*(- )?` + regexp.QuoteMeta(k) + `:`)
		if !re.MatchString(text) {
			t.Errorf("example.yaml does not show key %q", k)
		}
	}
}

func TestRedactedRoundTrip(t *testing.T) {
	for _, input := range []string{
		"",
		"sources: []\n",
		"sources: [{name: fr, type: federalregister, agencies: [], public_inspection: false}]\n",
		string(Example()),
	} {
		t.Run(strings.SplitN(input, "\n", 2)[0], func(t *testing.T) {
			c, err := Parse([]byte(input), "in.yaml")
			if err != nil {
				t.Fatal(err)
			}
			out, err := c.Redacted()
			if err != nil {
				t.Fatalf("Redacted() = %v", err)
			}
			again, err := Parse(out, "redacted.yaml")
			if err != nil {
				t.Fatalf("Parse(Redacted()) = %v\n%s", err, out)
			}
			if !reflect.DeepEqual(again, c) {
				t.Errorf("Parse(Redacted()) =\n%#v\nwant\n%#v\nYAML:\n%s", again, c, out)
			}
		})
	}
}
