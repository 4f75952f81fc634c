package fake

import (
	"context"
	"sync"
	"time"
)

// Clock is the time a [DB] follows: it decides which items
// [DB.SweepExpired] deletes, how long injected latency lasts
// ([DB.SetLatency]) and when a lagging replica catches up
// ([DB.SetReplicaLag]). Its Now method has the type of the Clock option of
// a dynamosession repository and of the middleware, so one Clock can drive
// the fake and the code under test alike:
//
//	db := fake.NewSessions()
//	repo, err := dynamosession.New[Cart](db, "sessions", func(o *dynamosession.Options[Cart]) { o.Clock = db.Clock().Now })
//	db.Clock().Advance(25 * time.Hour) // the session has expired, for both
//
// A Clock made by [NewClock] (as [NewSessions] does) stands still until a
// test moves it with Advance or Set. The Clock of a DB made by [New]
// follows Options.Clock (time.Now by default), shifted by however far the
// test has moved it. A Clock is safe for concurrent use.
type Clock struct {
	mu     sync.Mutex
	base   func() time.Time // nil: the clock stands still at at
	at     time.Time        // the time, when base is nil
	offset time.Duration    // how far Advance and Set moved a running clock
	moved  chan struct{}    // closed, and replaced, whenever the time is moved
}

// NewClock returns a Clock standing still at t.
func NewClock(t time.Time) *Clock {
	return &Clock{at: t, moved: make(chan struct{})}
}

// followClock returns a Clock that runs with now.
func followClock(now func() time.Time) *Clock {
	return &Clock{base: now, moved: make(chan struct{})}
}

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now()
}

func (c *Clock) now() time.Time {
	if c.base == nil {
		return c.at
	}
	return c.base().Add(c.offset)
}

// Advance moves the clock forward by d (back, when d is negative), and
// wakes what waits on it: calls held by latency, lagging replicas.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base == nil {
		c.at = c.at.Add(d)
	} else {
		c.offset += d
	}
	c.wake()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.base == nil {
		c.at = t
	} else {
		c.offset += t.Sub(c.now())
	}
	c.wake()
}

func (c *Clock) wake() {
	close(c.moved)
	c.moved = make(chan struct{})
}

// sleep waits out d of the clock, or until ctx is done, and returns
// ctx.Err() in that case. A standing clock ([NewClock]) gets there only
// when a test moves it. A running one follows another clock the fake
// cannot wait on (time.Now, or a test's own), so d passes in real time,
// or sooner when the test moves this Clock past it.
func (c *Clock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	end, running := c.now().Add(d), c.base != nil
	c.mu.Unlock()
	var tick <-chan time.Time
	if running {
		timer := time.NewTimer(d)
		defer timer.Stop()
		tick = timer.C
	}
	for {
		c.mu.Lock()
		now, moved := c.now(), c.moved
		c.mu.Unlock()
		if !now.Before(end) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick:
			return nil
		case <-moved:
		}
	}
}
