package dynamosession_test

// Regressions of "every lossless claim true" (issue 12, items 2 and 6):
// what a repository reads and writes back is what is stored, on the fake
// and on DynamoDB Local.

import (
	"context"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
)

// TestAnyNumbersSurviveSave: an int64 beyond 2^53 in a map[string]any
// session read back as a rounded float64, and the next Save of any change
// wrote the rounded number for good.
func TestAnyNumbersSurviveSave(t *testing.T) {
	type session = map[string]any
	const big = int64(9007199254740993)
	cases := map[string]func(t *testing.T, e *env){}
	for _, c := range []codec.Codec[session]{codec.Map[session]{}, codec.JSON[session]{}} {
		cases[string(c.Format())] = func(t *testing.T, e *env) {
			repo := newRepo(t, e, func(o *dynamosession.Options[session]) { o.Codec = c })
			ctx := context.Background()
			id := newID(t)
			if _, err := repo.Put(ctx, id, session{"n": big, "u": uint64(1<<64 - 1), "f": 0.1}); err != nil {
				t.Fatal(err)
			}
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := session{"n": big, "u": uint64(1<<64 - 1), "f": 0.1}
			if diff := cmp.Diff(want, s.Data); diff != "" {
				t.Errorf("Get mismatch (-want +got):\n%s", diff)
			}
			s.Data["other"] = "change"
			if err := repo.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
			again, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want["other"] = "change"
			if diff := cmp.Diff(want, again.Data); diff != "" {
				t.Errorf("after Save mismatch (-want +got):\n%s", diff)
			}
		}
	}
	onBackends(t, cases)
}

// TestNumberSpellingsDoNotCauseWrites: DynamoDB Local keeps nested numbers
// as sent ("007", "1.50", "2.5e3") where AWS trims them. A record holding
// such spellings is read by value, and an unchanged Save sends nothing,
// also from an Exclusive Map repository, which compares encodings only
// (it re-wrote such a record on every Save on Local).
func TestNumberSpellingsDoNotCauseWrites(t *testing.T) {
	type line struct {
		Qty   int     `json:"qty"`
		Price float64 `json:"price"`
	}
	type session struct {
		Count int            `json:"count"`
		Lines []line         `json:"lines"`
		Meta  map[string]any `json:"meta"`
	}
	n := func(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }
	m := func(kv map[string]types.AttributeValue) types.AttributeValue {
		return &types.AttributeValueMemberM{Value: kv}
	}
	stored := m(map[string]types.AttributeValue{
		"count": n("007"),
		"lines": &types.AttributeValueMemberL{Value: []types.AttributeValue{
			m(map[string]types.AttributeValue{"qty": n("2.0"), "price": n("1.50")}),
		}},
		"meta": m(map[string]types.AttributeValue{"big": n("2.5e3"), "neg": n("-0"), "frac": n("0.250")}),
	})
	want := session{Count: 7, Lines: []line{{Qty: 2, Price: 1.5}}, Meta: map[string]any{"big": int64(2500), "neg": int64(0), "frac": 0.25}}
	cases := map[string]func(t *testing.T, e *env){}
	for name, c := range map[string]codec.Codec[session]{
		"map":           codec.Map[session]{},
		"exclusive map": codec.Map[session]{Exclusive: true},
	} {
		cases[name] = func(t *testing.T, e *env) {
			repo := newRepo(t, e, func(o *dynamosession.Options[session]) { o.Codec = c })
			ctx := context.Background()
			id := newID(t)
			e.putRaw(t, map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "session#" + id},
				"sess":    stored,
				"expires": n(strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10)),
			})
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, s.Data); diff != "" {
				t.Errorf("Get mismatch (-want +got):\n%s", diff)
			}
			e.reset()
			if err := repo.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
			if got := e.count(""); got != 0 {
				t.Errorf("Save of an unchanged record sent %d requests, want 0", got)
			}
		}
	}
	onBackends(t, cases)
}

