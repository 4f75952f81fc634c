package dynamosession_test

// Unit tests of owners on the fake: options, what each write stores and
// sends, bad owners, and clients without Query. Listing, revocation and
// the revocation marker run on every backend in owner_contract_test.go.

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/ttl"
)

// cartOwner is the contract suite's owner rule: the user in the cart.
func cartOwner(c *cart) string { return c.User }

func withCartOwner(o *dynamosession.Options[cart]) { o.Owner = cartOwner }

func TestOwnerOptions(t *testing.T) {
	tests := []struct {
		name string
		opt  func(*dynamosession.Options[cart])
		want string // "" for valid
	}{
		{"defaults", withCartOwner, ""},
		{"owner attribute clash", func(o *dynamosession.Options[cart]) { o.Owner = cartOwner; o.OwnerAttr = "sess" }, "both"},
		{"owned-at attribute clash", func(o *dynamosession.Options[cart]) { o.Owner = cartOwner; o.OwnedAtAttr = "expires" }, "both"},
		{"owner and owned-at the same", func(o *dynamosession.Options[cart]) { o.Owner = cartOwner; o.OwnedAtAttr = "owner" }, "both"},
		{"no clash check without owners", func(o *dynamosession.Options[cart]) { o.OwnerAttr = "sess" }, ""},
		{"check attribute clash", func(o *dynamosession.Options[cart]) {
			o.Owner, o.RevocationCheck, o.RevocationCheckAttr = cartOwner, time.Minute, "owned_at"
		}, "both"},
		{"marker attribute clash", func(o *dynamosession.Options[cart]) {
			o.Owner, o.RevocationCheck, o.ExpiresAttr = cartOwner, time.Minute, "revoked_before"
		}, "both"},
		{"negative revocation check", func(o *dynamosession.Options[cart]) { o.RevocationCheck = -time.Second }, "negative"},
		{"index name too short", func(o *dynamosession.Options[cart]) { o.OwnerIndex = "ix" }, "index name"},
		{"index name with a space", func(o *dynamosession.Options[cart]) { o.OwnerIndex = "owner index" }, "index name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := dynamosession.New[cart](fake.New(), "sessions", tt.opt)
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("New: %v", err)
			case tt.want != "" && (!errors.Is(err, dynamosession.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want)):
				t.Fatalf("New = %v, want ErrInvalidOptions mentioning %q", err, tt.want)
			}
		})
	}
	repo, err := dynamosession.New[cart](fake.New(), "sessions")
	if err != nil {
		t.Fatal(err)
	}
	o := repo.Options()
	got := []string{o.OwnerAttr, o.OwnedAtAttr, o.OwnerIndex, o.RevocationCheckAttr, o.RevocationCheck.String()}
	if diff := cmp.Diff([]string{"owner", "owned_at", "owner-index", "owner_check", "0s"}, got); diff != "" {
		t.Errorf("owner defaults mismatch (-want +got):\n%s", diff)
	}
}

// recordDB is the fake recording the write requests it receives.
type recordDB struct {
	*fake.DB
	mu      sync.Mutex
	puts    []*dynamodb.PutItemInput
	updates []*dynamodb.UpdateItemInput
}

func (r *recordDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	r.mu.Lock()
	r.puts = append(r.puts, in)
	r.mu.Unlock()
	return r.DB.PutItem(ctx, in, optFns...)
}

func (r *recordDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	r.mu.Lock()
	r.updates = append(r.updates, in)
	r.mu.Unlock()
	return r.DB.UpdateItem(ctx, in, optFns...)
}

// lastUpdate returns the attribute names the last UpdateItem named, and
// its update expression.
func (r *recordDB) lastUpdate(t *testing.T) (names []string, update string) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.updates) == 0 {
		t.Fatal("no UpdateItem sent")
	}
	in := r.updates[len(r.updates)-1]
	for _, n := range in.ExpressionAttributeNames {
		names = append(names, n)
	}
	return names, *in.UpdateExpression
}

// ownerAttrsOf returns the owner attributes of a stored item as text.
func ownerAttrsOf(item map[string]types.AttributeValue) map[string]any {
	got := map[string]any{}
	for _, a := range []string{"owner", "owned_at", "owner_check"} {
		if av, ok := item[a]; ok {
			got[a] = avString(av)
		}
	}
	return got
}

