package scsstore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/expiry"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/scsstore"
	"github.com/dynamosession/dynamosession/ttl"
)

// The interfaces of github.com/alexedwards/scs/v2 (v2.9.0, store.go),
// copied so that this module need not depend on scs to check the method
// set. scsstore/scstest runs the real scs against the store.
type (
	scsStore interface {
		Delete(token string) (err error)
		Find(token string) (b []byte, found bool, err error)
		Commit(token string, b []byte, expiry time.Time) (err error)
	}
	scsCtxStore interface {
		scsStore
		DeleteCtx(ctx context.Context, token string) (err error)
		FindCtx(ctx context.Context, token string) (b []byte, found bool, err error)
		CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) (err error)
	}
)

var (
	_ scsStore    = (*scsstore.Store)(nil)
	_ scsCtxStore = (*scsstore.Store)(nil)
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func newStore(t *testing.T, opt func(*dynamosession.Options[scsstore.Record])) (*scsstore.Store, *fake.DB, *testclock.Clock) {
	t.Helper()
	db := fake.New()
	if _, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	}); err != nil {
		t.Fatal(err)
	}
	clock := testclock.New(t0)
	repo, err := dynamosession.New[scsstore.Record](db, "sessions", func(o *dynamosession.Options[scsstore.Record]) {
		o.Codec = codec.Msgpack[scsstore.Record]()
		o.TTL = ttl.Sliding(24 * time.Hour)
		o.Clock = clock.Now
		if opt != nil {
			opt(o)
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	s, err := scsstore.New(repo)
	if err != nil {
		t.Fatal(err)
	}
	db.ResetStats()
	return s, db, clock
}

type found struct {
	Data  string
	Found bool
	Err   error
}

func find(s *scsstore.Store, token string) found {
	b, ok, err := s.Find(token)
	return found{string(b), ok, err}
}

func TestStore(t *testing.T) {
	s, db, clock := newStore(t, nil)
	const tok = "pDtAqrKHH7tWsnRu0vgfVuVFBpn9jXmsAFbuIA1w0tE"
	steps := []struct {
		name string
		do   func() error
		want found
	}{
		{"missing", nil, found{}},
		{"committed", func() error { return s.Commit(tok, []byte("v1"), clock.Now().Add(time.Hour)) }, found{"v1", true, nil}},
		{"replaced", func() error { return s.Commit(tok, []byte("v2"), clock.Now().Add(2*time.Hour)) }, found{"v2", true, nil}},
		{"before scs's expiry", func() error { clock.Advance(2*time.Hour - time.Millisecond); return nil }, found{"v2", true, nil}},
		{"at scs's expiry, though the item lives on", func() error { clock.Advance(time.Millisecond); return nil }, found{}},
		{"recommitted", func() error { return s.Commit(tok, []byte("v3"), clock.Now().Add(time.Hour)) }, found{"v3", true, nil}},
		{"deleted", func() error { return s.Delete(tok) }, found{}},
		{"deleted twice", func() error { return s.Delete(tok) }, found{}},
	}
	for _, st := range steps {
		if st.do != nil {
			if err := st.do(); err != nil {
				t.Fatalf("%s: %v", st.name, err)
			}
		}
		if diff := cmp.Diff(st.want, find(s, tok), cmp.Comparer(func(a, b error) bool { return errors.Is(a, b) })); diff != "" {
			t.Errorf("%s: Find mismatch (-want +got):\n%s", st.name, diff)
		}
	}
	st := db.Stats()
	// 8 Finds, 3 of them misses confirmed by a strong read.
	if diff := cmp.Diff(map[string]int{"GetItem": 11, "PutItem": 3, "DeleteItem": 2}, st.Calls); diff != "" {
		t.Errorf("DynamoDB calls mismatch (-want +got):\n%s", diff)
	}
}

// exactPolicy is a user's TTL policy that returns fractional expiries,
// which the repository stores as the whole second before.
type exactPolicy time.Duration

func (p exactPolicy) Expiry(now time.Time) time.Time { return now.Add(time.Duration(p)) }
func (p exactPolicy) Lifetime() time.Duration        { return time.Duration(p) }

// TestExpiryFollowsScs: a record's expiry attribute is scs's expiry,
// rounded up to the whole second DynamoDB's attribute holds, whatever the
// repository's TTL: the same as scs's Lifetime (the package example's
// configuration) at any fraction of a second, longer than it (a Lifetime
// beyond the TTL is stored, not refused), shorter (DynamoDB deletes the
// item when scs's session ends, not a TTL later), or a policy of the
// user's own that does not round up. Find serves the session until scs's
// exact expiry, and not at it.
func TestExpiryFollowsScs(t *testing.T) {
	const tok = "pDtAqrKHH7tWsnRu0vgfVuVFBpn9jXmsAFbuIA1w0tE"
	tests := []struct {
		name     string
		ttl      ttl.Policy
		lifetime time.Duration // scs's
		frac     time.Duration // of the second the Commit happens in
	}{
		{"the TTL, on the second", ttl.Sliding(24 * time.Hour), 24 * time.Hour, 0},
		{"the TTL, 1 ms in", ttl.Sliding(24 * time.Hour), 24 * time.Hour, time.Millisecond},
		{"the TTL, 700 ms in", ttl.Sliding(24 * time.Hour), 24 * time.Hour, 700 * time.Millisecond},
		{"the TTL, 999 ms in", ttl.Sliding(24 * time.Hour), 24 * time.Hour, time.Second - time.Millisecond},
		{"beyond the TTL", ttl.Sliding(time.Hour), 25 * time.Hour, 700 * time.Millisecond},
		{"within the TTL", ttl.Sliding(24 * time.Hour), time.Hour, 700 * time.Millisecond},
		{"an unrounded policy", exactPolicy(24 * time.Hour), 24 * time.Hour, 700 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, db, clock := newStore(t, func(o *dynamosession.Options[scsstore.Record]) { o.TTL = tt.ttl })
			clock.Advance(tt.frac)
			scsExpiry := clock.Now().Add(tt.lifetime)
			if err := s.Commit(tok, []byte("v1"), scsExpiry); err != nil {
				t.Fatal(err)
			}
			item, _ := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#" + tok}})
			stored, err := expiry.Parse(item["expires"].(*types.AttributeValueMemberN).Value)
			if err != nil {
				t.Fatal(err)
			}
			want := scsExpiry.Truncate(time.Second)
			if want.Before(scsExpiry) {
				want = want.Add(time.Second)
			}
			if !stored.Equal(want) {
				t.Errorf("stored expiry %s, want scs's %s rounded up to %s", stored.Format(time.RFC3339Nano), scsExpiry.Format(time.RFC3339Nano), want.Format(time.RFC3339))
			}
			clock.Advance(tt.lifetime - time.Millisecond)
			if diff := cmp.Diff(found{"v1", true, nil}, find(s, tok)); diff != "" {
				t.Errorf("1 ms before scs's expiry: Find mismatch (-want +got):\n%s", diff)
			}
			clock.Advance(time.Millisecond)
			if diff := cmp.Diff(found{}, find(s, tok)); diff != "" {
				t.Errorf("at scs's expiry: Find mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBadInput(t *testing.T) {
	s, db, clock := newStore(t, nil)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"commit with an empty token", s.Commit("", []byte("x"), clock.Now().Add(time.Hour)), dynamosession.ErrInvalidID},
		{"find an empty token", func() error { _, ok, err := s.Find(""); return notFound(ok, err) }(), nil},
		{"find a token too long for a key", func() error { _, ok, err := s.Find(strings.Repeat("x", 3000)); return notFound(ok, err) }(), nil},
		{"delete an empty token", s.Delete(""), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, tt.want) || (tt.want == nil) != (tt.err == nil) {
				t.Errorf("got %v, want %v", tt.err, tt.want)
			}
		})
	}
	if n := db.Stats().Calls; len(n) != 0 && (n["PutItem"]+n["GetItem"]+n["DeleteItem"]) != 0 {
		t.Errorf("bad input reached DynamoDB: %v", n)
	}
}

func notFound(ok bool, err error) error {
	if ok {
		return errors.New("found")
	}
	return err
}

func TestStoreErrors(t *testing.T) {
	s, db, clock := newStore(t, nil)
	boom := errors.New("boom")
	db.FailNext("", 3, boom)
	_, _, ferr := s.Find("tok")
	cerr := s.Commit("tok", []byte("x"), clock.Now().Add(time.Hour))
	derr := s.Delete("tok")
	for name, err := range map[string]error{"find": ferr, "commit": cerr, "delete": derr} {
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "scsstore: "+name) {
			t.Errorf("%s: %v, want a scsstore error wrapping %v", name, err, boom)
		}
	}
}

// TestNew: a repository the store cannot use, or an unknown policy, is a
// bad configuration.
func TestNew(t *testing.T) {
	db := fake.New()
	versioned, err := dynamosession.New[scsstore.Record](db, "sessions", func(o *dynamosession.Options[scsstore.Record]) { o.Versioned = true })
	if err != nil {
		t.Fatal(err)
	}
	plain, err := dynamosession.New[scsstore.Record](db, "sessions")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		repo *dynamosession.Repo[scsstore.Record]
		opt  func(*scsstore.Options)
	}{
		{"nil repository", nil, nil},
		{"versioned repository", versioned, nil},
		{"unknown undecodable policy", plain, func(o *scsstore.Options) { o.Undecodable = 7 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var opts []func(*scsstore.Options)
			if tt.opt != nil {
				opts = append(opts, tt.opt)
			}
			if _, err := scsstore.New(tt.repo, opts...); !errors.Is(err, dynamosession.ErrInvalidOptions) {
				t.Errorf("New = %v, want an error wrapping dynamosession.ErrInvalidOptions", err)
			}
		})
	}
}
