package dynamosession_test

// Regression tests for bugs found in review: each failed before its fix.

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/testclock"
)

// hookAPI runs afterGet once, right after the first GetItem returns.
type hookAPI struct {
	*fake.DB
	afterGet func()
}

func (h *hookAPI) GetItem(ctx context.Context, in *dynamodb.GetItemInput, o ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := h.DB.GetItem(ctx, in, o...)
	if f := h.afterGet; f != nil {
		h.afterGet = nil
		f()
	}
	return out, err
}

func putRawItem(t *testing.T, db *fake.DB, item map[string]types.AttributeValue) {
	t.Helper()
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String("sessions"), Item: item}); err != nil {
		t.Fatal(err)
	}
}

// RewriteOnRead overwrites a write made between its GetItem and its rewrite.
func TestRewriteOnReadLostUpdate(t *testing.T) {
	clk := testclock.New(time.Unix(1_800_000_000, 0))
	db := fake.New(func(o *fake.Options) { o.Clock = clk.Now })
	if err := createSessions(db); err != nil {
		t.Fatal(err)
	}
	exp := "1800086400"
	putRawItem(t, db, map[string]types.AttributeValue{
		"id": &types.AttributeValueMemberS{Value: "session#abc"}, "expires": &types.AttributeValueMemberN{Value: exp},
		"sess": &types.AttributeValueMemberS{Value: `{"user":"old","items":null,"count":1}`},
	})
	other, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = clk.Now })
	h := &hookAPI{DB: db}
	h.afterGet = func() { // a concurrent request changes the session
		s, err := other.Get(context.Background(), "abc")
		if err != nil {
			t.Fatal(err)
		}
		s.Data.Count = 99
		if err := other.Save(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	mig, _ := dynamosession.New[cart](h, "sessions", func(o *dynamosession.Options[cart]) {
		o.Clock = clk.Now
		o.Codec = codec.Msgpack[cart]{}
		o.RewriteOnRead = true
	})
	if _, err := mig.Get(context.Background(), "abc"); err != nil {
		t.Fatal(err)
	}
	s, err := other.Get(context.Background(), "abc")
	if err != nil {
		t.Fatal(err)
	}
	if s.Data.Count != 99 {
		t.Errorf("after a read with RewriteOnRead, count = %d, want 99 (concurrent Save lost)", s.Data.Count)
	}
}

// Save writes data into a husk {id, expires} left by connect-dynamodb's
// unconditional touch after a logout: the session is resurrected.
func TestSaveIntoHusk(t *testing.T) {
	clk := testclock.New(time.Unix(1_800_000_000, 0))
	db := fake.New(func(o *fake.Options) { o.Clock = clk.Now })
	_ = createSessions(db)
	repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = clk.Now })
	ctx := context.Background()
	if _, err := repo.Put(ctx, "abc", cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, _ := repo.Get(ctx, "abc")
	_ = repo.Delete(ctx, "abc")                        // logout in another tab
	putRawItem(t, db, map[string]types.AttributeValue{ // connect-dynamodb's touch recreates a husk
		"id": &types.AttributeValueMemberS{Value: "session#abc"}, "expires": &types.AttributeValueMemberN{Value: "1800090000"},
	})
	s.Data.Count = 5
	err := repo.Save(ctx, s)
	if _, gerr := repo.Get(ctx, "abc"); gerr == nil {
		t.Errorf("Save into a husk = %v; the logged-out session is alive again", err)
	}
}

// Save and Touch on a record whose expiry has passed (not yet swept by TTL)
// bring it back to life.
func TestSaveTouchResurrectExpired(t *testing.T) {
	for _, op := range []string{"save", "touch"} {
		t.Run(op, func(t *testing.T) {
			clk := testclock.New(time.Unix(1_800_000_000, 0))
			db := fake.New(func(o *fake.Options) { o.Clock = clk.Now })
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
	db := fake.New(func(o *fake.Options) { o.Clock = clk.Now })
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

type flagName string

type flagged struct {
	Flags map[flagName]string `json:"flags"`
}

func TestMsgpackNamedKeyNotCanonical(t *testing.T) {
	t.Logf("Canonical() = %v", codec.Msgpack[flagged]{}.Canonical())
	db := newFake(t)
	repo, _ := dynamosession.New[flagged](db, "sessions", func(o *dynamosession.Options[flagged]) { o.Codec = codec.Msgpack[flagged]{} })
	ctx := context.Background()
	m := map[flagName]string{}
	for _, k := range []string{"a", "b", "c", "d", "e", "f", "g", "h"} {
		m[flagName(k)] = k
	}
	_, _ = repo.Put(ctx, "abc", flagged{Flags: m})
	writes := 0
	for range 20 {
		s, err := repo.Get(ctx, "abc")
		if err != nil {
			t.Fatal(err)
		}
		before := db.Stats().Calls["UpdateItem"]
		if err := repo.Save(ctx, s); err != nil { // nothing changed
			t.Fatal(err)
		}
		writes += db.Stats().Calls["UpdateItem"] - before
	}
	if writes > 0 {
		t.Errorf("20 Saves of unchanged data sent %d UpdateItems", writes)
	}
}
