// This file tests session IDs: invalid IDs send nothing, hashed IDs stay
// out of the table.

package dynamosession_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strings"
	"testing"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/internal/capacity"
)

func testInvalidIDs(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	for name, id := range map[string]string{
		"empty":    "",
		"not utf8": "abc\xff",
		"too long": strings.Repeat("x", 2048-len("session#")+1),
	} {
		t.Run(name, func(t *testing.T) {
			e.reset()
			_, err := repo.Get(ctx, id)
			if !errors.Is(err, dynamosession.ErrInvalidID) {
				t.Errorf("Get = %v, want ErrInvalidID", err)
			}
			if _, err := repo.Put(ctx, id, cart{}); !errors.Is(err, dynamosession.ErrInvalidID) {
				t.Errorf("Put = %v, want ErrInvalidID", err)
			}
			if err := repo.Delete(ctx, id); !errors.Is(err, dynamosession.ErrInvalidID) {
				t.Errorf("Delete = %v, want ErrInvalidID", err)
			}
			if n := e.count(""); n != 0 {
				t.Errorf("%d requests sent for an invalid ID", n)
			}
		})
	}
	// The longest valid key works on the backend too.
	id := strings.Repeat("x", 2048-len("session#"))
	if _, err := repo.Put(ctx, id, cart{User: "long"}); err != nil {
		t.Fatalf("Put with a 2048-byte key: %v", err)
	}
	if _, err := repo.Get(ctx, id); err != nil {
		t.Fatalf("Get with a 2048-byte key: %v", err)
	}
}

func testHashIDs(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.HashIDs = true })
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	if e.raw(t, "session#"+id) != nil {
		t.Fatal("the session ID is stored in the clear")
	}
	sum := sha256.Sum256([]byte(id))
	if e.raw(t, "session#"+base64.RawURLEncoding.EncodeToString(sum[:])) == nil {
		t.Fatal("no record under the hashed key")
	}
	s, err := repo.Get(ctx, id)
	if err != nil || s.ID != id || s.Data.User != "ada" {
		t.Fatalf("Get = %+v, %v", s, err)
	}
	s.Data.Count = 1
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	if err := repo.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
}

func TestInvalidIDSendsNothing(t *testing.T) {
	db := newFake(t)
	var calls callLog
	repo := faultRepo[cart](t, db, &calls, versioned)
	ctx := context.Background()
	ops := []struct {
		name string
		run  func(id string) error
	}{
		{"Get", func(id string) error { _, err := repo.Get(ctx, id); return err }},
		{"Put", func(id string) error { return put(repo.Put(ctx, id, cart{User: "u"})) }},
		{"Delete", func(id string) error { return repo.Delete(ctx, id) }},
		{"Update", func(id string) error {
			_, err := repo.Update(ctx, id, func(*cart) error { return nil })
			return err
		}},
	}
	ids := []struct{ name, id string }{
		{"empty", ""},
		{"invalid UTF-8 byte", "abc\xff"},
		{"truncated UTF-8 sequence", "caf\xc3"},
		{"UTF-16 surrogate encoded as UTF-8", "\xed\xa0\x80"},
		{"overlong UTF-8 encoding", "\xc0\xaf"},
		{"key one byte over 2048", strings.Repeat("x", capacity.MaxPartitionKeyBytes-len("session#")+1)},
		// DynamoDB counts bytes, not characters: 1021 characters, 2042 bytes.
		{"key over 2048 bytes in fewer characters", strings.Repeat("é", 1021)},
	}
	for _, op := range ops {
		for _, tt := range ids {
			t.Run(op.name+"/"+tt.name, func(t *testing.T) {
				calls.reset()
				db.ResetStats()
				err := op.run(tt.id)
				if !errors.Is(err, dynamosession.ErrInvalidID) {
					t.Fatalf("%s(%q) = %v, want ErrInvalidID", op.name, tt.id, err)
				}
				if n, sent := calls.count(""), totalCalls(db); n != 0 || sent != 0 {
					t.Fatalf("%s of an invalid ID observed %d requests, the fake received %d; want none", op.name, n, sent)
				}
			})
		}
	}
	// The largest valid keys reach the table and work.
	for _, id := range []string{
		strings.Repeat("x", capacity.MaxPartitionKeyBytes-len("session#")),
		strings.Repeat("é", (capacity.MaxPartitionKeyBytes-len("session#"))/2),
	} {
		if _, err := repo.Put(ctx, id, cart{User: "longest"}); err != nil {
			t.Fatalf("Put with a %d-byte key: %v", len("session#"+id), err)
		}
		if s, err := repo.Get(ctx, id); err != nil || s.Data.User != "longest" {
			t.Fatalf("Get with a %d-byte key = %v, %v", len("session#"+id), s, err)
		}
	}
}