// TestOwnerFollowsTheData walks one session through a login, saves that
// keep the owner, a touch, a change of user and a logout, checking what
// is stored and that a write that keeps the owner never names the owner
// attributes (so a keys-only index is never written for it).
func TestOwnerFollowsTheData(t *testing.T) {
	db := &recordDB{DB: newFake(t)}
	now := faultNow
	var calls faultCalls
	repo := faultRepo[cart](t, db, &calls, withCartOwner, func(o *dynamosession.Options[cart]) {
		o.Clock = func() time.Time { return now }
		o.Touch = ttl.Always()
	})
	ctx := context.Background()
	ms := func(t time.Time) string { return "N:" + strconv.FormatInt(t.UnixMilli(), 10) }

	anon, err := repo.Put(ctx, "anon", cart{Items: []string{"book"}})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]any{}, ownerAttrsOf(faultStored(db.DB, "session#anon"))); diff != "" {
		t.Errorf("anonymous Create stored owner attributes (-want +got):\n%s", diff)
	}
	anon.Data.Count = 1
	if err := repo.Save(ctx, anon); err != nil {
		t.Fatal(err)
	}
	if names, _ := db.lastUpdate(t); containsAny(names, "owner", "owned_at", "owner_check") {
		t.Errorf("anonymous Save names owner attributes: %v", names)
	}

	s, err := repo.Put(ctx, "dev1", cart{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	loginAt := now
	if diff := cmp.Diff(map[string]any{"owner": "S:ada", "owned_at": ms(loginAt)}, ownerAttrsOf(faultStored(db.DB, "session#dev1"))); diff != "" {
		t.Errorf("owned Create mismatch (-want +got):\n%s", diff)
	}
	if s.Owner() != "ada" {
		t.Errorf("Create: Owner() = %q, want ada", s.Owner())
	}

	steps := []struct {
		name       string
		do         func() error
		want       map[string]any
		namesOwner bool // the write names the owner attributes
	}{
		{"save keeping the owner", func() error { s.Data.Items = []string{"pen"}; return repo.Save(ctx, s) },
			map[string]any{"owner": "S:ada", "owned_at": ms(loginAt)}, false},
		{"touch", func() error { now = now.Add(time.Minute); _, err := repo.Touch(ctx, s); return err },
			map[string]any{"owner": "S:ada", "owned_at": ms(loginAt)}, false},
		{"get and save keeping the owner", func() error {
			now = now.Add(time.Minute)
			got, err := repo.Get(ctx, "dev1")
			if err != nil {
				return err
			}
			if got.Owner() != "ada" {
				t.Errorf("Get: Owner() = %q, want ada", got.Owner())
			}
			got.Data.Count = 7
			s = got
			return repo.Save(ctx, got)
		}, map[string]any{"owner": "S:ada", "owned_at": ms(loginAt)}, false},
		{"change of user", func() error { now = now.Add(time.Minute); s.Data.User = "bob"; return repo.Save(ctx, s) },
			map[string]any{"owner": "S:bob", "owned_at": ms(loginAt.Add(3 * time.Minute))}, true},
		{"logout", func() error { now = now.Add(time.Minute); s.Data.User = ""; return repo.Save(ctx, s) },
			map[string]any{}, true},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if diff := cmp.Diff(st.want, ownerAttrsOf(faultStored(db.DB, "session#dev1"))); diff != "" {
			t.Errorf("%s: stored owner mismatch (-want +got):\n%s", st.name, diff)
		}
		if names, update := db.lastUpdate(t); containsAny(names, "owner", "owned_at") != st.namesOwner {
			t.Errorf("%s: update %q names %v; want owner attributes named: %v", st.name, update, names, st.namesOwner)
		}
	}
	if s.Owner() != "" {
		t.Errorf("after logout Owner() = %q, want \"\"", s.Owner())
	}
}

func containsAny(list []string, want ...string) bool {
	for _, w := range want {
		for _, l := range list {
			if l == w {
				return true
			}
		}
	}
	return false
}

// TestOwnerBackfill: a session whose stored owner disagrees with its data
// (written before Options.Owner was set, or rewritten by a Node.js store
// that drops the attribute) gets its owner on the next Save, even of
// unchanged data, once; after that a Save of unchanged data sends nothing.
func TestOwnerBackfill(t *testing.T) {
	db := newFake(t)
	var calls faultCalls
	plain := faultRepo[cart](t, db, &calls)
	ctx := context.Background()
	if _, err := plain.Put(ctx, "old", cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	owned := faultRepo[cart](t, db, &calls, withCartOwner)
	s, err := owned.Get(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	if s.Owner() != "" {
		t.Fatalf("Owner() of a record without the attribute = %q, want \"\"", s.Owner())
	}
	for i, wantUpdates := range []int{1, 0} {
		calls.reset()
		if err := owned.Save(ctx, s); err != nil {
			t.Fatalf("Save %d: %v", i+1, err)
		}
		if got := calls.n("UpdateItem"); got != wantUpdates {
			t.Errorf("Save %d of unchanged data sent %d UpdateItem, want %d", i+1, got, wantUpdates)
		}
	}
	if got := ownerAttrsOf(faultStored(db, "session#old"))["owner"]; got != "S:ada" {
		t.Errorf("stored owner = %v, want S:ada", got)
	}
}

// TestInvalidOwnerSendsNothing: an owner DynamoDB could not index, from
// Options.Owner or passed to ListOwner/RevokeOwner, is ErrInvalidOwner
// before any request.
func TestInvalidOwnerSendsNothing(t *testing.T) {
	db := newFake(t)
	var calls faultCalls
	// Msgpack stores any bytes, so the owner check, not the codec's UTF-8
	// rule, is what refuses the owner.
	repo := faultRepo[cart](t, db, &calls, withCartOwner, func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart]{} })
	ctx := context.Background()
	s, err := repo.Put(ctx, "ok", cart{User: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	bad := map[string]string{"not UTF-8": "ad\xffa", "1025 bytes": strings.Repeat("a", 1025)}
	for name, owner := range bad {
		t.Run(name, func(t *testing.T) {
			before := totalCalls(db)
			if _, err := repo.Put(ctx, "x", cart{User: owner}); !errors.Is(err, dynamosession.ErrInvalidOwner) {
				t.Errorf("Create = %v, want ErrInvalidOwner", err)
			}
			s.Data.User = owner
			if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrInvalidOwner) {
				t.Errorf("Save = %v, want ErrInvalidOwner", err)
			}
			s.Data.User = "ada"
			if _, err := repo.ListOwner(ctx, owner, ""); !errors.Is(err, dynamosession.ErrInvalidOwner) {
				t.Errorf("ListOwner = %v, want ErrInvalidOwner", err)
			}
			if _, err := repo.RevokeOwner(ctx, owner, ""); !errors.Is(err, dynamosession.ErrInvalidOwner) {
				t.Errorf("RevokeOwner = %v, want ErrInvalidOwner", err)
			}
			if dynamosession.IsRetryable(err) {
				t.Errorf("IsRetryable(%v) = true", err)
			}
			if got := totalCalls(db); got != before {
				t.Errorf("%d requests sent, want none", got-before)
			}
		})
	}
	if _, err := repo.ListOwner(ctx, "", ""); !errors.Is(err, dynamosession.ErrInvalidOwner) {
		t.Errorf("ListOwner(\"\") = %v, want ErrInvalidOwner", err)
	}
	if _, err := repo.RevokeOwner(ctx, "", ""); !errors.Is(err, dynamosession.ErrInvalidOwner) {
		t.Errorf("RevokeOwner(\"\") = %v, want ErrInvalidOwner", err)
	}
}

// apiOnly is a client with the four methods of dynamosession.API and
// nothing else.
type apiOnly struct{ dynamosession.API }

func TestOwnerOperationsNeedQuery(t *testing.T) {
	db := newFake(t)
	repo, err := dynamosession.New[cart](apiOnly{db}, "sessions", withCartOwner)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := repo.Put(ctx, "a", cart{User: "ada"}); err != nil {
		t.Fatalf("Put through a client without Query: %v", err)
	}
	if _, err := repo.ListOwner(ctx, "ada", ""); !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "OwnerAPI") {
		t.Errorf("ListOwner = %v, want errors.ErrUnsupported naming OwnerAPI", err)
	}
	if _, err := repo.RevokeOwner(ctx, "ada", ""); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("RevokeOwner = %v, want errors.ErrUnsupported", err)
	}
}

