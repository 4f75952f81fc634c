package dynamosession_test

// Contract cases for the one rule of expiry: every condition the
// repository sends to DynamoDB decides "expired" exactly as a read does,
// for every form of expiry the readers accept (issue 12, item 3).

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
)

// expiryForms returns stored expiries around now in every unit a read
// accepts, each with whether a read at now calls it live.
func expiryForms(now time.Time) []struct {
	name   string
	stored string
	live   bool
} {
	s := now.Unix()
	return []struct {
		name   string
		stored string
		live   bool
	}{
		{"seconds/past", fmt.Sprint(s - 1), false},
		{"seconds/now", fmt.Sprint(s), false},
		{"seconds/future", fmt.Sprint(s + 100), true},
		{"fractional/just past", fmt.Sprintf("%d.2", s), false},                // now is s.5
		{"fractional/just ahead", fmt.Sprintf("%d.7", s), true},                // connect-dynamodb 3.x
		{"fractional/nanosecond ahead", fmt.Sprintf("%d.5000000001", s), true}, // past float64's precision
		{"milliseconds/past", fmt.Sprint((s - 4000) * 1000), false},            // connect-dynamodb 2.x
		{"milliseconds/just past", fmt.Sprint(s*1000 + 499), false},
		{"milliseconds/just ahead", fmt.Sprint(s*1000 + 501), true},
		{"milliseconds/future", fmt.Sprint((s + 100) * 1000), true},
		{"exponent", fmt.Sprintf("%de-3", (s+100)*1000), true},
	}
}

// testLegacyExpiriesAgree stores connect-dynamodb records with every form
// of expiry and checks that Get, a versioned Put over the record and a
// RewriteOnRead agree on whether it is live, on the server as in Go.
func testLegacyExpiriesAgree(t *testing.T, e *env) {
	e.clock.Advance(500 * time.Millisecond) // now = s.5, so sub-second forms matter
	now := e.clock.Now()
	for _, f := range expiryForms(now) {
		t.Run(f.name, func(t *testing.T) {
			ctx := context.Background()
			repo := newRepo(t, e, func(o *dynamosession.Options[cart]) {
				o.Prefix, o.Codec, o.Versioned = "sess:", codec.JSON[cart]{}, true
			})
			id := newID(t)
			item := map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "sess:" + id},
				"sess":    &types.AttributeValueMemberS{Value: `{"user":"node"}`},
				"type":    &types.AttributeValueMemberS{Value: "connect-session"},
				"expires": &types.AttributeValueMemberN{Value: f.stored},
			}
			e.putRaw(t, item)
			_, err := repo.Get(ctx, id)
			if gotLive := err == nil; gotLive != f.live {
				t.Fatalf("Get = %v: live %v, want live %v", err, gotLive, f.live)
			}
			_, err = repo.Put(ctx, id, cart{User: "go"})
			switch {
			case f.live && !errors.Is(err, dynamosession.ErrConflict):
				t.Fatalf("versioned Put over a live record = %v, want ErrConflict", err)
			case !f.live && err != nil:
				t.Fatalf("versioned Put over an expired record = %v, want it to replace the record", err)
			}
		})
	}
}

// testOutOfRangeExpiryIsKept: an expiry beyond ±1e18 s is undecodable to
// a read, and a condition sees it as not expired, so no write replaces it.
func testOutOfRangeExpiryIsKept(t *testing.T, e *env) {
	ctx := context.Background()
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) {
		o.Prefix, o.Codec, o.Versioned = "sess:", codec.JSON[cart]{}, true
	})
	for _, stored := range []string{"1e125", "-1e19", "-1e125", "-1000000000000000001"} {
		t.Run(stored, func(t *testing.T) {
			id := newID(t)
			item := connectItem("sess:"+id, e.clock.Now(), `{"user":"node"}`)
			item["expires"] = &types.AttributeValueMemberN{Value: stored}
			e.putRaw(t, item)
			var de *dynamosession.DecodeError
			if _, err := repo.Get(ctx, id); !errors.As(err, &de) || de.Attr != "expires" {
				t.Fatalf("Get = %v, want a *DecodeError on expires", err)
			}
			if _, err := repo.Put(ctx, id, cart{User: "go"}); !errors.Is(err, dynamosession.ErrConflict) {
				t.Fatalf("versioned Put over it = %v, want ErrConflict", err)
			}
			got, _ := new(big.Rat).SetString(e.raw(t, "sess:"+id)["expires"].(*types.AttributeValueMemberN).Value)
			if want, _ := new(big.Rat).SetString(stored); got == nil || got.Cmp(want) != 0 {
				t.Errorf("stored expires = %v, want %s untouched", got, stored)
			}
		})
	}
}

// testSaveConditionAgreesWithReads reads a live record, then lets another
// program rewrite its expiry in an older unit to a moment already past:
// the Save's condition must see it expired, as a read would, and write
// nothing.
func testSaveConditionAgreesWithReads(t *testing.T, e *env) {
	ctx := context.Background()
	e.clock.Advance(500 * time.Millisecond)
	now := e.clock.Now()
	for _, stale := range []string{
		fmt.Sprint((now.Unix() - 10) * 1000), // milliseconds
		fmt.Sprintf("%d.4", now.Unix()),      // fractional
	} {
		t.Run(stale, func(t *testing.T) {
			repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Prefix, o.Codec = "sess:", codec.JSON[cart]{} })
			id := newID(t)
			e.putRaw(t, connectItem("sess:"+id, now.Add(time.Hour), `{"user":"node"}`))
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			item := e.raw(t, "sess:"+id)
			item["expires"] = &types.AttributeValueMemberN{Value: stale}
			e.putRaw(t, item)
			s.Data.Count = 7
			if err := repo.Save(ctx, s); err == nil {
				t.Fatalf("Save over a record whose expiry (%s) passed = nil, want an error", stale)
			}
			if got := e.raw(t, "sess:"+id)["sess"].(*types.AttributeValueMemberS).Value; got != `{"user":"node"}` {
				t.Errorf("stored data = %s, want it untouched", got)
			}
		})
	}
}
