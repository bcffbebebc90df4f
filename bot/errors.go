package bot

import (
	"errors"
	"fmt"
	"time"
)

// ErrPermanent marks a delivery failure that retrying cannot fix (the channel is gone,
// the bot was removed, its credentials were revoked). Adapters wrap it; the app stops
// retrying and reports the failure to the operators.
var ErrPermanent = errors.New("permanent delivery failure")

// RetryAfterError is a delivery the platform asked to retry later (rate limits).
type RetryAfterError struct {
	After time.Duration
	Err   error
}

func (e *RetryAfterError) Error() string {
	return fmt.Sprintf("rate limited, retry after %s: %v", e.After, e.Err)
}

func (e *RetryAfterError) Unwrap() error { return e.Err }
