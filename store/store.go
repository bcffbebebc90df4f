// Package store owns Vigil's persistence: the database connection (SQLite by default,
// PostgreSQL for several replicas), the embedded schema migrations and one method per
// query for watches (with their audit log), sources (with their health), seen items,
// alerts, their messages and deliveries, mutes, digests and chat state.
//
// Duplicates are prevented here, by UNIQUE keys, not by memory. The database/sql drivers
// (modernc.org/sqlite, pgx) are imported only by this package. It knows nothing of chat
// platforms, feeds or the job engine.
package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // PostgreSQL, for several replicas
	"github.com/pressly/goose/v3"
	"github.com/vigilbot/vigil/watchers"
	_ "modernc.org/sqlite" // the embedded database, pure Go
)

//go:embed migrations/sqlite/*.sql migrations/postgres/*.sql
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
	path    string // SQLite's file, for messages

	leaseMu sync.Mutex
	leases  map[string]bool // held in this process (SQLite)
}

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

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

// Open opens (creating if needed) the database that dbURL names: "sqlite:PATH" (relative
// to the working directory), "sqlite:///ABSOLUTE/PATH" or "postgres://…". Call Migrate
// before using it.
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
		s.db, s.dialect, s.path = db, SQLite, path
	case strings.HasPrefix(dbURL, "postgres://"), strings.HasPrefix(dbURL, "postgresql://"):
		db, err := sql.Open("pgx", dbURL)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", redactURL(dbURL), err)
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(5)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.db, s.dialect, s.path = db, Postgres, redactURL(dbURL)
	default:
		return nil, fmt.Errorf("database: unsupported url %q: want sqlite:PATH or postgres://…", redactURL(dbURL))
	}
	s.q = dialectQuerier(s.dialect, s.db)
	if s.dialect == SQLite {
		// The first connection switches a fresh file to WAL, which SQLite may refuse at
		// once (SQLITE_BUSY, without waiting) while another process does the same.
		unlock, err := lockFile(ctx, s.path+".lock")
		if err != nil {
			s.db.Close()
			return nil, fmt.Errorf("open database %s: %w", s.path, err)
		}
		defer unlock()
	}
	if err := s.db.PingContext(ctx); err != nil {
		s.db.Close()
		return nil, fmt.Errorf("open database %s: %w", s.path, err)
	}
	return s, nil
}

// dialectQuerier adapts the queries, written with ? placeholders, to the dialect.
func dialectQuerier(dialect string, q querier) querier {
	if dialect == Postgres {
		return rebinder{q}
	}
	return q
}

// rebinder turns ? placeholders into PostgreSQL's $1, $2, … (outside quoted literals).
type rebinder struct{ q querier }

func (r rebinder) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	return r.q.ExecContext(ctx, rebind(query), args...)
}

func (r rebinder) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return r.q.QueryContext(ctx, rebind(query), args...)
}

func (r rebinder) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return r.q.QueryRowContext(ctx, rebind(query), args...)
}

func rebind(query string) string {
	var (
		b      strings.Builder
		n      int
		quoted bool
	)
	b.Grow(len(query) + 8)
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'':
			quoted = !quoted
		case c == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
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
	// busy_timeout first: the pragmas run in order, and switching a fresh file to WAL
	// must wait for, not fail on, another process doing the same.
	v.Add("_pragma", "busy_timeout(10000)")
	v.Add("_pragma", "journal_mode(WAL)")
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

// migrationLockID is the PostgreSQL advisory lock that serialises migrations of replicas
// starting at once ("vigil" in ASCII).
const migrationLockID = 0x766967696c

// Migrate applies Vigil's schema migrations, then each of more (the job engine's), all
// under one lock: two replicas migrating an empty PostgreSQL database at once, or two
// processes opening a fresh SQLite file (`vigil run` and a `vigil scan`), would
// otherwise fail. PostgreSQL's lock is an advisory lock; SQLite's is a file lock on
// the database path with ".lock" appended.
func (s *Store) Migrate(ctx context.Context, more ...func(context.Context) error) error {
	if s.dialect == SQLite {
		unlock, err := lockFile(ctx, s.path+".lock")
		if err != nil {
			return fmt.Errorf("migrate: take the migration lock: %w", err)
		}
		defer unlock()
	}
	if s.dialect == Postgres {
		conn, err := s.db.Conn(ctx)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		defer conn.Close()
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
			return fmt.Errorf("migrate: take the migration lock: %w", err)
		}
		defer func() {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockID)
		}()
	}
	fsys, err := fs.Sub(migrations, "migrations/"+s.dialect)
	if err != nil {
		return err
	}
	dialect := goose.DialectSQLite3
	if s.dialect == Postgres {
		dialect = goose.DialectPostgres
	}
	p, err := goose.NewProvider(dialect, s.db, fsys, goose.WithDisableGlobalRegistry(true))
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
	for _, m := range more {
		if err := m(ctx); err != nil {
			return err
		}
	}
	return nil
}

// DB returns the connection pool, shared with the job engine.
func (s *Store) DB() *sql.DB { return s.db }

// Dialect is SQLite or Postgres.
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
	var q querier = sqlTx
	if s.dialect == SQLite {
		q = &stmtCache{tx: sqlTx}
	}
	tx := &Tx{queries: queries{q: dialectQuerier(s.dialect, q), now: s.now}, tx: sqlTx}
	if err := fn(tx); err != nil {
		_ = sqlTx.Rollback()
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// stmtCache runs a SQLite transaction's queries as statements prepared once per
// transaction: a poll runs the same few for each of its items, and parsing them again
// each time was 8 % of the CPU of a first cycle of 5,000 feeds (docs/PERFORMANCE.md).
// The transaction closes its statements when it ends. (pgx keeps its own cache.)
type stmtCache struct {
	tx    *sql.Tx
	stmts map[string]*sql.Stmt
}

func (c *stmtCache) stmt(ctx context.Context, query string) (*sql.Stmt, error) {
	if st, ok := c.stmts[query]; ok {
		return st, nil
	}
	st, err := c.tx.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = st
	return st, nil
}

func (c *stmtCache) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c *stmtCache) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

func (c *stmtCache) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.stmt(ctx, query)
	if err != nil {
		return c.tx.QueryRowContext(ctx, query, args...) // a Row carrying the same error
	}
	return st.QueryRowContext(ctx, args...)
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
