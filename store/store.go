// Package store owns Vigil's persistence: the database connection, the embedded schema
// migrations and one method per query for watches (with their audit log), sources (with
// their health), seen items, alerts and deliveries.
//
// Duplicates are prevented here, by UNIQUE keys, not by memory. The database/sql drivers
// (modernc.org/sqlite, later pgx) are imported only by this package. It knows nothing of
// chat platforms, feeds or the job engine.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/vigilbot/vigil/watchers"
	_ "modernc.org/sqlite" // the embedded database, pure Go
)

//go:embed migrations/*.sql
var migrations embed.FS

// Errors callers can test with errors.Is.
var (
	ErrNotFound = watchers.ErrNotFound
	ErrExists   = watchers.ErrExists
)

// querier is what both *sql.DB and *sql.Tx offer; every query method runs on one.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// queries holds every query method, so that they run alike on the store and inside a
// transaction.
type queries struct {
	q   querier
	now func() time.Time
}

// Store is the database. Its query methods run outside any transaction.
type Store struct {
	queries
	db      *sql.DB
	dialect string
	path    string
}

// Tx is an open transaction with the same query methods as Store.
type Tx struct {
	queries
	tx *sql.Tx
}

// SQL returns the underlying transaction, for the job engine to insert jobs in it.
func (t *Tx) SQL() *sql.Tx { return t.tx }

// Option configures a Store.
type Option func(*Store)

// WithClock sets the clock used for created_at and similar times (tests).
func WithClock(now func() time.Time) Option { return func(s *Store) { s.now = now } }

// Open opens (creating if needed) the database that dbURL names and applies the schema
// migrations. dbURL is "sqlite:PATH" (relative to the working directory) or
// "sqlite:///ABSOLUTE/PATH".
func Open(ctx context.Context, dbURL string, opts ...Option) (*Store, error) {
	s := &Store{queries: queries{now: time.Now}}
	for _, o := range opts {
		o(s)
	}
	switch {
	case strings.HasPrefix(dbURL, "sqlite:"):
		path, err := sqlitePath(dbURL)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return nil, fmt.Errorf("create database folder: %w", err)
		}
		db, err := sql.Open("sqlite", sqliteDSN(path))
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", path, err)
		}
		// One connection: SQLite allows one writer, and River's SQLite driver expects it.
		db.SetMaxOpenConns(1)
		db.SetConnMaxLifetime(0)
		db.SetConnMaxIdleTime(0)
		s.db, s.dialect, s.path = db, "sqlite", path
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		return nil, errors.New("database: PostgreSQL is not supported by this version yet; use sqlite:PATH")
	default:
		return nil, fmt.Errorf("database: unsupported url %q: want sqlite:PATH", redactURL(dbURL))
	}
	s.q = s.db
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open database %s: %w", s.path, err)
	}
	if err := s.migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

func sqlitePath(dbURL string) (string, error) {
	rest := strings.TrimPrefix(dbURL, "sqlite:")
	if strings.HasPrefix(rest, "//") {
		u, err := url.Parse(dbURL)
		if err != nil || u.Host != "" || u.Path == "" {
			return "", fmt.Errorf("database: bad url %q: want sqlite:///ABSOLUTE/PATH", dbURL)
		}
		return filepath.Clean(u.Path), nil
	}
	if rest == "" {
		return "", fmt.Errorf("database: url %q names no file", dbURL)
	}
	return rest, nil
}

func sqliteDSN(path string) string {
	v := url.Values{}
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "foreign_keys(ON)")
	v.Add("_pragma", "synchronous(NORMAL)")
	v.Set("_txlock", "immediate")
	return "file:" + path + "?" + v.Encode()
}

// redactURL drops any password from a database URL before it is shown.
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}

func (s *Store) migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return err
	}
	p, err := goose.NewProvider(goose.DialectSQLite3, s.db, fsys, goose.WithDisableGlobalRegistry(true))
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate database: %w", err)
	}
	for _, r := range results {
		slog.Default().Debug("applied migration", "version", r.Source.Version)
	}
	return nil
}

// DB returns the connection pool, shared with the job engine.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect is "sqlite" (or later "postgres").
func (s *Store) Dialect() string { return s.dialect }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// InTx runs fn in one transaction, committed when fn returns nil and rolled back
// otherwise. With SQLite's single connection, fn must not use the Store itself.
func (s *Store) InTx(ctx context.Context, fn func(*Tx) error) error {
	sqlTx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	tx := &Tx{queries: queries{q: sqlTx, now: s.now}, tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

func ms(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func fromMS(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.UnixMilli(v).UTC()
}
