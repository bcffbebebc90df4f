package config

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestSecretFormatting(t *testing.T) {
	const value = "hunter2-secret-value"
	s := Secret(value)
	if got := s.Reveal(); got != value {
		t.Errorf("Reveal() = %q, want %q", got, value)
	}
	if got := s.String(); got != "<redacted>" {
		t.Errorf("String() = %q, want <redacted>", got)
	}
	if got := Secret("").String(); got != "" {
		t.Errorf("empty String() = %q, want empty", got)
	}
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%X", "%d", "%10s"} {
		t.Run(verb, func(t *testing.T) {
			if got := fmt.Sprintf(verb, s); strings.Contains(got, value) || strings.Contains(got, fmt.Sprintf("%x", value)) {
				t.Errorf("Sprintf(%q, secret) = %q, leaks the value", verb, got)
			}
			holder := struct{ S Secret }{s}
			if got := fmt.Sprintf(verb, holder); strings.Contains(got, value) {
				t.Errorf("Sprintf(%q, struct with secret) = %q, leaks the value", verb, got)
			}
		})
	}
}

func TestSecretFiles(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tests := []struct {
		name, content, want string
	}{
		{"newline", "s3cret\n", "s3cret"},
		{"crlf and spaces", "s3cret \r\n\n", "s3cret"},
		{"inner space kept", "two words\n", "two words"},
		{"leading space kept", "  lead", "  lead"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(tt.name, tt.content)
			yml := fmt.Sprintf("matrix:\n  homeserver: https://m.example.org\n  user_id: '@v:example.org'\n  password_file: %q\n  access_token_file: %q\n", path, path)
			c, err := Parse([]byte(yml), "test.yaml")
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			if got := c.Matrix.Password.Reveal(); got != tt.want {
				t.Errorf("password = %q, want %q", got, tt.want)
			}
			if got := c.Matrix.AccessToken.Reveal(); got != tt.want {
				t.Errorf("access_token = %q, want %q", got, tt.want)
			}
			if got := c.Matrix.PasswordFile; got != path {
				t.Errorf("password_file = %q, want %q", got, path)
			}
		})
	}
	t.Run("file path from env", func(t *testing.T) {
		t.Setenv("VIGIL_TEST_CREDS", dir)
		write("slack_bot", "xoxb-file\n")
		c, err := Parse([]byte("slack:\n  bot_token_file: ${VIGIL_TEST_CREDS}/slack_bot\n  app_token: xapp\n"), "test.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if got := c.Slack.BotToken.Reveal(); got != "xoxb-file" {
			t.Errorf("bot_token = %q, want xoxb-file", got)
		}
	})
	t.Run("too large", func(t *testing.T) {
		path := write("big", strings.Repeat("x", maxSecretFile+1))
		_, err := Parse(fmt.Appendf(nil, "slack:\n  bot_token_file: %q\n  app_token: xapp\n", path), "test.yaml")
		if err == nil || !strings.Contains(err.Error(), "test.yaml:2: slack: bot_token_file: ") {
			t.Errorf("Parse() error = %v, want a too-large error at line 2", err)
		}
	})
}

