package dynamosession_test

import (
	"context"
	"errors"
	"testing"

	"github.com/dynamosession/dynamosession"
)

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
