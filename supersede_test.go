// This file tests superseding a session (regeneration's tombstone).

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/google/go-cmp/cmp"
)

// TestSupersede: a regeneration's tombstone reads as ErrSuperseded (which
// is ErrNotFound too) for the grace period and as an expired record after,
// holds no data, and never lets the old ID act as a session.
func TestSupersede(t *testing.T) {
	onBackends(t, map[string]func(t *testing.T, e *env){
		"tombstone": func(t *testing.T, e *env) {
			repo := newRepo[cart](t, e)
			ctx := context.Background()
			id := newID(t)
			if _, err := repo.Put(ctx, id, cart{User: "ada", Items: []string{"book"}}); err != nil {
				t.Fatal(err)
			}
			s, err := repo.Get(ctx, id) // a request in flight loaded it
			if err != nil {
				t.Fatal(err)
			}
			now := e.clock.Now()
			if err := repo.Supersede(ctx, id, 30*time.Second); err != nil {
				t.Fatal(err)
			}
			want := map[string]types.AttributeValue{
				"id":         &types.AttributeValueMemberS{Value: "session#" + id},
				"expires":    &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(30 * time.Second).Unix())},
				"superseded": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Unix())},
			}
			if diff := cmp.Diff(want, e.raw(t, "session#"+id), cmpAV); diff != "" {
				t.Errorf("tombstone mismatch (-want +got):\n%s", diff)
			}
			_, err = repo.Get(ctx, id)
			if !errors.Is(err, dynamosession.ErrSuperseded) || !errors.Is(err, dynamosession.ErrNotFound) {
				t.Errorf("Get of the old ID = %v, want ErrSuperseded, which is ErrNotFound too", err)
			}
			s.Data.Items = append(s.Data.Items, "late")
			if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrNotFound) {
				t.Errorf("Save through the old ID = %v, want ErrNotFound", err)
			}
			e.clock.Advance(2 * time.Hour)
			if ok, err := repo.Touch(ctx, s); ok || err != nil {
				t.Errorf("Touch through the old ID = %v, %v; want no write", ok, err)
			}
			if diff := cmp.Diff(want, e.raw(t, "session#"+id), cmpAV); diff != "" {
				t.Errorf("the old ID's writes changed the tombstone (-want +got):\n%s", diff)
			}
			if _, err := repo.Get(ctx, id); !errors.Is(err, dynamosession.ErrExpired) {
				t.Errorf("Get after the grace = %v, want ErrExpired", err)
			}
		},
		"grace rounds up to the second": func(t *testing.T, e *env) {
			repo := newRepo[cart](t, e)
			ctx := context.Background()
			id := newID(t)
			must(t, put(repo.Put(ctx, id, cart{User: "ada"})))
			e.clock.Advance(300 * time.Millisecond)
			now := e.clock.Now()
			must(t, repo.Supersede(ctx, id, 10*time.Second))
			got := avString(e.raw(t, "session#"+id)["expires"])
			if want := fmt.Sprint("N:", now.Unix()+11); got != want {
				t.Errorf("expires = %v, want %s (now %v + 10 s, rounded up)", got, want, now)
			}
		},
		"nothing live: no tombstone": func(t *testing.T, e *env) {
			repo := newRepo[cart](t, e)
			ctx := context.Background()
			missing, husk := newID(t), newID(t)
			huskItem := map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "session#" + husk},
				"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
			}
			e.putRaw(t, huskItem)
			for _, id := range []string{missing, husk} {
				if err := repo.Supersede(ctx, id, time.Minute); err != nil {
					t.Errorf("Supersede(%s) = %v, want nil", id, err)
				}
			}
			if item := e.raw(t, "session#"+missing); item != nil {
				t.Errorf("Supersede of a missing ID wrote %v", item)
			}
			if diff := cmp.Diff(huskItem, e.raw(t, "session#"+husk), cmpAV); diff != "" {
				t.Errorf("Supersede changed a husk (-want +got):\n%s", diff)
			}
		},
		"no grace deletes": func(t *testing.T, e *env) {
			repo := newRepo[cart](t, e)
			ctx := context.Background()
			id := newID(t)
			must(t, put(repo.Put(ctx, id, cart{User: "ada"})))
			must(t, repo.Supersede(ctx, id, 0))
			if item := e.raw(t, "session#"+id); item != nil {
				t.Errorf("Supersede with no grace left %v", item)
			}
		},
		"versioned Put may reuse the key": func(t *testing.T, e *env) {
			repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Versioned = true })
			ctx := context.Background()
			id := newID(t)
			must(t, put(repo.Put(ctx, id, cart{User: "ada"})))
			must(t, repo.Supersede(ctx, id, time.Minute))
			if _, err := repo.Put(ctx, id, cart{User: "new"}); err != nil {
				t.Errorf("versioned Put over a tombstone = %v", err)
			}
		},
	})
}