// TestNoSecretLeaks feeds a recognisable secret through every way it can enter the
// configuration and every way a configuration or an error can be printed.
func TestNoSecretLeaks(t *testing.T) {
	const secret = "xoxb-LEAKCANARY-5f1d"
	dir := t.TempDir()
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VIGIL_TEST_SECRET", secret)

	valid := []string{
		"slack:\n  bot_token: " + secret + "\n  app_token: " + secret + "\n  signing_secret: " + secret + "\nmatrix:\n  homeserver: https://m.example.org\n  user_id: '@v:example.org'\n  password: " + secret + "\n  access_token: " + secret + "\n",
		"slack:\n  bot_token: ${VIGIL_TEST_SECRET}\n  app_token_file: " + file + "\n",
		"matrix:\n  homeserver: https://m.example.org\n  user_id: '@v:example.org'\n  password_file: " + file + "\n",
		"database:\n  url: postgres://vigil:" + secret + "@db:5432/vigil?sslmode=disable\n",
		"database:\n  url: postgres://db/vigil?password=" + secret + "\n",
	}
	invalid := []string{
		// Other problems next to a secret.
		"slack:\n  bot_token: " + secret + "\n",
		"slack:\n  bot_token: " + secret + "\n  app_token: x\n  command: nope\n",
		"slack:\n  bot_token: " + secret + "\n  botx: 1\n",
		// The same secret given twice.
		"slack:\n  bot_token: " + secret + "\n  bot_token_file: " + file + "\n  app_token: x\n",
		"matrix:\n  homeserver: https://m.example.org\n  user_id: '@v:example.org'\n  password: ${VIGIL_TEST_SECRET}\n  password_file: " + file + "\n",
		// A secret that breaks expansion or has the wrong shape.
		"slack:\n  bot_token: \"" + secret + "${\"\n  app_token: x\n",
		"slack:\n  bot_token: \"" + secret + "${" + secret + "}\"\n  app_token: x\n",
		"slack:\n  bot_token: [" + secret + "]\n",
		"slack:\n  bot_token: {" + secret + ": 1}\n",
		// Secrets inside URLs.
		"database:\n  url: postgres://vigil:" + secret + "@db:bad/vigil\n",
		"database:\n  url: mysql://vigil:" + secret + "@db/vigil\n",
		"sources:\n  - name: n\n    type: feed\n    url: ftp://u:" + secret + "@example.org/f?token=" + secret + "\n",
		"slack:\n  bot_token: x\n  app_token: x\n  api_url: slack.local/?token=" + secret + "\n",
		"matrix:\n  homeserver: matrix.local/?token=" + secret + "\n  user_id: '@v:e'\n  password: x\n",
	}
	check := func(t *testing.T, what, got string) {
		t.Helper()
		if strings.Contains(got, secret) {
			t.Errorf("%s leaks the secret:\n%s", what, got)
		}
	}
	for i, y := range valid {
		t.Run(fmt.Sprintf("valid %d", i), func(t *testing.T) {
			c, err := Parse([]byte(y), "test.yaml")
			if err != nil {
				t.Fatalf("Parse() = %v", err)
			}
			out, err := c.Redacted()
			if err != nil {
				t.Fatal(err)
			}
			check(t, "Redacted()", string(out))
			if strings.Contains(y, "slack") && !bytes.Contains(out, []byte("<redacted>")) {
				t.Errorf("Redacted() shows no <redacted> marker:\n%s", out)
			}
			for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%d", "%x", "%t", "%10.3s"} {
				check(t, "Sprintf("+verb+", config)", fmt.Sprintf(verb, *c))
				check(t, "Sprintf("+verb+", &config)", fmt.Sprintf(verb, c))
				check(t, "Sprintf("+verb+", database)", fmt.Sprintf(verb, c.Database))
				check(t, "Sprintf("+verb+", slack)", fmt.Sprintf(verb, c.Slack))
				check(t, "Sprintf("+verb+", matrix)", fmt.Sprintf(verb, c.Matrix))
			}
			js, err := json.Marshal(c)
			if err != nil {
				t.Fatal(err)
			}
			check(t, "json.Marshal", string(js))
			var buf bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&buf, nil))
			log.Info("config", "slack", c.Slack, "matrix", c.Matrix)
			if c.Slack != nil {
				log.Info("token", "bot_token", c.Slack.BotToken)
				slog.New(slog.NewTextHandler(&buf, nil)).Info("token", "bot_token", c.Slack.BotToken, "slack", c.Slack)
			}
			check(t, "slog", buf.String())
		})
	}
	for i, y := range invalid {
		t.Run(fmt.Sprintf("invalid %d", i), func(t *testing.T) {
			_, err := Parse([]byte(y), "test.yaml")
			if err == nil {
				t.Fatalf("Parse(%q) = nil error, want one", y)
			}
			check(t, "Parse() error", err.Error())
		})
	}
}

func TestRedactURL(t *testing.T) {
	tests := []struct{ in, want string }{
		{"sqlite:data/vigil.db", "sqlite:data/vigil.db"},
		{"postgres://vigil@db/vigil", "postgres://vigil@db/vigil"},
		{"postgres://vigil:pw@db:5432/vigil?sslmode=disable", "postgres://vigil:<redacted>@db:5432/vigil?sslmode=disable"},
		{"postgresql://db/vigil?password=pw&user=vigil", "postgresql://db/vigil?password=<redacted>&user=vigil"},
		{"postgres://vigil:pw@db:bad/vigil", "<redacted>"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := redactURL(tt.in); got != tt.want {
				t.Errorf("redactURL(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
