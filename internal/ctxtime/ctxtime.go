// Package ctxtime waits for time to pass without outliving a context.
package ctxtime

import (
	"context"
	"time"
)

// Sleep waits for d, or until ctx is done, and then returns ctx.Err().
// The repository's Update backoff, the migration's pacer and the fake's
// injected latency all wait this way, so cancellation cuts any of them
// short.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
