// This file tests Repo.Get: missing, expired and husk records, read
// consistency, and the rewrite on read.

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
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/testclock"
)

func testGetMissing(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	_, err := repo.Get(context.Background(), newID(t))
	if !errors.Is(err, dynamosession.ErrNotFound) || errors.Is(err, dynamosession.ErrExpired) {
		t.Fatalf("Get = %v, want ErrNotFound (not ErrExpired)", err)
	}
}

func testExpiredButPresent(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	id := newID(t)
	if _, err := repo.Put(context.Background(), id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(24 * time.Hour) // expires == now: expired
	_, err := repo.Get(context.Background(), id)
	if !errors.Is(err, dynamosession.ErrNotFound) || !errors.Is(err, dynamosession.ErrExpired) {
		t.Fatalf("Get of an expired record = %v, want ErrNotFound and ErrExpired", err)
	}
	if e.raw(t, "session#"+id) == nil {
		t.Fatal("the expired record is gone; the test needs it present")
	}
}

func testConsistency(t *testing.T, e *env) {
	ctx := context.Background()
	id := newID(t)
	eventual := newRepo[cart](t, e)
	strong := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Consistency = consistency.Strong })
	if _, err := eventual.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		repo *dynamosession.Repo[cart]
		ctx  context.Context
		want float64 // read units for an item under 4 KB
	}{
		{"eventual", eventual, ctx, 0.5},
		{"strong", strong, ctx, 1},
		{"eventual repo, strong override", eventual, consistency.WithStrongRead(ctx), 1},
		{"strong repo, eventual override", strong, consistency.WithEventualRead(ctx), 0.5},
	}
	for _, tt := range tests {
		e.reset()
		if _, err := tt.repo.Get(tt.ctx, id); err != nil {
			t.Fatal(err)
		}
		if got, _ := e.units(); got != tt.want {
			t.Errorf("%s: read consumed %v units, want %v", tt.name, got, tt.want)
		}
	}
}

func testRewriteOnRead(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) {
		o.Prefix = "sess:"
		o.Codec = codec.Msgpack[cart]()
		o.RewriteOnRead = true
	})
	ctx := context.Background()
	id := newID(t)
	e.putRaw(t, connectItem("sess:"+id, e.clock.Now().Add(time.Hour), `{"user":"ada"}`))
	e.reset()
	s, err := repo.Get(ctx, id)
	if err != nil || s.Data.User != "ada" {
		t.Fatalf("Get = %+v, %v", s, err)
	}
	if e.count("UpdateItem") != 1 {
		t.Fatalf("RewriteOnRead sent %d UpdateItem, want 1", e.count("UpdateItem"))
	}
	if _, ok := e.raw(t, "sess:"+id)["sess"].(*types.AttributeValueMemberB); !ok {
		t.Fatal("record not rewritten as msgpack")
	}
	e.reset()
	if _, err := repo.Get(ctx, id); err != nil || e.count("UpdateItem") != 0 {
		t.Fatalf("second Get = %v with %d writes, want no write", err, e.count("UpdateItem"))
	}
}

// testHusk: connect-dynamodb's unconditional touch can leave {id, expires}
// behind a logout. It is no session, and a new session may take its key.
func testHusk(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true })
	ctx := context.Background()
	id := newID(t)
	e.putRaw(t, map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#" + id},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
	})
	if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Get of a husk = %v, want ErrNotFound", err)
	}
	if _, err := repo.Put(ctx, id, cart{User: "new"}); err != nil {
		t.Fatalf("versioned Put over a husk: %v", err)
	}
	if s, err := repo.Get(ctx, id); err != nil || s.Data.User != "new" {
		t.Fatalf("Get after Put = %+v, %v", s, err)
	}
}

// testRewriteMapRecord: the rewrite is conditional on the stored value
// being the one read (#d = :old), which DynamoDB must evaluate on a map.
func testRewriteMapRecord(t *testing.T, e *env) {
	ctx := context.Background()
	id := newID(t)
	mapRepo := newRepo[cart](t, e) // writes Map
	if _, err := mapRepo.Put(ctx, id, cart{User: "ada", Meta: map[string]any{"a": 1.0, "b": "x"}}); err != nil {
		t.Fatal(err)
	}
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart](); o.RewriteOnRead = true })
	e.reset()
	if _, err := repo.Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	if e.count("UpdateItem") != 1 {
		t.Fatalf("rewrite sent %d UpdateItem, want 1", e.count("UpdateItem"))
	}
	if _, ok := e.raw(t, "session#"+id)["sess"].(*types.AttributeValueMemberB); !ok {
		t.Fatal("the Map record was not rewritten as msgpack")
	}
}

// RewriteOnRead overwrites a write made between its GetItem and its rewrite.
func TestRewriteOnReadLostUpdate(t *testing.T) {
	clk := testclock.New(time.Unix(1_800_000_000, 0))
	db := fake.New()
	if err := createSessions(db); err != nil {
		t.Fatal(err)
	}
	exp := "1800086400"
	putRawItem(t, db, map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "session#abc"}, "expires": &types.AttributeValueMemberN{Value: exp},
		"sess": &types.AttributeValueMemberS{Value: `{"user":"old","items":null,"count":1}`},
	})
	other, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = clk.Now })
	h := &hookDB{DB: db}
	h.after = onFirst("GetItem", func() { // a concurrent request changes the session
		s, err := other.Get(context.Background(), "abc")
		if err != nil {
			t.Fatal(err)
		}
		s.Data.Count = 99
		if err := other.Save(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	})
	mig, _ := dynamosession.New[cart](h, "sessions", func(o *dynamosession.Options[cart]) {
		o.Clock = clk.Now
		o.Codec = codec.Msgpack[cart]()
		o.RewriteOnRead = true
	})
	if _, err := mig.Get(context.Background(), "abc"); err != nil {
		t.Fatal(err)
	}
	s, err := other.Get(context.Background(), "abc")
	if err != nil {
		t.Fatal(err)
	}
	if s.Data.Count != 99 {
		t.Errorf("after a read with RewriteOnRead, count = %d, want 99 (concurrent Save lost)", s.Data.Count)
	}
}
