package store

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
)

// TestMigrateFreshSQLiteConcurrently opens and migrates one fresh SQLite file from
// several stores at once, as `vigil run` and a `vigil scan` started together do: every
// one must succeed, and the schema must be applied once.
func TestMigrateFreshSQLiteConcurrently(t *testing.T) {
	ctx := context.Background()
	for round := range 5 {
		url := "sqlite://" + filepath.Join(t.TempDir(), "v.db")
		const n = 4
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				s, err := Open(ctx, url)
				if err != nil {
					errs[i] = err
					return
				}
				defer s.Close()
				// A second migration step, standing in for the job engine's, must run
				// under the same lock.
				errs[i] = s.Migrate(ctx, func(ctx context.Context) error {
					_, err := s.DB().ExecContext(ctx, "CREATE TABLE IF NOT EXISTS extra (id INTEGER)")
					return err
				})
			})
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d, store %d: %v", round, i, err)
			}
		}
	}
}