// TestUnreadableOwnerIsDecodeError: an owner attribute of the wrong type
// is reported and the record left as it is, never silently dropped from
// the index by the next write. A repository without owners ignores it.
func TestUnreadableOwnerIsDecodeError(t *testing.T) {
	tests := []struct {
		attr string
		av   types.AttributeValue
	}{
		{"owner", &types.AttributeValueMemberN{Value: "7"}},
		{"owned_at", &types.AttributeValueMemberS{Value: "yesterday"}},
		{"owned_at", &types.AttributeValueMemberN{Value: "1.5"}},
	}
	for _, tt := range tests {
		t.Run(tt.attr+"/"+avString(tt.av).(string), func(t *testing.T) {
			db := newFake(t)
			var calls faultCalls
			plain := faultRepo[cart](t, db, &calls)
			ctx := context.Background()
			if _, err := plain.Put(ctx, "x", cart{User: "ada"}); err != nil {
				t.Fatal(err)
			}
			item := faultStored(db, "session#x")
			item["owner"] = &types.AttributeValueMemberS{Value: "ada"}
			item[tt.attr] = tt.av
			if err := db.PutRaw("sessions", item); err != nil {
				t.Fatal(err)
			}
			owned := faultRepo[cart](t, db, &calls, withCartOwner)
			_, err := owned.Get(ctx, "x")
			var de *dynamosession.DecodeError
			if !errors.As(err, &de) || de.Attr != tt.attr {
				t.Fatalf("Get = %v, want a *DecodeError of %q", err, tt.attr)
			}
			if diff := cmp.Diff(item, faultStored(db, "session#x"), cmpAV); diff != "" {
				t.Errorf("record changed (-want +got):\n%s", diff)
			}
			if _, err := plain.Get(ctx, "x"); err != nil {
				t.Errorf("Get without owners: %v", err)
			}
		})
	}
}

