// This file tests Repo.Delete and Repo.DeleteSession, including deletes
// of records the repository cannot decode.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/google/go-cmp/cmp"
)

func testDelete(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := repo.Delete(ctx, id); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
	}
	if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Get after Delete = %v", err)
	}
}

func testVersionedDeleteSession(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true })
	ctx := context.Background()
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	}
	old, _ := repo.Get(ctx, id)
	cur, _ := repo.Get(ctx, id)
	cur.Data.Count = 1
	if err := repo.Save(ctx, cur); err != nil {
		t.Fatal(err)
	}
	if err := repo.DeleteIfUnchanged(ctx, old); !errors.Is(err, dynamosession.ErrConflict) {
		t.Fatalf("DeleteIfUnchanged of a stale version = %v, want ErrConflict", err)
	}
	if err := repo.DeleteIfUnchanged(ctx, cur); err != nil {
		t.Fatalf("DeleteIfUnchanged of the current version: %v", err)
	}
	if err := repo.DeleteIfUnchanged(ctx, cur); err != nil {
		t.Fatalf("DeleteIfUnchanged of a deleted session: %v", err)
	}
	if e.raw(t, "session#"+id) != nil {
		t.Fatal("session not deleted")
	}
}

// testDeleteIfUnchangedUnversioned: without versioning, DeleteIfUnchanged
// compares the data, so a logout never deletes a session another request
// changed since it was read.
func testDeleteIfUnchangedUnversioned(t *testing.T, e *env) {
	ctx := context.Background()
	repo := newRepo[cart](t, e)
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	stale, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	other, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	other.Data.Count = 3
	if err := repo.Save(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := repo.DeleteIfUnchanged(ctx, stale); !errors.Is(err, dynamosession.ErrConflict) {
		t.Fatalf("DeleteIfUnchanged of a changed session = %v, want ErrConflict", err)
	}
	if err := repo.DeleteIfUnchanged(ctx, other); err != nil {
		t.Fatalf("DeleteIfUnchanged of the session as saved = %v", err)
	}
	if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Get after the delete = %v, want ErrNotFound", err)
	}
	if err := repo.DeleteIfUnchanged(ctx, other); err != nil {
		t.Fatalf("DeleteIfUnchanged of a session already gone = %v, want nil", err)
	}
}

// TestDeleteUndecodable: only a record that still cannot be decoded, and
// is exactly as read, is deleted.
func TestDeleteUndecodable(t *testing.T) {
	bad := &types.AttributeValueMemberS{Value: `{"user":`}
	tests := []struct {
		name        string
		versioned   bool
		sess        types.AttributeValue // nil: no record at all
		meanwhile   types.AttributeValue // written between the read and the delete, if not nil
		wantDeleted bool
		wantKept    bool
	}{
		{name: "undecodable: deleted", sess: bad, wantDeleted: true},
		{name: "undecodable, versioned: deleted", versioned: true, sess: bad, wantDeleted: true},
		{name: "decodes: kept", sess: &types.AttributeValueMemberS{Value: `{"user":"ada"}`}, wantKept: true},
		{name: "absent: nothing to do", sess: nil},
		{name: "rewritten meanwhile: kept", sess: bad, meanwhile: &types.AttributeValueMemberS{Value: `{"user":"new"}`}, wantKept: true},
		{name: "another bad value meanwhile: kept", sess: bad, meanwhile: &types.AttributeValueMemberS{Value: `{"user":1`}, wantKept: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			onBackends(t, map[string]func(t *testing.T, e *env){"case": func(t *testing.T, e *env) {
				repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = tt.versioned })
				id := newID(t)
				item := func(sess types.AttributeValue) map[string]types.AttributeValue {
					return map[string]types.AttributeValue{
						"id":      &types.AttributeValueMemberS{Value: "session#" + id},
						"sess":    sess,
						"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
						"version": &types.AttributeValueMemberN{Value: "3"},
					}
				}
				if tt.sess != nil {
					e.putRaw(t, item(tt.sess))
				}
				ctx := context.Background()
				if tt.meanwhile != nil {
					// The delete's condition is what protects the newer
					// record: make it change just before the DeleteItem.
					ctx = context.WithValue(ctx, beforeDeleteKey{}, func() { e.putRaw(t, item(tt.meanwhile)) })
					repo = newRepo(t, &env{client: beforeDelete{e.client}, table: e.table, clock: e.clock},
						func(o *dynamosession.Options[cart]) { o.Versioned = tt.versioned })
				}
				deleted, err := repo.DeleteUndecodable(ctx, id)
				must(t, err)
				stored := e.raw(t, "session#"+id)
				got := struct{ Deleted, Kept bool }{deleted, stored != nil}
				want := struct{ Deleted, Kept bool }{tt.wantDeleted, tt.wantKept}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			}})
		})
	}
}

// beforeDelete runs the function a context carries under beforeDeleteKey
// just before each DeleteItem: a concurrent writer at the worst moment.
type beforeDelete struct{ backendClient }

type beforeDeleteKey struct{}

func (b beforeDelete) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	if f, ok := ctx.Value(beforeDeleteKey{}).(func()); ok {
		f()
	}
	return b.backendClient.DeleteItem(ctx, in, optFns...)
}
