package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vigilbot/vigil/internal/pgtest"
)

// testURL is the database the store tests run on: a fresh SQLite file, or — when
// VIGIL_TEST_POSTGRES names a server — a fresh PostgreSQL database on it, so that every
// store test runs on both dialects in CI.
func testURL(t *testing.T) string {
	t.Helper()
	if !pgtest.Available() {
		return "sqlite:" + filepath.Join(t.TempDir(), "sub", "vigil.db")
	}
	return pgtest.Fresh(t)
}

func TestRebind(t *testing.T) {
	tests := []struct{ in, want string }{
		{"SELECT a FROM t WHERE a = ? AND b = ?", "SELECT a FROM t WHERE a = $1 AND b = $2"},
		{"SELECT '?' FROM t WHERE x LIKE ? ESCAPE '\\'", "SELECT '?' FROM t WHERE x LIKE $1 ESCAPE '\\'"},
		{"no placeholders", "no placeholders"},
	}
	for _, tt := range tests {
		if got := rebind(tt.in); got != tt.want {
			t.Errorf("rebind(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// Replicas starting at once on an empty PostgreSQL database migrate it once, without
// failing, thanks to the advisory lock.
func TestConcurrentMigrations(t *testing.T) {
	url := pgtest.Fresh(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			s, err := Open(ctx, url)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			errs <- s.Migrate(ctx, func(context.Context) error { time.Sleep(50 * time.Millisecond); return nil })
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent migration: %v", err)
		}
	}
}

// testURLOf returns the URL a test store was opened with, for a second connection.
func testURLOf(t *testing.T, s *Store) string {
	t.Helper()
	u, ok := openedURLs.Load(s)
	if !ok {
		t.Fatal("store not opened by openTest")
	}
	return u.(string)
}

var openedURLs sync.Map
