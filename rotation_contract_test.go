package dynamosession_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/ttl"
)

func rotationKey(id string) codec.Key {
	sum := sha256.Sum256([]byte("rotation test " + id))
	return codec.Key{ID: id, Secret: sum[:]}
}

// testKeyRotationCompletes follows SECURITY.md's rotation procedure for a
// user who only ever reads their session: sealed under k1, the fleet
// switches to (k2 current, k1 previous), the user browses every 30
// minutes for 72 hours with a 24-hour TTL, then k1 is dropped. Due touches
// reseal under k2 on the way, at no extra write, so the session still
// opens (issue 12, item 4).
func testKeyRotationCompletes(t *testing.T, e *env) {
	ctx := context.Background()
	k1, k2 := rotationKey("k1"), rotationKey("k2")
	sealed := func(current codec.Key, previous ...codec.Key) func(*dynamosession.Options[cart]) {
		kr, err := codec.NewKeyring(current, previous...)
		if err != nil {
			t.Fatal(err)
		}
		return func(o *dynamosession.Options[cart]) {
			o.Codec = codec.Sealed[cart](codec.Msgpack[cart]{}, kr)
			o.TTL = ttl.Sliding(24 * time.Hour)
		}
	}
	before := newRepo(t, e, sealed(k1))
	id := newID(t)
	if _, err := before.Put(ctx, id, cart{User: "ada", Items: []string{"book"}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)

	during := newRepo(t, e, sealed(k2, k1))
	e.reset()
	touches := 0
	for elapsed := time.Duration(0); elapsed < 72*time.Hour; elapsed += 30 * time.Minute {
		s, err := during.Get(ctx, id)
		if err != nil {
			t.Fatalf("after %v: Get = %v", elapsed, err)
		}
		if err := during.Save(ctx, s); err != nil {
			t.Fatalf("after %v: Save = %v", elapsed, err)
		}
		wrote, err := during.Touch(ctx, s)
		if err != nil {
			t.Fatalf("after %v: Touch = %v", elapsed, err)
		}
		if wrote {
			touches++
		}
		e.clock.Advance(30 * time.Minute)
	}
	if n := e.count("UpdateItem"); n != touches {
		t.Errorf("%d UpdateItems for %d due touches: resealing must ride on the touches", n, touches)
	}

	after := newRepo(t, e, sealed(k2))
	s, err := after.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get after dropping k1 = %v, want the session (resealed under k2 at a due touch)", err)
	}
	if s.Data.User != "ada" {
		t.Errorf("User = %q after rotation, want ada", s.Data.User)
	}
}

// testTouchResealNeverUndoesASave checks that a due touch's reseal is
// conditional on the stored data being what was read: a Save that landed
// between the read and the touch stays.
func testTouchResealNeverUndoesASave(t *testing.T, e *env) {
	ctx := context.Background()
	kr1, _ := codec.NewKeyring(rotationKey("k1"))
	kr2, _ := codec.NewKeyring(rotationKey("k2"), rotationKey("k1"))
	old := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Sealed[cart](codec.Msgpack[cart]{}, kr1) })
	cur := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Sealed[cart](codec.Msgpack[cart]{}, kr2) })
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

// testVersionedSaveAfterNodeWrite: a record another store wrote last holds
// no version; a versioned Save must still prove the record is the one it
// read, by its data (issue 12, item 7).
func testVersionedSaveAfterNodeWrite(t *testing.T, e *env) {
	ctx := context.Background()
	now := e.clock.Now()
	versioned := func(o *dynamosession.Options[cart]) {
		o.Prefix, o.Codec, o.Versioned = "sess:", codec.JSON[cart]{}, true
	}
	t.Run("Node wrote before and after the read", func(t *testing.T) {
		repo := newRepo(t, e, versioned)
		id := newID(t)
		e.putRaw(t, connectItem("sess:"+id, now.Add(time.Hour), `{"user":"node","items":["a"]}`))
		s, err := repo.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		e.putRaw(t, connectItem("sess:"+id, now.Add(time.Hour), `{"user":"node","items":["a","b"]}`))
		s.Data.Count = 1
		if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrConflict) {
			t.Fatalf("Save over a newer Node write = %v, want ErrConflict", err)
		}
		if got := e.raw(t, "sess:"+id)["sess"].(*types.AttributeValueMemberS).Value; got != `{"user":"node","items":["a","b"]}` {
			t.Errorf("Node's write was overwritten: %s", got)
		}
		if err := repo.DeleteIfUnchanged(ctx, s); !errors.Is(err, dynamosession.ErrConflict) {
			t.Fatalf("DeleteIfUnchanged after a newer Node write = %v, want ErrConflict", err)
		}
	})
	t.Run("Go wrote before the read, Node after", func(t *testing.T) {
		repo := newRepo(t, e, versioned)
		id := newID(t)
		if _, err := repo.Put(ctx, id, cart{User: "go"}); err != nil {
			t.Fatal(err)
		}
		s, err := repo.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		e.putRaw(t, connectItem("sess:"+id, now.Add(time.Hour), `{"user":"node"}`))
		s.Data.Count = 1
		if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrConflict) {
			t.Fatalf("Save over a newer Node write = %v, want ErrConflict", err)
		}
	})
	t.Run("nobody wrote in between", func(t *testing.T) {
		repo := newRepo(t, e, versioned)
		id := newID(t)
		e.putRaw(t, connectItem("sess:"+id, now.Add(time.Hour), `{"user":"node"}`))
		s, err := repo.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s.Data.Count = 1
		if err := repo.Save(ctx, s); err != nil {
			t.Fatalf("Save = %v", err)
		}
	})
}
