// This file tests Repo.Save: when it writes, versioned conflicts, and
// saves over deleted or husk records.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/google/go-cmp/cmp"
)

func testSaveUnchanged(t *testing.T, e *env) {
	for _, c := range []codec.Codec[cart]{codec.Map[cart](), codec.JSON[cart](), codec.Msgpack[cart]()} {
		t.Run(string(c.Format()), func(t *testing.T) {
			repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = c; o.Versioned = true })
			ctx := context.Background()
			id := newID(t)
			meta := map[string]any{}
			for i := range 20 { // many keys: map order must not matter
				meta[fmt.Sprint("k", i)] = i
			}
			if _, err := repo.Put(ctx, id, cart{User: "ada", Meta: meta}); err != nil {
				t.Fatal(err)
			}
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			e.reset()
			if err := repo.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
			if n := e.count(""); n != 0 {
				t.Fatalf("Save of unchanged data sent %d requests, want 0", n)
			}
		})
	}
}

func testSaveChanged(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, _ := repo.Get(ctx, id)
	s.Data.Items = append(s.Data.Items, "lamp")
	e.clock.Advance(time.Minute)
	e.reset()
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if e.count("UpdateItem") != 1 || e.count("") != 1 {
		t.Fatalf("Save sent %d requests, want one UpdateItem", e.count(""))
	}
	got, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"lamp"}, got.Data.Items); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got.ExpiresAt.Unix() != e.clock.Now().Add(24*time.Hour).Unix() {
		t.Errorf("Save did not refresh the expiry: %v", got.ExpiresAt)
	}
}

func testSaveAfterDelete(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, _ := repo.Get(ctx, id)
	if err := repo.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	s.Data.Count++
	if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Save after Delete = %v, want ErrNotFound", err)
	}
	if item := e.raw(t, "session#"+id); item != nil {
		t.Fatalf("Save resurrected a deleted session: %v", item)
	}
}

func testVersionedSaveConflict(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true })
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	}
	tab1, _ := repo.Get(ctx, id)
	tab2, _ := repo.Get(ctx, id)
	tab1.Data.Items = append(tab1.Data.Items, "from tab 1")
	tab2.Data.Items = append(tab2.Data.Items, "from tab 2")
	if err := repo.Save(ctx, tab1); err != nil {
		t.Fatalf("first Save: %v", err)
	}
	err := repo.Save(ctx, tab2)
	if !errors.Is(err, dynamosession.ErrConflict) {
		t.Fatalf("second Save = %v, want ErrConflict", err)
	}
	// Tab 2 recovers its intent by re-reading and reapplying.
	s, err := repo.Update(ctx, id, func(c *cart) error {
		c.Items = append(c.Items, "from tab 2")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"from tab 1", "from tab 2"}, s.Data.Items); diff != "" {
		t.Errorf("both tabs' intent (-want +got):\n%s", diff)
	}
	if s.Version != 3 {
		t.Errorf("Version = %d, want 3", s.Version)
	}
}

// testSaveIntoHusk: connect-dynamodb's touch can recreate {id, expires}
// after a logout; a Save of the session read before must not fill it.
func testSaveIntoHusk(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, _ := repo.Get(ctx, id)
	if err := repo.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	e.putRaw(t, map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#" + id},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
	})
	s.Data.Count = 1
	if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Save into a husk = %v, want ErrNotFound", err)
	}
	if _, ok := e.raw(t, "session#"+id)["sess"]; ok {
		t.Fatal("Save revived the session inside the husk")
	}
}

// TestStoredVersionZero: a record whose version is 0 (the library starts
// at 1, other writers need not) reads as version 0, and Save must then
// write version 1 on the condition that the stored version is still 0.
func TestStoredVersionZero(t *testing.T) {
	ctx := context.Background()
	db := newFake(t)
	var calls callLog
	repo := faultRepo[cart](t, db, &calls, versioned)
	if err := db.PutRaw("sessions", map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#zero"},
		"sess":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(faultNow.Add(time.Hour).Unix())},
		"version": &types.AttributeValueMemberN{Value: "0"},
	}); err != nil {
		t.Fatal(err)
	}
	s, err := repo.Update(ctx, "zero", func(c *cart) error { c.Count++; return nil })
	if err != nil || s.Version != 1 {
		t.Fatalf("Update of a version-0 record = %v, %v; want version 1", s, err)
	}
	if n := calls.count("UpdateItem"); n != 1 {
		t.Errorf("Update sent %d writes, want 1", n)
	}
}

// Save writes data into a husk {id, expires} left by connect-dynamodb's
// unconditional touch after a logout: the session is resurrected.
func TestSaveIntoHusk(t *testing.T) {
	clk := testclock.New(time.Unix(1_800_000_000, 0))
	db := fake.New()
	_ = createSessions(db)
	repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = clk.Now })
	ctx := context.Background()
	if _, err := repo.Put(ctx, "abc", cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, _ := repo.Get(ctx, "abc")
	_ = repo.Delete(ctx, "abc")                        // logout in another tab
	putRawItem(t, db, map[string]types.AttributeValue{ // connect-dynamodb's touch recreates a husk
		"id": &types.AttributeValueMemberS{Value: "session#abc"}, "expires": &types.AttributeValueMemberN{Value: "1800090000"},
	})
	s.Data.Count = 5
	err := repo.Save(ctx, s)
	if _, gerr := repo.Get(ctx, "abc"); gerr == nil {
		t.Errorf("Save into a husk = %v; the logged-out session is alive again", err)
	}
}

func TestSaveRequiresGet(t *testing.T) {
	repo, _ := dynamosession.New[cart](newFake(t), "sessions")
	if err := repo.Save(context.Background(), &dynamosession.Session[cart]{ID: "x"}); err == nil {
		t.Error("Save of a session not read by Get succeeded")
	}
	if _, err := repo.Touch(context.Background(), nil); err == nil {
		t.Error("Touch(nil) succeeded")
	}
}

// testVersionedSaveAfterNodeWrite: a record another store wrote last holds
// no version; a versioned Save must still prove the record is the one it
// read, by its data (issue 12, item 7).
func testVersionedSaveAfterNodeWrite(t *testing.T, e *env) {
	ctx := context.Background()
	now := e.clock.Now()
	versioned := func(o *dynamosession.Options[cart]) {
		o.Prefix, o.Codec, o.Versioned = "sess:", codec.JSON[cart](), true
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
