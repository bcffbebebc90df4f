package config

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// warnNow is a fixed Monday morning in Washington, inside the public-inspection hours.
var warnNow = time.Date(2026, 3, 2, 14, 3, 17, 0, time.UTC)

func TestWarningsSchedules(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		want []string // substrings, one per expected warning, in order
	}{
		{"defaults", "", nil},
		{"every minute is fine", "sources: [{name: n, type: feed, url: 'https://example.org/f', schedule: '* * * * *'}]\n", nil},
		{"@every 1m is fine", "sources: [{name: n, type: feed, url: 'https://example.org/f', schedule: '@every 1m'}]\n", nil},
		{"@every 59s", "sources: [{name: n, type: feed, url: 'https://example.org/f', schedule: '@every 59s'}]\n",
			[]string{`sources[0] (n): schedule "@every 59s" polls every 59s, more often than once a minute`}},
		{"@every 3s", "sources: [{name: n, type: feed, url: 'https://example.org/f', schedule: '@every 3s'}]\n",
			[]string{`sources[0] (n): schedule "@every 3s" polls every 3s`}},
		{"sub-second rounds up to a second", "sources: [{name: n, type: feed, url: 'https://example.org/f', schedule: '@every 100ms'}]\n",
			[]string{`polls every 1s`}},
		{"cron with a zone", "sources: [{name: fr, type: federalregister, schedule: 'CRON_TZ=Asia/Tokyo */2 * * * *'}]\n", nil},
		{"public inspection too often", "sources: [{name: fr, type: federalregister, public_inspection_schedule: '@every 20s'}]\n",
			[]string{`sources[0] (fr): public_inspection_schedule "@every 20s" polls every 20s`}},
		{"public inspection off", "sources: [{name: fr, type: federalregister, public_inspection: false, public_inspection_schedule: '@every 20s'}]\n", nil},
		{"both schedules", "sources:\n  - {name: a, type: feed, url: 'https://example.org/a'}\n  - {name: fr, type: federalregister, schedule: '@every 30s', public_inspection_schedule: '@every 5s'}\n",
			[]string{`sources[1] (fr): schedule "@every 30s"`, `sources[1] (fr): public_inspection_schedule "@every 5s"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), "test.yaml")
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			checkWarnings(t, c.warnings(warnNow), tt.want)
		})
	}
}

func TestWarningsSecrets(t *testing.T) {
	const canary = "xoxb-WARNCANARY-77"
	t.Setenv("VIGIL_TEST_TOKEN", canary)
	t.Setenv("VIGIL_TEST_REST", "WARNCANARY-77")
	t.Setenv("VIGIL_TEST_DB_PASSWORD", canary)
	t.Setenv("VIGIL_TEST_DB_URL", "postgres://vigil:"+canary+"@db/vigil")
	t.Setenv("VIGIL_TEST_WEAK", "vigil")
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(canary+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIL_TEST_DIR", dir)
	const matrix = "matrix:\n  homeserver: https://m.example.org\n  user_id: '@v:example.org'\n"
	tests := []struct {
		name string
		yaml string
		want []string
	}{
		{"inline", "slack:\n  bot_token: " + canary + "\n  app_token: ${VIGIL_TEST_TOKEN}\n",
			[]string{`slack: bot_token is written in the configuration file; read it from a file with bot_token_file, or from the environment with "${VAR}"`}},
		{"from the environment", "slack:\n  bot_token: ${VIGIL_TEST_TOKEN}\n  app_token: '${VIGIL_TEST_TOKEN}'\n", nil},
		{"partly from the environment", "slack:\n  bot_token: xoxb-${VIGIL_TEST_REST}\n  app_token: ${VIGIL_TEST_TOKEN}\n", nil},
		{"escaped dollar names no variable", "slack:\n  bot_token: $${VIGIL_TEST_TOKEN}\n  app_token: ${VIGIL_TEST_TOKEN}\n",
			[]string{"slack: bot_token is written in the configuration file"}},
		{"from files", "slack:\n  bot_token_file: " + file + "\n  app_token_file: ${VIGIL_TEST_DIR}/token\n", nil},
		{"every inline secret", "slack:\n  bot_token: a\n  app_token: b\n  signing_secret: c\n" + matrix + "  password: d\n  access_token: e\n",
			[]string{"slack: bot_token ", "slack: app_token ", "slack: signing_secret ", "matrix: password ", "matrix: access_token "}},
		{"matrix mixed", matrix + "  password: " + canary + "\n  access_token: ${VIGIL_TEST_TOKEN}\n",
			[]string{"matrix: password is written in the configuration file"}},
		{"alias of a variable", "slack:\n  bot_token: &t ${VIGIL_TEST_TOKEN}\n  app_token: *t\n", nil},
		{"alias of a literal", "slack:\n  bot_token: &t " + canary + "\n  app_token: *t\n",
			[]string{"slack: bot_token ", "slack: app_token "}},
		// The explicit literal wins over the merged variable, and is what the file holds.
		{"merged variable overridden by a literal",
			"slack:\n  <<: {bot_token: '${VIGIL_TEST_TOKEN}', app_token: '${VIGIL_TEST_TOKEN}'}\n  bot_token: " + canary + "\n",
			[]string{"slack: bot_token is written"}},
		{"database password inline", "database:\n  url: postgres://vigil:" + canary + "@db:5432/vigil\n",
			[]string{`database: url holds a password written in the configuration file; write the password, or the whole URL, as "${VAR}"`}},
		{"database password in the query", "database:\n  url: postgres://db/vigil?sslmode=disable&password=" + canary + "\n",
			[]string{"database: url holds a password"}},
		{"database password from the environment", "database:\n  url: postgres://vigil:${VIGIL_TEST_DB_PASSWORD}@db/vigil\n", nil},
		{"database url from the environment", "database:\n  url: ${VIGIL_TEST_DB_URL}\n", nil},
		{"database without a password", "database:\n  url: postgresql://vigil@db/vigil\n", nil},
		{"database short password", "database:\n  url: postgres://vigil:${VIGIL_TEST_WEAK}@db/vigil\n",
			[]string{"database: the password in url is only 5 characters; use a long random one"}},
		{"database short password inline", "database:\n  url: postgres://db/vigil?password=vigil\n",
			[]string{"database: url holds a password written", "database: the password in url is only 5 characters"}},
		{"sqlite", "database:\n  url: sqlite:///var/lib/vigil/vigil.db\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.yaml), "test.yaml")
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			got := c.warnings(warnNow)
			checkWarnings(t, got, tt.want)
			for _, w := range got {
				if strings.Contains(w, canary) || strings.Contains(w, "WARNCANARY") {
					t.Errorf("warning %q leaks the secret", w)
				}
			}
		})
	}
}

func TestWarningsFiles(t *testing.T) {
	tests := []struct {
		name string
		load func() (*Config, error)
		want []string
	}{
		{"default", func() (*Config, error) { return Default(), nil }, nil},
		{"example", func() (*Config, error) { return Parse(Example(), "example.yaml") }, nil},
		{"full.yaml", func() (*Config, error) { return Load("testdata/valid/full.yaml") }, []string{
			`sources[1] (news_feed-2): schedule "@every 3s" polls every 3s`,
			"slack: app_token is written",
			"slack: signing_secret is written",
			"matrix: password is written",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := tt.load()
			if err != nil {
				t.Fatal(err)
			}
			checkWarnings(t, c.warnings(warnNow), tt.want)
		})
	}
}

// TestWarningsNow checks the exported method on the real clock.
func TestWarningsNow(t *testing.T) {
	c, err := Parse([]byte("sources: [{name: n, type: feed, url: 'https://example.org/f', schedule: '@every 10s'}]\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	checkWarnings(t, c.Warnings(), []string{`schedule "@every 10s" polls every 10s`})
}

// TestSecretsFromEnvKeepsEquality guards the promise that lets parsed and built
// configurations be compared: without secrets from the environment, nothing is recorded.
func TestSecretsFromEnvKeepsEquality(t *testing.T) {
	t.Setenv("VIGIL_TEST_TOKEN", "xoxb-1")
	c, err := Parse([]byte("slack: {bot_token: lit, app_token: lit}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.secretsFromEnv != nil {
		t.Errorf("secretsFromEnv = %q, want nil for literal secrets", c.secretsFromEnv)
	}
	c, err = Parse([]byte("slack: {bot_token: '${VIGIL_TEST_TOKEN}', app_token: lit}\n"), "test.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"slack.bot_token"}; !reflect.DeepEqual(c.secretsFromEnv, want) {
		t.Errorf("secretsFromEnv = %q, want %q", c.secretsFromEnv, want)
	}
}

func checkWarnings(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("warnings = %s\nwant %d warnings containing %q", fmt.Sprintf("%q", got), len(want), want)
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("warning[%d] = %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

// FuzzWarnings checks that whatever Parse accepts, Warnings runs without panicking and
// never repeats a secret given inline.
func FuzzWarnings(f *testing.F) {
	f.Add([]byte("slack: {bot_token: xoxb-FUZZSECRET, app_token: '${HOME}'}\n"))
	f.Add([]byte("database: {url: 'postgres://u:FUZZSECRET@db/v'}\nsources: [{name: n, type: feed, url: 'https://e.org/f', schedule: '@every 2s'}]\n"))
	f.Add(Example())
	f.Fuzz(func(t *testing.T, data []byte) {
		if bytes.Contains(data, []byte("_file")) {
			t.Skip("reads files")
		}
		c, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		for _, w := range c.warnings(warnNow) {
			if strings.Contains(w, "FUZZSECRET") {
				t.Errorf("warning %q repeats a secret", w)
			}
		}
	})
}
