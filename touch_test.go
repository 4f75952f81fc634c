// This file tests Repo.Touch: the throttle (and its default from the TTL) and
// its races with deletes and saves.

package dynamosession_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/ttl"
)

// TestDefaultTouchFromTTL checks that a repository given only a TTL gets
// a touch interval of a tenth of it, whatever the TTL, and that an
// interval the user sets is kept.
func TestDefaultTouchFromTTL(t *testing.T) {
	tests := []struct {
		name  string
		ttl   time.Duration
		touch ttl.Throttle // nil: the default
		want  time.Duration
	}{
		{"an hour", time.Hour, nil, 6 * time.Minute},
		{"14 days", 14 * 24 * time.Hour, nil, 33*time.Hour + 36*time.Minute},
		{"a minute", time.Minute, nil, 6 * time.Second},
		{"14 days, touch set", 14 * 24 * time.Hour, ttl.TouchAfter(time.Hour), time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			repo, err := dynamosession.New[cart](fake.New(), "sessions", func(o *dynamosession.Options[cart]) {
				o.TTL = ttl.Sliding(tt.ttl)
				o.Touch = tt.touch
			})
			if err != nil {
				t.Fatalf("New with TTL %v: %v", tt.ttl, err)
			}
			if got := repo.Options().Touch.Interval(); got != tt.want {
				t.Errorf("touch interval %v, want %v", got, tt.want)
			}
		})
	}
	// The derived interval is what Touch obeys: with a one-hour TTL, a
	// session read 5 minutes after its write is not touched, one read 6
	// minutes after is.
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	repo, err := dynamosession.New[cart](newFake(t), "sessions", func(o *dynamosession.Options[cart]) {
		o.TTL = ttl.Sliding(time.Hour)
		o.Clock = func() time.Time { return now }
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := repo.Put(ctx, "a", cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		after time.Duration
		want  bool
	}{{5 * time.Minute, false}, {time.Minute, true}} {
		now = now.Add(step.after)
		s, err := repo.Get(ctx, "a")
		if err != nil {
			t.Fatal(err)
		}
		if touched, err := repo.Touch(ctx, s); err != nil || touched != step.want {
			t.Errorf("Touch at %s = %v, %v; want %v", now.Format(time.TimeOnly), touched, err, step.want)
		}
	}
}

func testTouchThrottled(t *testing.T, e *env) {
	repo := newRepo[cart](t, e) // TouchAfter(1h), Sliding(24h)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(59 * time.Minute)
	e.reset()
	s, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	touched, err := repo.Touch(ctx, s)
	if err != nil || touched {
		t.Fatalf("Touch inside the interval = %v, %v; want false, nil", touched, err)
	}
	if n := e.count("UpdateItem") + e.count("PutItem"); n != 0 {
		t.Fatalf("Touch inside the interval sent %d writes, want 0", n)
	}

	e.clock.Advance(2 * time.Minute)
	e.reset()
	s, err = repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	touched, err = repo.Touch(ctx, s)
	if err != nil || !touched {
		t.Fatalf("Touch past the interval = %v, %v; want true, nil", touched, err)
	}
	if got, want := e.count("UpdateItem"), 1; got != want || e.count("") != 2 {
		t.Fatalf("Touch past the interval sent %d UpdateItem of %d requests, want exactly 1 UpdateItem after 1 GetItem", got, e.count(""))
	}
	want := fmt.Sprint(e.clock.Now().Add(24 * time.Hour).Unix())
	if got := e.raw(t, "session#"+id)["expires"].(*types.AttributeValueMemberN).Value; got != want {
		t.Errorf("stored expires = %s, want %s", got, want)
	}
	if s.ExpiresAt.Unix() != e.clock.Now().Add(24*time.Hour).Unix() {
		t.Errorf("session ExpiresAt not updated: %v", s.ExpiresAt)
	}
	// Touching again at once is inside the new interval.
	if touched, _ := repo.Touch(ctx, s); touched {
		t.Error("second Touch right after a touch wrote again")
	}
}

func testTouchAfterDelete(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	touched, err := repo.Touch(ctx, s)
	if err != nil || touched {
		t.Fatalf("Touch after Delete = %v, %v; want false, nil", touched, err)
	}
	if item := e.raw(t, "session#"+id); item != nil {
		t.Fatalf("Touch resurrected a deleted session: %v", item)
	}
}

func testTouchLosesRace(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour)
	a, _ := repo.Get(ctx, id)
	b, _ := repo.Get(ctx, id)
	b.Data.Count = 7
	if err := repo.Save(ctx, b); err != nil { // a newer write
		t.Fatal(err)
	}
	e.clock.Advance(time.Second)
	touched, err := repo.Touch(ctx, a)
	if err != nil || touched {
		t.Fatalf("stale Touch = %v, %v; want false, nil", touched, err)
	}
	s, err := repo.Get(ctx, id)
	if err != nil || s.Data.Count != 7 {
		t.Fatalf("after a stale touch: %+v, %v; want the newer data", s, err)
	}
}

func testTouchRacingDelete(t *testing.T, e *env) {
	repo := newRepo[cart](t, e, func(o *dynamosession.Options[cart]) { o.Touch = ttl.TouchAfter(0) })
	ctx := context.Background()
	for i := range 20 {
		id := newID(t)
		if _, err := repo.Put(ctx, id, cart{}); err != nil {
			t.Fatal(err)
		}
		s, _ := repo.Get(ctx, id)
		e.clock.Advance(time.Second)
		var wg sync.WaitGroup
		wg.Add(2)
		go func() { defer wg.Done(); _, _ = repo.Touch(ctx, s) }()
		go func() { defer wg.Done(); _ = repo.Delete(ctx, id) }()
		wg.Wait()
		if item := e.raw(t, "session#"+id); item != nil {
			t.Fatalf("round %d: a touch racing a delete left %v", i, item)
		}
	}
}

// testTouchResealNeverUndoesASave checks that a due touch's reseal is
// conditional on the stored data being what was read: a Save that landed
// between the read and the touch stays.
func testTouchResealNeverUndoesASave(t *testing.T, e *env) {
	ctx := context.Background()
	kr1, _ := codec.NewKeyring(rotationKey("k1"))
	kr2, _ := codec.NewKeyring(rotationKey("k2"), rotationKey("k1"))
	old := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Sealed[cart](codec.Msgpack[cart](), kr1) })
	cur := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Sealed[cart](codec.Msgpack[cart](), kr2) })
	id := newID(t)
	if _, err := old.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(2 * time.Hour) // the touch is due
	reader, err := cur.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	writer, err := cur.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	writer.Data.Count = 5
	if err := cur.Save(ctx, writer); err != nil {
		t.Fatal(err)
	}
	if wrote, err := cur.Touch(ctx, reader); err != nil || wrote {
		t.Fatalf("Touch after a concurrent Save = %v, %v; want false, nil (the race is lost)", wrote, err)
	}
	got, err := cur.Get(ctx, id)
	if err != nil || got.Data.Count != 5 {
		t.Fatalf("after the touch: %+v, %v; want the saved Count 5", got, err)
	}
}
