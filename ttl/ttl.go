// Package ttl decides when sessions expire and when a read is worth a write
// that extends the expiry.
//
// DynamoDB bills a write by the whole item's size, so a store that extends
// the expiry on every request pays for a full write per page view. A
// [Throttle] such as [TouchAfter] keeps a sliding expiry while writing at
// most once per interval: the session then expires between TTL minus the
// interval and TTL after the last request, which is what users notice as
// "idle timeout".
//
// Everything here is a pure function of the times it is given; nothing reads
// the clock. Reading an expiry back is the repository's job:
// Session.ExpiresAt holds the stored one, in whichever form (seconds,
// fractional seconds, milliseconds) the Node.js session stores wrote it.
package ttl

import (
	"fmt"
	"time"
)

// A Policy decides the expiry written with each write or touch of a session.
type Policy interface {
	// Expiry returns the expiry for a session written at now. DynamoDB's
	// TTL attribute holds whole Unix seconds, so an expiry should be a
	// whole second, rounded up: a fraction would be dropped when stored,
	// and the session would end up to a second early.
	Expiry(now time.Time) time.Time
	// Lifetime returns how long after a write the session lives. A
	// [Throttle] uses it to find when the expiry was last written.
	Lifetime() time.Duration
}

// Sliding returns a Policy that expires a session d after it was last
// written or touched, rounded up to the whole second DynamoDB stores: a
// session never ends before d has passed, and at most a second after. It
// panics if d is not positive: that is a programming error, not a runtime
// condition.
func Sliding(d time.Duration) Policy {
	if d <= 0 {
		panic(fmt.Sprintf("ttl: Sliding(%v): lifetime must be positive", d))
	}
	return sliding(d)
}

type sliding time.Duration

func (s sliding) Expiry(now time.Time) time.Time { return ceilSecond(now.Add(time.Duration(s))) }
func (s sliding) Lifetime() time.Duration        { return time.Duration(s) }
func (s sliding) String() string                 { return fmt.Sprintf("ttl.Sliding(%v)", time.Duration(s)) }

// ceilSecond rounds t up to a whole Unix second. (Truncate counts from
// the zero Time, a whole number of seconds before the Unix epoch.)
func ceilSecond(t time.Time) time.Time {
	if s := t.Truncate(time.Second); s.Before(t) {
		return s.Add(time.Second)
	}
	return t.Truncate(0) // strip the monotonic reading, as the branch above does
}

// A Throttle decides whether reading a session should pay for a write that
// extends its expiry.
type Throttle interface {
	// Due reports whether a session whose stored expiry is expires, under a
	// policy whose lifetime is lifetime, should be touched at now.
	Due(now, expires time.Time, lifetime time.Duration) bool
	// Interval is the least time between two touches of one session; zero
	// means every read touches. [Never] reports a negative interval.
	Interval() time.Duration
}

// TouchAfter returns a Throttle that touches a session only when at least d
// has passed since its expiry was last written (the expiry minus the
// lifetime). With a one-hour interval a session read every minute costs
// one write an hour instead of sixty. TouchAfter(0) touches on every
// read: what naive stores do, and the most expensive choice.
//
// d must be shorter than the TTL lifetime, or a session would expire before
// its first touch: dynamosession.New rejects such a configuration with an
// error wrapping dynamosession.ErrInvalidOptions.
func TouchAfter(d time.Duration) Throttle {
	if d < 0 {
		panic(fmt.Sprintf("ttl: TouchAfter(%v): interval must not be negative", d))
	}
	return touchAfter(d)
}

type touchAfter time.Duration

func (t touchAfter) Due(now, expires time.Time, lifetime time.Duration) bool {
	if expires.IsZero() {
		return true // no expiry stored yet: give it one
	}
	written := expires.Add(-lifetime)
	// A last write well "in the future" means the lifetime was shortened
	// since; touching brings the stored expiry back in line with the
	// policy. A minute of slack keeps clock skew between servers (another
	// server wrote a few hundred milliseconds "ahead") from buying a write.
	if written.After(now.Add(time.Minute)) {
		return true
	}
	return now.Sub(written) >= time.Duration(t)
}

func (t touchAfter) Interval() time.Duration { return time.Duration(t) }
func (t touchAfter) String() string          { return fmt.Sprintf("ttl.TouchAfter(%v)", time.Duration(t)) }

// defaultFraction is the share of a policy's lifetime that
// [DefaultThrottle] lets pass between touches: a tenth.
const defaultFraction = 10

// DefaultThrottle returns the Throttle a repository uses when none is set:
// [TouchAfter] a tenth of p's lifetime (2h24m for a day, 33h36m for 14
// days, 6m for an hour), so that any lifetime works without a touch
// setting of its own. A session then ends between 90% and 100% of the
// lifetime after its last request. Touches are most of the write bill:
// for the README's workload with a 14-day lifetime, the cost model
// (dynamosession cost) counts 57 write units per 1,000 requests with this
// default against 188 with TouchAfter(time.Hour). A nil p, which has no
// lifetime to derive an interval from, gets TouchAfter(0).
func DefaultThrottle(p Policy) Throttle {
	if p == nil {
		return TouchAfter(0)
	}
	return TouchAfter(p.Lifetime() / defaultFraction)
}

// Never returns a Throttle that never touches: sessions expire a fixed
// lifetime after their last write (Put or Save), however often they are read.
func Never() Throttle { return never{} }

type never struct{}

func (never) Due(time.Time, time.Time, time.Duration) bool { return false }
func (never) Interval() time.Duration                      { return -1 }
func (never) String() string                               { return "ttl.Never()" }
