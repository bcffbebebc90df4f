package store

import (
	"context"
	"fmt"
)

// The job engine's table, read for the queue depth metric only.
const sqlQueueDepth = `SELECT count(*) FROM river_job WHERE state IN ('available', 'scheduled', 'retryable', 'running')`

// QueueDepth returns how many jobs are waiting or running.
func (q queries) QueueDepth(ctx context.Context) (int64, error) {
	var n int64
	if err := q.q.QueryRowContext(ctx, sqlQueueDepth).Scan(&n); err != nil {
		return 0, fmt.Errorf("queue depth: %w", err)
	}
	return n, nil
}
