package dynamosession

import (
	"context"
	"time"

	"github.com/dynamosession/dynamosession/ttl"
)

// WithLifetime returns a copy of ctx that gives the session a lifetime of
// its own: the writes a repository makes with it (Create, Put, Save,
// Touch, and so Update) store an expiry d after the write instead of the
// one Options.TTL gives, and Touch judges whether a touch is due against
// d. It is how one session outlives the repository's TTL ("remember me for
// 30 days" in a repository whose TTL is a day) or ends sooner, without a
// repository per lifetime: package httpsession passes express-session's
// per-session cookie.originalMaxAge this way. d <= 0 returns ctx
// unchanged, and Options.TTL applies.
//
// The touch throttle keeps its interval. A lifetime that the interval
// would outlive (d = 10 minutes with the default hourly throttle) is
// touched once half of it has passed instead, so that a session in use
// never ends for want of a touch.
//
// The lifetime travels with the context, like consistency.WithStrongRead,
// because it belongs to one session and the repository keeps none: pass
// it on every write of that session, or the next write goes back to
// Options.TTL.
func WithLifetime(ctx context.Context, d time.Duration) context.Context {
	if d <= 0 {
		return ctx
	}
	return context.WithValue(ctx, lifetimeKey{}, d)
}

type lifetimeKey struct{}

// policy returns the expiry policy for a write made with ctx.
func (r *Repo[T]) policy(ctx context.Context) ttl.Policy {
	if d, ok := ctx.Value(lifetimeKey{}).(time.Duration); ok {
		return ttl.Sliding(d)
	}
	return r.opts.TTL
}

// touchDue reports whether a touch made with ctx at now of a session
// expiring at expires is due.
func (r *Repo[T]) touchDue(ctx context.Context, now, expires time.Time) bool {
	life := r.policy(ctx).Lifetime()
	// New's validation keeps Options.TTL's lifetime above the interval;
	// only a lifetime of a session's own can fall below it.
	if iv := r.opts.Touch.Interval(); iv >= life {
		return ttl.TouchAfter(life/2).Due(now, expires, life)
	}
	return r.opts.Touch.Due(now, expires, life)
}
