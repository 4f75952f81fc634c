package fake

import (
	"context"
	"sync"
	"time"
)

// start is where every DB's clock starts: fixed, so that what a test
// stores and prints is the same on every run.
var start = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// clock is the time a DB follows. It stands still until a test moves it
// ([DB.Advance]), so that nothing in the fake depends on wall time.
type clock struct {
	mu    sync.Mutex
	at    time.Time
	moved chan struct{} // closed, and replaced, whenever the time is moved
}

func newClock() *clock { return &clock{at: start, moved: make(chan struct{})} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.at
}

// advance moves the clock by d and wakes what waits on it.
func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at = c.at.Add(d)
	close(c.moved)
	c.moved = make(chan struct{})
}

// sleep waits until the clock has moved d, or until ctx is done, and
// returns ctx.Err() in that case. The clock moves only when a test
// advances it, so a call held here waits for the test (or for its own
// context's deadline, which is wall time).
func (c *clock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	end := c.at.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		now, moved := c.at, c.moved
		c.mu.Unlock()
		if !now.Before(end) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-moved:
		}
	}
}

// Now returns the DB's clock: 2025-01-01 00:00:00 UTC when the DB was
// made, plus however far [DB.Advance] has moved it since. It has the type
// of a dynamosession repository's Clock option: give db.Now to the
// repository, so that the fake and the code under test see one time (the
// httpsession middleware and the scs and gorilla stores have no clock of
// their own; they follow their repository's).
func (db *DB) Now() time.Time { return db.clock.now() }

// Advance moves the DB's clock forward by d (back, when d is negative),
// instead of a test sleeping: for code under test that follows [DB.Now],
// sessions expire; calls held by [DB.SetLatency] return once the clock
// has moved past their latency; eventually consistent reads catch up
// with writes older than the replica lag ([DB.SetReplicaLag]). Advance
// is safe to call while other goroutines' calls wait on the clock.
func (db *DB) Advance(d time.Duration) { db.clock.advance(d) }
