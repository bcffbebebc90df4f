package config

import (
	"strings"
	"testing"
	"time"
)

func TestExpandEnv(t *testing.T) {
	t.Setenv("VIGIL_TEST_A", "alpha")
	t.Setenv("VIGIL_TEST_EMPTY", "")
	tests := []struct {
		in, want string
	}{
		{"plain", "plain"},
		{"${VIGIL_TEST_A}", "alpha"},
		{"x-${VIGIL_TEST_A}-${VIGIL_TEST_A}-y", "x-alpha-alpha-y"},
		{"${VIGIL_TEST_EMPTY}", ""},
		{"${VIGIL_TEST_UNSET_FOR_SURE}", ""},
		{"$VIGIL_TEST_A", "$VIGIL_TEST_A"}, // only the braced form expands
		{"a$b", "a$b"},
		{"$", "$"},
		{"cost $$5", "cost $5"},
		{"$${VIGIL_TEST_A}", "${VIGIL_TEST_A}"},
		{"$$$", "$$"},
		{"${_x1}", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := expandEnv(tt.in)
			if err != nil {
				t.Fatalf("expandEnv(%q) = %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("expandEnv(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	for _, bad := range []string{"${", "${A", "${}", "${1A}", "${A B}", "${A-B}"} {
		t.Run("invalid "+bad, func(t *testing.T) {
			if got, err := expandEnv(bad); err == nil {
				t.Errorf("expandEnv(%q) = %q, nil; want an error", bad, got)
			}
		})
	}
}

func TestParseEnv(t *testing.T) {
	t.Setenv("VIGIL_TEST_DIR", "/srv/vigil")
	t.Setenv("VIGIL_TEST_AFTER", "2d")
	t.Setenv("VIGIL_TEST_PI", "false")
	t.Setenv("VIGIL_TEST_NUM", "123")
	t.Setenv("VIGIL_TEST_TOKEN", "xoxb-from-env")
	t.Setenv("VIGIL_TEST_KEY", "schedule")
	tests := []struct {
		name    string
		yaml    string
		check   func(t *testing.T, c *Config)
		wantErr string
	}{
		{name: "string value", yaml: "database: {url: 'sqlite://${VIGIL_TEST_DIR}/vigil.db'}\n", check: func(t *testing.T, c *Config) {
			if got, want := c.Database.URL, "sqlite:///srv/vigil/vigil.db"; got != want {
				t.Errorf("url = %q, want %q", got, want)
			}
		}},
		{name: "duration", yaml: "ops: {alert_after: '${VIGIL_TEST_AFTER}'}\n", check: func(t *testing.T, c *Config) {
			if got, want := c.Ops.AlertAfter.D(), 48*time.Hour; got != want {
				t.Errorf("alert_after = %v, want %v", got, want)
			}
		}},
		{name: "unset duration takes the default", yaml: "ops:\n  alert_after: ${VIGIL_TEST_UNSET_FOR_SURE}\n", check: func(t *testing.T, c *Config) {
			if got, want := c.Ops.AlertAfter.D(), 6*time.Hour; got != want {
				t.Errorf("alert_after = %v, want %v", got, want)
			}
		}},
		{name: "bool", yaml: "sources:\n  - name: fr\n    type: federalregister\n    public_inspection: ${VIGIL_TEST_PI}\n", check: func(t *testing.T, c *Config) {
			if p := c.Sources[0].PublicInspection; p == nil || *p {
				t.Errorf("public_inspection = %v, want false", p)
			}
		}},
		{name: "number stays a string", yaml: "channels: [{id: 'console:${VIGIL_TEST_NUM}'}]\n", check: func(t *testing.T, c *Config) {
			if got, want := c.Channels[0].ID, "console:123"; got != want {
				t.Errorf("id = %q, want %q", got, want)
			}
		}},
		{name: "list item", yaml: "channels: [{id: 'console:x', watches: [{name: W, aliases: ['${VIGIL_TEST_NUM}', a$$b]}]}]\n", check: func(t *testing.T, c *Config) {
			got := c.Channels[0].Watches[0].Aliases
			if len(got) != 2 || got[0] != "123" || got[1] != "a$b" {
				t.Errorf("aliases = %q, want [123 a$b]", got)
			}
		}},
		{name: "secret", yaml: "slack: {bot_token: '${VIGIL_TEST_TOKEN}', app_token: xapp}\n", check: func(t *testing.T, c *Config) {
			if got, want := c.Slack.BotToken.Reveal(), "xoxb-from-env"; got != want {
				t.Errorf("bot_token = %q, want %q", got, want)
			}
		}},
		{name: "unset secret is missing", yaml: "slack:\n  bot_token: ${VIGIL_TEST_UNSET_FOR_SURE}\n  app_token: xapp\n",
			wantErr: "test.yaml:2: slack: bot_token (or bot_token_file) is required"},
		{name: "keys are not expanded", yaml: "sources: [{name: fr, type: federalregister, '${VIGIL_TEST_KEY}': '@every 1m'}]\n",
			wantErr: `unknown key "${VIGIL_TEST_KEY}" in sources[0]`},
		{name: "expanded duration is checked", yaml: "ops:\n  alert_after: ${VIGIL_TEST_DIR}\n",
			wantErr: `test.yaml:2: ops.alert_after: invalid duration "/srv/vigil"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), "test.yaml")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse() error = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("Parse() = %v, want no error", err)
			}
			tt.check(t, c)
		})
	}
}
