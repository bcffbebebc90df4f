package app

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/riverqueue/river"

	"github.com/vigilbot/vigil/config"
	"github.com/vigilbot/vigil/internal/pgtest"
)

// startEngine opens an engine as one-shot commands do, with chat as its terminal chat,
// and runs its job engine (without the periodic schedule) until the test ends.
func startEngine(t *testing.T, opts Options, chat sender) (*engine, *river.Client[*sql.Tx]) {
	t.Helper()
	ctx := context.Background()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	opts.defaults()
	e, err := open(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	e.setChat("console", chat)
	client, err := e.newClient(false)
	if err != nil {
		e.close()
		t.Fatal(err)
	}
	if err := client.Start(ctx); err != nil {
		e.close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = client.Stop(context.WithoutCancel(ctx))
		e.close()
	})
	return e, client
}

// onEachDialect runs test on a fresh SQLite file, and on a fresh PostgreSQL database when
// VIGIL_TEST_POSTGRES is set (required under VIGIL_E2E=1).
func onEachDialect(t *testing.T, test func(t *testing.T, dbURL string)) {
	t.Run("sqlite", func(t *testing.T) {
		test(t, "sqlite:"+filepath.Join(t.TempDir(), "vigil.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		test(t, pgtest.Fresh(t))
	})
}

// scanRecords runs a scan with the configuration and returns the alert lines it printed.
func scanRecords(t *testing.T, cfg *config.Config, so ScanOptions) []alertRecord {
	t.Helper()
	var out bytes.Buffer
	so.Output = "jsonl"
	if err := Scan(context.Background(), Options{Config: cfg, Stdout: &out, Logger: testLogger(t)}, so); err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var recs []alertRecord
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if line == "" {
			continue
		}
		var r alertRecord
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad line %q: %v", line, err)
		}
		recs = append(recs, r)
	}
	return recs
}