// TestMarkerKeysAreReserved: with revocation markers on, no session ID
// can address an owner's marker; hashed IDs never can.
func TestMarkerKeysAreReserved(t *testing.T) {
	db := newFake(t)
	var calls faultCalls
	ctx := context.Background()
	id := "\x00revoked\x00ada"
	markers := faultRepo[cart](t, db, &calls, withCartOwner, func(o *dynamosession.Options[cart]) { o.RevocationCheck = time.Minute })
	if _, err := markers.Put(ctx, id, cart{}); !errors.Is(err, dynamosession.ErrInvalidID) {
		t.Errorf("Put(%q) = %v, want ErrInvalidID", id, err)
	}
	if calls.n("") != 0 {
		t.Errorf("%d requests sent, want none", calls.n(""))
	}
	hashed := faultRepo[cart](t, db, &calls, withCartOwner, func(o *dynamosession.Options[cart]) {
		o.RevocationCheck, o.HashIDs = time.Minute, true
	})
	if _, err := hashed.Put(ctx, id, cart{}); err != nil {
		t.Errorf("hashed Put(%q) = %v", id, err)
	}
}

// ExampleRepo_RevokeOwner: "sign out other devices". The session keeps
// its user in the data; Options.Owner tells the repository where, so the
// owner index lists the user's sessions.
func ExampleRepo_RevokeOwner() {
	ctx := context.Background()
	// A session table with its owner index, as `dynamosession create-table`
	// makes it, and one clock for the fake and the repository.
	db := fake.NewSessions(func(t *fake.SessionTable) { t.OwnerIndex = "owner-index" })
	type Session struct {
		UserID string
		Theme  string
	}
	repo, err := dynamosession.New[Session](db, "sessions", func(o *dynamosession.Options[Session]) {
		o.Owner = func(s *Session) string { return s.UserID }
		o.Clock = db.Clock().Now
	})
	if err != nil {
		panic(err)
	}
	// Ada signs in on a laptop, a phone and a tablet; someone browses anonymously.
	for _, id := range []string{"laptop-7f3a9c", "phone-2b8e41", "tablet-c05d17"} {
		_, _ = repo.Put(ctx, id, Session{UserID: "ada"})
	}
	_, _ = repo.Put(ctx, "anon-99e1f0", Session{Theme: "dark"})

	current, _ := repo.Get(ctx, "laptop-7f3a9c")
	list, _ := repo.ListOwner(ctx, current.Owner(), current.ID)
	for _, s := range list {
		fmt.Println(s.RedactedID, s.Current)
	}
	rev, err := repo.RevokeOwner(ctx, current.Owner(), current.ID)
	fmt.Println("ended:", rev.Ended, err)
	_, err = repo.Get(ctx, "phone-2b8e41")
	fmt.Println("phone:", err)
	_, err = repo.Get(ctx, "laptop-7f3a9c")
	fmt.Println("laptop:", err)
	// Output:
	// laptop… true
	// phone-… false
	// tablet… false
	// ended: 2 <nil>
	// phone: dynamosession: session not found
	// laptop: <nil>
}
