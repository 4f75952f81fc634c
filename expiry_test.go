// This file tests expiry: the stored expiry forms, lifetimes, and that
// nothing revives an expired record.

package dynamosession_test

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
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
	"github.com/google/go-cmp/cmp"
)

// testNoReviveExpired: a session held across its expiry can be neither
// saved nor touched back to life.
func testNoReviveExpired(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	id := newID(t)
	s, err := repo.Put(ctx, id, cart{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(25 * time.Hour)
	before := e.raw(t, "session#"+id)
	s.Data.Count = 1
	if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrExpired) {
		t.Fatalf("Save of an expired session = %v, want ErrExpired", err)
	}
	if touched, err := repo.Touch(ctx, s); touched || err != nil {
		t.Fatalf("Touch of an expired session = %v, %v; want false, nil", touched, err)
	}
	if diff := cmp.Diff(before, e.raw(t, "session#"+id), cmpAV); diff != "" {
		t.Errorf("the expired record changed (-want +got):\n%s", diff)
	}
}

// Save and Touch on a record whose expiry has passed (not yet swept by TTL)
// bring it back to life.
func TestSaveTouchResurrectExpired(t *testing.T) {
	for _, op := range []string{"save", "touch"} {
		t.Run(op, func(t *testing.T) {
			clk := testclock.New(time.Unix(1_800_000_000, 0))
			db := fake.New()
			_ = createSessions(db)
			repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = clk.Now })
			ctx := context.Background()
			s, err := repo.Put(ctx, "abc", cart{User: "ada"})
			if err != nil {
				t.Fatal(err)
			}
			clk.Advance(25 * time.Hour) // the session expired an hour ago
			if _, err := repo.Get(ctx, "abc"); !errors.Is(err, dynamosession.ErrExpired) {
				t.Fatalf("Get = %v, want ErrExpired", err)
			}
			if op == "save" {
				s.Data.Count = 1
				err = repo.Save(ctx, s)
			} else {
				_, err = repo.Touch(ctx, s)
			}
			if _, gerr := repo.Get(ctx, "abc"); gerr == nil {
				t.Errorf("%s of an expired session = %v; Get now finds it alive", op, err)
			}
		})
	}
}

// An expired record that cannot be decoded is a *DecodeError, not ErrNotFound.
func TestExpiredUndecodable(t *testing.T) {
	clk := testclock.New(time.Unix(1_800_000_000, 0))
	db := fake.New()
	_ = createSessions(db)
	putRawItem(t, db, map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "session#abc"}, "expires": &types.AttributeValueMemberN{Value: "1799999000"},
		"sess": &types.AttributeValueMemberS{Value: `{"count":"not a number"}`},
	})
	repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = clk.Now })
	_, err := repo.Get(context.Background(), "abc")
	if !errors.Is(err, dynamosession.ErrNotFound) {
		t.Errorf("Get of an expired, undecodable record = %v, want ErrNotFound", err)
	}
}

func TestExpiresForms(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	tests := []struct {
		name    string
		stored  string
		wantErr bool
		want    int64 // unix seconds
	}{
		{"integer seconds", "1800003600", false, 1800003600},
		{"fractional seconds (connect-dynamodb 3.0.3+)", "1800003600.25", false, 1800003600},
		{"milliseconds (old connect-dynamodb)", "1800003600250", false, 1800003600},
		{"not a number", "soon", true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newFake(t)
			db.PutRaw("sessions", map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "sess:x"},
				"sess":    &types.AttributeValueMemberS{Value: `{"user":"u"}`},
				"expires": &types.AttributeValueMemberN{Value: tt.stored},
			})
			repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
				o.Prefix = "sess:"
				o.Clock = func() time.Time { return now }
			})
			s, err := repo.Get(context.Background(), "x")
			if tt.wantErr {
				var de *dynamosession.DecodeError
				if !errors.As(err, &de) || de.Attr != "expires" {
					t.Fatalf("Get = %v, want a DecodeError on expires", err)
				}
				return
			}
			if err != nil || s.ExpiresAt.Unix() != tt.want {
				t.Fatalf("Get = %v, %v; want expiry %d", s, err, tt.want)
			}
		})
	}
}

// Contract cases for the one rule of expiry: every condition the
// repository sends to DynamoDB decides "expired" exactly as a read does,
// for every form of expiry the readers accept (issue 12, item 3).

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
				o.Prefix, o.Codec, o.Versioned = "sess:", codec.JSON[cart](), true
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
		o.Prefix, o.Codec, o.Versioned = "sess:", codec.JSON[cart](), true
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
			repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Prefix, o.Codec = "sess:", codec.JSON[cart]() })
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

// TestWithLifetime: a session's own lifetime, passed through the context,
// sets the expiry of every write and the touch schedule; without it the
// repository's TTL (a day, touched hourly) applies.
func TestWithLifetime(t *testing.T) {
	const day = 24 * time.Hour
	// step is one request at `at` after the session was created: a read
	// and a touch, or a read and a changed save.
	type step struct {
		At      time.Duration
		Save    bool
		Wrote   bool
		Expires time.Duration // after creation
	}
	tests := []struct {
		name     string
		lifetime time.Duration
		steps    []step
	}{
		{"repository TTL", 0, []step{
			{At: 2 * time.Hour, Wrote: true, Expires: 2*time.Hour + day},
			{At: 3 * time.Hour, Save: true, Wrote: true, Expires: 3*time.Hour + day},
		}},
		{"remember me: 30 days", 30 * day, []step{
			// Judged against 30 days: last written 2 h ago, so due.
			{At: 2 * time.Hour, Wrote: true, Expires: 2*time.Hour + 30*day},
			{At: 2*time.Hour + 30*time.Minute, Expires: 2*time.Hour + 30*day},
			{At: 3 * time.Hour, Save: true, Wrote: true, Expires: 3*time.Hour + 30*day},
		}},
		{"shorter than the touch interval: touched at half", 40 * time.Minute, []step{
			{At: 10 * time.Minute, Expires: 40 * time.Minute},
			{At: 20 * time.Minute, Wrote: true, Expires: 60 * time.Minute},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			onBackends(t, map[string]func(t *testing.T, e *env){"steps": func(t *testing.T, e *env) {
				repo := newRepo(t, e, func(o *dynamosession.Options[cart]) {
					o.TTL, o.Touch = ttl.Sliding(day), ttl.TouchAfter(time.Hour)
				})
				ctx := dynamosession.WithLifetime(context.Background(), tt.lifetime)
				t0 := e.clock.Now()
				s, err := repo.Put(ctx, newID(t), cart{User: "ada"})
				must(t, err)
				wantCreated := t0.Add(day)
				if tt.lifetime > 0 {
					wantCreated = t0.Add(tt.lifetime)
				}
				if !s.ExpiresAt.Equal(wantCreated) {
					t.Errorf("created with expiry %v, want %v", s.ExpiresAt, wantCreated)
				}
				var got []step
				for _, st := range tt.steps {
					e.clock.Advance(t0.Add(st.At).Sub(e.clock.Now()))
					s, err = repo.Get(ctx, s.ID)
					must(t, err)
					wrote := true
					if st.Save {
						s.Data.Items = append(s.Data.Items, "x")
						err = repo.Save(ctx, s)
					} else {
						wrote, err = repo.Touch(ctx, s)
					}
					must(t, err)
					got = append(got, step{At: st.At, Save: st.Save, Wrote: wrote, Expires: s.ExpiresAt.Sub(t0)})
				}
				if diff := cmp.Diff(tt.steps, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			}})
		})
	}
}
