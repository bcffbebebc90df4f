//go:build !unix

package store

import "context"

// lockFile does nothing where flock is missing: SQLite's own busy timeout is then the
// only guard for two processes migrating one fresh file.
func lockFile(context.Context, string) (func(), error) { return func() {}, nil }
