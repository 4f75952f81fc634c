package migrate

import (
	"context"
	"sync"
	"time"

	"github.com/dynamosession/dynamosession/internal/ctxtime"
)

// A pacer spreads capacity consumption evenly over time at rate units per
// second, across all workers. Each request books the units it is expected
// to consume before it is sent and starts when the previous bookings have
// run out; the units DynamoDB reports afterwards correct the booking. That
// keeps the average at the target without letting the workers burst
// together, which is what a provisioned table (or an on-demand one near
// its previous peak) would throttle.
//
// A nil pacer, or one with rate <= 0, never waits. It is safe for
// concurrent use.
type pacer struct {
	rate  float64 // units per second
	now   func() time.Time
	sleep func(context.Context, time.Duration) error

	mu   sync.Mutex
	next time.Time // when the bookings made so far run out
}

// pacing is the clock a pacer reads and sleeps on: the wall clock, unless
// a test sets both.
type pacing struct {
	now   func() time.Time
	sleep func(context.Context, time.Duration) error
}

func newPacer(rate float64, c pacing) *pacer {
	if rate <= 0 {
		return nil
	}
	if c.now == nil || c.sleep == nil {
		c = pacing{now: time.Now, sleep: ctxtime.Sleep}
	}
	return &pacer{rate: rate, now: c.now, sleep: c.sleep}
}

// take books units and waits until the booking starts.
func (p *pacer) take(ctx context.Context, units float64) error {
	if p == nil {
		return ctx.Err()
	}
	p.mu.Lock()
	now := p.now()
	start := p.next
	if start.Before(now) {
		start = now // unused capacity does not accumulate into a burst
	}
	p.next = start.Add(p.duration(units))
	p.mu.Unlock()
	if d := start.Sub(now); d > 0 {
		return p.sleep(ctx, d)
	}
	return ctx.Err()
}

// adjust corrects the bookings by units consumed beyond (or, negative,
// short of) what was booked.
func (p *pacer) adjust(units float64) {
	if p == nil || units == 0 {
		return
	}
	p.mu.Lock()
	p.next = p.next.Add(p.duration(units))
	p.mu.Unlock()
}

func (p *pacer) duration(units float64) time.Duration {
	return time.Duration(units / p.rate * float64(time.Second))
}
