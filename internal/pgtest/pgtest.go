// Package pgtest gives tests a fresh PostgreSQL database on the server that
// VIGIL_TEST_POSTGRES names (postgres://…), dropped when the test ends. Without it a test
// is skipped, unless VIGIL_E2E=1 (CI), where the missing server is a failure.
package pgtest

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Env names the variable that points the tests at a PostgreSQL server.
const Env = "VIGIL_TEST_POSTGRES"

var seq atomic.Int64

// Available reports whether a PostgreSQL server is configured for the tests.
func Available() bool { return os.Getenv(Env) != "" }

// Fresh creates an empty database for the test and returns its URL.
func Fresh(t testing.TB) string {
	t.Helper()
	base := os.Getenv(Env)
	if base == "" {
		if os.Getenv("VIGIL_E2E") == "1" {
			t.Fatalf("VIGIL_E2E=1 but %s is not set: the PostgreSQL tier is required", Env)
		}
		t.Skipf("set %s=postgres://… to run the PostgreSQL tier", Env)
	}
	ctx := context.Background()
	name := fmt.Sprintf("vigil_test_%d_%d", os.Getpid(), seq.Add(1))
	conn, err := pgx.Connect(ctx, base)
	if err != nil {
		t.Fatalf("PostgreSQL at %s: %v", Env, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(ctx, base)
		if err != nil {
			return
		}
		defer c.Close(ctx)
		_, _ = c.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
