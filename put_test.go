// This file tests Repo.Put and Repo.Create.

package dynamosession_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
)

func testVersionedPut(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true })
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "first"}); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Put(ctx, id, cart{User: "second"}); !errors.Is(err, dynamosession.ErrConflict) {
		t.Fatalf("second versioned Put = %v, want ErrConflict", err)
	}
	s, err := repo.Get(ctx, id)
	if err != nil || s.Data.User != "first" || s.Version != 1 {
		t.Fatalf("after refused Put: %+v v%d, %v", s.Data, s.Version, err)
	}
	// An expired record may be replaced.
	e.clock.Advance(25 * time.Hour)
	if _, err := repo.Put(ctx, id, cart{User: "third"}); err != nil {
		t.Fatalf("versioned Put over an expired record: %v", err)
	}
}

func testCreate(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true; o.Codec = codec.Msgpack[cart]() })
	ctx := context.Background()
	id := newID(t)
	s, err := repo.Put(ctx, id, cart{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	if s.Version != 1 || s.ExpiresAt.Unix() != e.clock.Now().Add(24*time.Hour).Unix() {
		t.Fatalf("Create = version %d, expires %v", s.Version, s.ExpiresAt)
	}
	e.reset()
	if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
		t.Fatalf("Save right after Create = %v after %d requests, want none", err, e.count(""))
	}
	s.Data.Count = 5
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, err := repo.Get(ctx, id)
	if err != nil || got.Data.Count != 5 || got.Version != 2 {
		t.Fatalf("Get after Create+Save = %+v v%d, %v", got.Data, got.Version, err)
	}
}
