package app

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

// A credential a remote server echoes back never reaches the log or the terminal.
func TestRedact(t *testing.T) {
	cfg := testConfig(t, `
database:
  url: postgres://vigil:pg-LEAK-pass@127.0.0.1/vigil
sources: []
slack:
  bot_token: xoxb-LEAK-token-1
  app_token: xapp-LEAK-token-2
`)
	var buf bytes.Buffer
	log := redacting(slog.New(slog.NewJSONHandler(&buf, nil)), cfg)
	echo := fmt.Errorf("invalid_auth: you sent %s", "xoxb-LEAK-token-1")
	log.With("token", "xapp-LEAK-token-2").Error("call failed: xoxb-LEAK-token-1", "err", echo, slog.Group("g", "url", "postgres://vigil:pg-LEAK-pass@h"))
	if out := buf.String(); strings.Contains(out, "LEAK") || !strings.Contains(out, "<redacted>") {
		t.Errorf("log: %s", out)
	}
	if err := RedactError(cfg, echo); strings.Contains(err.Error(), "LEAK") {
		t.Errorf("error: %v", err)
	}
	plain := errors.New("nothing secret")
	if RedactError(cfg, plain) != plain {
		t.Error("an error without secrets should pass unchanged")
	}
}