// TestRewriteOnReadKeepsLossyRecord: connect-dynamodb wrote a lone UTF-16
// surrogate (JSON.stringify of a string cut inside an emoji), which Go
// reads as U+FFFD. RewriteOnRead rewrote the record on a plain Get, storing
// "a\ufffdb" for good; now it leaves such a record as it is.
func TestRewriteOnReadKeepsLossyRecord(t *testing.T) {
	cases := map[string]func(t *testing.T, e *env){}
	for _, c := range []codec.Codec[cart]{codec.Map[cart]{}, codec.Msgpack[cart]{}} {
		cases["to "+string(c.Format())] = func(t *testing.T, e *env) {
			repo := newRepo(t, e, func(o *dynamosession.Options[cart]) {
				o.Prefix = "sess:"
				o.Codec = c
				o.RewriteOnRead = true
			})
			ctx := context.Background()
			id := newID(t)
			item := connectItem("sess:"+id, e.clock.Now().Add(time.Hour), `{"user":"a\ud800b","count":1}`)
			e.putRaw(t, item)
			e.reset()
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if s.Data.User != "a\ufffdb" {
				t.Errorf("User = %q, want %q", s.Data.User, "a\ufffdb")
			}
			if got := e.count("UpdateItem"); got != 0 {
				t.Errorf("Get sent %d UpdateItem, want none: the record cannot be rewritten exactly", got)
			}
			if diff := cmp.Diff(avString(item["sess"]), avString(e.raw(t, "sess:"+id)["sess"])); diff != "" {
				t.Errorf("stored session changed (-want +got):\n%s", diff)
			}
			if err := codec.Lossy(c, item["sess"]); !errors.Is(err, codec.ErrLossy) {
				t.Errorf("codec.Lossy = %v, want ErrLossy", err)
			}
		}
	}
	onBackends(t, cases)
}

// TestMapRefusesWhatDynamoDBRefuses: a Map session DynamoDB would refuse
// (32 levels of maps and lists: "Nesting Levels have exceeded supported
// limits") or store otherwise than sent (invalid UTF-8, which the SDK
// replaces with U+FFFD, so every later Save wrote again) is an
// *EncodeError before any request, on every backend; what DynamoDB stores
// (31 levels, a 64 KB map key) is stored and read back.
func TestMapRefusesWhatDynamoDBRefuses(t *testing.T) {
	type session = map[string]any
	nested := func(levels int) session { // levels of the stored attribute, the session map included
		var v any = "x"
		for range levels - 1 {
			v = []any{v}
		}
		return session{"v": v}
	}
	cases := map[string]func(t *testing.T, e *env){}
	for name, tt := range map[string]struct {
		data session
		ok   bool
	}{
		"31 levels":         {nested(31), true},
		"32 levels":         {nested(32), false},
		"invalid UTF-8":     {session{"user": "caf\xe9"}, false},
		"invalid UTF-8 key": {session{"caf\xe9": int64(1)}, false},
		"64 KB key":         {session{strings.Repeat("k", 65535): int64(1)}, true},
		"64 KB + 1 key":     {session{strings.Repeat("k", 65536): int64(1)}, false},
	} {
		cases[name] = func(t *testing.T, e *env) {
			repo := newRepo[session](t, e)
			ctx := context.Background()
			id := newID(t)
			if _, err := repo.Put(ctx, id, session{"user": "ada"}); err != nil {
				t.Fatal(err)
			}
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			s.Data = tt.data
			e.reset()
			err = repo.Save(ctx, s)
			if !tt.ok {
				var encErr *dynamosession.EncodeError
				if !errors.As(err, &encErr) || !errors.Is(err, codec.ErrUnsupported) {
					t.Fatalf("Save = %v; want an *EncodeError wrapping codec.ErrUnsupported", err)
				}
				if n := e.count(""); n != 0 {
					t.Errorf("Save sent %d requests, want none", n)
				}
				return
			}
			if err != nil {
				t.Fatalf("Save: %v", err)
			}
			got, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			// Not cmp.Diff: its diff of 31 nested one-element lists takes
			// 2^31 steps.
			if !reflect.DeepEqual(tt.data, got.Data) {
				t.Errorf("read back something else than was saved (%d keys)", len(got.Data))
			}
		}
	}
	onBackends(t, cases)
}
