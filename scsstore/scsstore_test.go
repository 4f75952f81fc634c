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

// TestExpiryAtFractionalSecond commits with scs's Lifetime equal to the
// repository's TTL (the package example's configuration) at a clock 0.7 s
// into a second: DynamoDB's expiry attribute holds whole seconds, and the
// one stored must not end the session before scs's own expiry does.
func TestExpiryAtFractionalSecond(t *testing.T) {
	const tok = "pDtAqrKHH7tWsnRu0vgfVuVFBpn9jXmsAFbuIA1w0tE"
	for _, frac := range []time.Duration{0, time.Millisecond, 700 * time.Millisecond, time.Second - time.Millisecond} {
		t.Run(frac.String(), func(t *testing.T) {
			s, db, clock := newStore(t, nil)
			clock.Advance(frac)
			expiry := clock.Now().Add(24 * time.Hour) // scs's Lifetime = the TTL
			if err := s.Commit(tok, []byte("v1"), expiry); err != nil {
				t.Fatal(err)
			}
			item, _ := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#" + tok}})
			stored, err := ttl.ParseExpiry(item["expires"].(*types.AttributeValueMemberN).Value)
			if err != nil {
				t.Fatal(err)
			}
			if stored.Before(expiry) {
				t.Errorf("stored expiry %s is before scs's %s", stored.Format(time.RFC3339Nano), expiry.Format(time.RFC3339Nano))
			}
			clock.Advance(24*time.Hour - time.Millisecond)
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

// exactPolicy is a user's TTL policy that returns fractional expiries,
// which the repository stores as the whole second before.
type exactPolicy time.Duration

func (p exactPolicy) Expiry(now time.Time) time.Time { return now.Add(time.Duration(p)) }
func (p exactPolicy) Lifetime() time.Duration        { return time.Duration(p) }

// TestExpiryOfAnUnroundedPolicy checks that with a policy that does not
// round up, a Commit that the stored whole second would end early is
// refused, not stored to expire before scs means it to.
func TestExpiryOfAnUnroundedPolicy(t *testing.T) {
	s, _, clock := newStore(t, func(o *dynamosession.Options[scsstore.Record]) { o.TTL = exactPolicy(24 * time.Hour) })
	clock.Advance(700 * time.Millisecond)
	if err := s.Commit("tok", []byte("x"), clock.Now().Add(24*time.Hour)); !errors.Is(err, scsstore.ErrExpiryBeyondTTL) {
		t.Errorf("Commit to the TTL's fractional expiry = %v, want ErrExpiryBeyondTTL", err)
	}
	if err := s.Commit("tok", []byte("x"), clock.Now().Add(24*time.Hour-700*time.Millisecond)); err != nil {
		t.Errorf("Commit to the stored whole second = %v, want success", err)
	}
}

func TestBadInput(t *testing.T) {
	s, db, clock := newStore(t, nil)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"commit beyond the TTL", s.Commit("tok", []byte("x"), clock.Now().Add(25*time.Hour)), scsstore.ErrExpiryBeyondTTL},
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

func TestNew(t *testing.T) {
	if _, err := scsstore.New(nil); !errors.Is(err, scsstore.ErrNilRepository) {
		t.Errorf("New(nil) = %v, want ErrNilRepository", err)
	}
	db := fake.New()
	repo, err := dynamosession.New[scsstore.Record](db, "sessions", func(o *dynamosession.Options[scsstore.Record]) { o.Versioned = true })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := scsstore.New(repo); !errors.Is(err, scsstore.ErrVersioned) {
		t.Errorf("New(versioned) = %v, want ErrVersioned", err)
	}
}
