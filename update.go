package dynamosession

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/internal/ctxtime"
)

// maxUpdateAttempts bounds how often Update reads and writes again after
// a conflict: enough for the handful of requests a page load sends at
// once; a caller that meets more contention calls Update again.
const maxUpdateAttempts = 10

// Update reads the session id, applies fn to its data and saves it, as one
// optimistic transaction: if another writer saved the session in between,
// it reads again and reapplies fn, up to 10 attempts in all, with
// jittered exponential backoff (1 ms doubling to 100 ms). fn may run more
// than once and must only change the value it is given.
//
// Reads are strongly consistent: a stale read would only buy a conflict.
// If fn returns an error nothing is written and Update returns it. When
// the attempts run out the error wraps ErrConflict: the session is
// contended beyond what a page load's concurrent requests make, and the
// caller may call Update again, or fail the request.
//
// Exactly once: when Update returns nil, the change of exactly one run of
// fn was written, never two, even when the SDK retried a write whose
// response was lost and other writers saved the session meanwhile (the
// write recognises itself by its token, see [ErrOutcomeUnknown]). fn runs
// again only after a write that certainly did not land. When Update
// cannot know whether its write landed it returns an error wrapping
// ErrOutcomeUnknown and does not run fn again: the change was applied at
// most once. Update needs Options.Versioned (without it, there is no way
// to detect the lost update it exists to prevent) and returns an error
// wrapping ErrInvalidOptions otherwise.
func (r *Repo[T]) Update(ctx context.Context, id string, fn func(*T) error) (*Session[T], error) {
	if !r.opts.Versioned {
		return nil, fmt.Errorf("dynamosession: update: %w: Update needs Options.Versioned", ErrInvalidOptions)
	}
	ctx = consistency.WithStrongRead(ctx)
	backoff := time.Millisecond
	for attempt := 1; ; attempt++ {
		s, err := r.Get(ctx, id)
		if err != nil {
			return nil, err
		}
		if err := fn(&s.Data); err != nil {
			return nil, err
		}
		err = r.Save(ctx, s)
		if err == nil {
			return s, nil
		}
		if !errors.Is(err, ErrConflict) {
			return nil, err
		}
		if attempt >= maxUpdateAttempts {
			return nil, fmt.Errorf("dynamosession: update session %s: gave up after %d attempts: %w", redact(id), attempt, ErrConflict)
		}
		if err := ctxtime.Sleep(ctx, rand.N(backoff)+backoff/2); err != nil {
			return nil, err
		}
		backoff = min(2*backoff, 100*time.Millisecond)
	}
}
