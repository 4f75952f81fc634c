package dynamosession_test

// Bad input and faults. Every bad input that can be judged locally must
// come back as a named error without a request; every fault must come back
// as an error the caller can classify, after exactly one request from the
// repository, with the stored record either as it was or as it was meant
// to become, never in between.

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
)

// faultNow is the fixed time of the fault tests: expiries computed from it
// have the same number of digits, so item sizes are exact.
var faultNow = time.Date(2027, 1, 15, 8, 0, 0, 0, time.UTC)

// faultCalls counts the requests a repository sends, as Options.Observer
// reports them.
type faultCalls struct {
	mu  sync.Mutex
	ops map[string]int
}

func (c *faultCalls) observe(call dynamosession.Call) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ops == nil {
		c.ops = map[string]int{}
	}
	c.ops[call.Op]++
}

// n returns the number of requests of op, or of all requests for "".
func (c *faultCalls) n(op string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	total := 0
	for o, k := range c.ops {
		if op == "" || o == op {
			total += k
		}
	}
	return total
}

func (c *faultCalls) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ops = nil
}

// faultRepo returns a repository on client that reports its requests to
// calls, with the clock at faultNow.
func faultRepo[T any](t testing.TB, client dynamosession.API, calls *faultCalls, optFns ...func(*dynamosession.Options[T])) *dynamosession.Repo[T] {
	t.Helper()
	base := func(o *dynamosession.Options[T]) {
		o.Observer = calls.observe
		o.Clock = func() time.Time { return faultNow }
	}
	r, err := dynamosession.New[T](client, "sessions", append([]func(*dynamosession.Options[T]){base}, optFns...)...)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return r
}

func faultVersioned[T any](o *dynamosession.Options[T]) { o.Versioned = true }

// faultStored returns the item under key in the fake's "sessions" table, nil if
// there is none.
func faultStored(db *fake.DB, key string) map[string]types.AttributeValue {
	item, _ := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}})
	return item
}

// totalCalls is every request the fake received, whoever sent it.
func totalCalls(db *fake.DB) int {
	n := 0
	for _, k := range db.Stats().Calls {
		n += k
	}
	return n
}

func TestInvalidIDSendsNothing(t *testing.T) {
	db := newFake(t)
	var calls faultCalls
	repo := faultRepo[cart](t, db, &calls, faultVersioned)
	ctx := context.Background()
	ops := []struct {
		name string
		run  func(id string) error
	}{
		{"Get", func(id string) error { _, err := repo.Get(ctx, id); return err }},
		{"Put", func(id string) error { return put(repo.Put(ctx, id, cart{User: "u"})) }},
		{"Delete", func(id string) error { return repo.Delete(ctx, id) }},
		{"Update", func(id string) error {
			_, err := repo.Update(ctx, id, func(*cart) error { return nil })
			return err
		}},
	}
	ids := []struct{ name, id string }{
		{"empty", ""},
		{"invalid UTF-8 byte", "abc\xff"},
		{"truncated UTF-8 sequence", "caf\xc3"},
		{"UTF-16 surrogate encoded as UTF-8", "\xed\xa0\x80"},
		{"overlong UTF-8 encoding", "\xc0\xaf"},
		{"key one byte over 2048", strings.Repeat("x", capacity.MaxPartitionKeyBytes-len("session#")+1)},
		// DynamoDB counts bytes, not characters: 1021 characters, 2042 bytes.
		{"key over 2048 bytes in fewer characters", strings.Repeat("é", 1021)},
	}
	for _, op := range ops {
		for _, tt := range ids {
			t.Run(op.name+"/"+tt.name, func(t *testing.T) {
				calls.reset()
				db.ResetStats()
				err := op.run(tt.id)
				if !errors.Is(err, dynamosession.ErrInvalidID) {
					t.Fatalf("%s(%q) = %v, want ErrInvalidID", op.name, tt.id, err)
				}
				if n, sent := calls.n(""), totalCalls(db); n != 0 || sent != 0 {
					t.Fatalf("%s of an invalid ID observed %d requests, the fake received %d; want none", op.name, n, sent)
				}
			})
		}
	}
	// The largest valid keys reach the table and work.
	for _, id := range []string{
		strings.Repeat("x", capacity.MaxPartitionKeyBytes-len("session#")),
		strings.Repeat("é", (capacity.MaxPartitionKeyBytes-len("session#"))/2),
	} {
		if _, err := repo.Put(ctx, id, cart{User: "longest"}); err != nil {
			t.Fatalf("Put with a %d-byte key: %v", len("session#"+id), err)
		}
		if s, err := repo.Get(ctx, id); err != nil || s.Data.User != "longest" {
			t.Fatalf("Get with a %d-byte key = %v, %v", len("session#"+id), s, err)
		}
	}
}

// sizedItem returns a cart whose item, as the repository writes it with c
// (key, data, expiry and the codec's extra attributes), is exactly size
// bytes by DynamoDB's rules. It grows User one byte at a time, which every
// codec encodes one byte longer.
func sizedItem(t *testing.T, c codec.Codec[cart], key string, size int) cart {
	t.Helper()
	data := cart{}
	item := func() map[string]types.AttributeValue {
		av, err := c.Encode(key, &data)
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]types.AttributeValue{
			"id":      &types.AttributeValueMemberS{Value: key},
			"sess":    av,
			"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(faultNow.Add(24 * time.Hour).Unix())},
		}
		if ea, ok := c.(codec.ExtraAttributer); ok {
			for k, v := range ea.ExtraAttributes() {
				m[k] = v
			}
		}
		return m
	}
	data.User = strings.Repeat("a", max(0, size-capacity.ItemSize(item())-8))
	for capacity.ItemSize(item()) < size {
		data.User += "a"
	}
	for capacity.ItemSize(item()) > size {
		data.User = data.User[1:]
	}
	if got := capacity.ItemSize(item()); got != size {
		t.Fatalf("cannot build a %d-byte item with %s (got %d)", size, c.Format(), got)
	}
	return data
}

// TestItemSizeBoundary writes items of exactly 400 KB, attribute names
// included, and one byte more, through Put and Save with every codec: the
// first is sent and the table accepts it, the second is refused locally.
func TestItemSizeBoundary(t *testing.T) {
	for _, c := range []codec.Codec[cart]{codec.Map[cart]{}, codec.JSON[cart]{}, codec.Msgpack[cart]{}} {
		t.Run(string(c.Format()), func(t *testing.T) {
			ctx := context.Background()
			db := newFake(t)
			var calls faultCalls
			repo := faultRepo(t, db, &calls, func(o *dynamosession.Options[cart]) { o.Codec = c })
			id := newID(t)
			key := "session#" + id
			atLimit := sizedItem(t, c, key, capacity.MaxItemBytes)
			overLimit := sizedItem(t, c, key, capacity.MaxItemBytes+1)

			calls.reset()
			if _, err := repo.Put(ctx, id, overLimit); !errors.Is(err, dynamosession.ErrItemTooLarge) {
				t.Fatalf("Put of a %d-byte item = %v, want ErrItemTooLarge", capacity.MaxItemBytes+1, err)
			}
			if n := calls.n(""); n != 0 {
				t.Fatalf("Put of an oversized item sent %d requests", n)
			}
			if _, err := repo.Put(ctx, id, atLimit); err != nil {
				t.Fatalf("Put of an item of exactly %d bytes: %v", capacity.MaxItemBytes, err)
			}
			if got := capacity.ItemSize(faultStored(db, key)); got != capacity.MaxItemBytes {
				t.Errorf("stored item is %d bytes, want %d", got, capacity.MaxItemBytes)
			}

			// Save: the same boundary on the UpdateItem path.
			if _, err := repo.Put(ctx, id, cart{User: "small"}); err != nil {
				t.Fatal(err)
			}
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			before := faultStored(db, key)
			s.Data = overLimit
			calls.reset()
			if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrItemTooLarge) {
				t.Fatalf("Save of a %d-byte item = %v, want ErrItemTooLarge", capacity.MaxItemBytes+1, err)
			}
			if n := calls.n(""); n != 0 {
				t.Fatalf("Save of an oversized item sent %d requests", n)
			}
			if diff := cmp.Diff(before, faultStored(db, key), cmpAV); diff != "" {
				t.Errorf("a refused Save changed the record (-want +got):\n%s", diff)
			}
			s.Data = atLimit
			if err := repo.Save(ctx, s); err != nil {
				t.Fatalf("Save of an item of exactly %d bytes: %v", capacity.MaxItemBytes, err)
			}
		})
	}
}

// TestItemTooLargeByTheTable: attributes the repository does not write
// (another application's) still count. The local check cannot see them;
// the table's refusal maps to the same named error, and nothing changes.
func TestItemTooLargeByTheTable(t *testing.T) {
	ctx := context.Background()
	db := newFake(t)
	var calls faultCalls
	repo := faultRepo[cart](t, db, &calls)
	id := newID(t)
	key := "session#" + id
	if err := db.PutRaw("sessions", map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: key},
		"sess":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"user": &types.AttributeValueMemberS{Value: "ada"}}},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(faultNow.Add(time.Hour).Unix())},
		"audit":   &types.AttributeValueMemberS{Value: strings.Repeat("x", 300*1024)},
	}); err != nil {
		t.Fatal(err)
	}
	s, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	before := faultStored(db, key)
	s.Data.User = strings.Repeat("y", 150*1024)
	calls.reset()
	err = repo.Save(ctx, s)
	if !errors.Is(err, dynamosession.ErrItemTooLarge) {
		t.Fatalf("Save that makes the item 450 KB = %v, want ErrItemTooLarge", err)
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) || ae.ErrorCode() != "ValidationException" {
		t.Errorf("the table's ValidationException is not reachable with errors.As: %v", err)
	}
	if n := calls.n("UpdateItem"); n != 1 {
		t.Errorf("Save sent %d UpdateItem, want 1", n)
	}
	if diff := cmp.Diff(before, faultStored(db, key), cmpAV); diff != "" {
		t.Errorf("the refused Save changed the record (-want +got):\n%s", diff)
	}
}

// TestUnencodableTypesRejectedByNew: a session type the codec can never
// encode (channels, functions, complex numbers) is a configuration error,
// found by New before any session is written.
func TestUnencodableTypesRejectedByNew(t *testing.T) {
	type withChan struct {
		C chan int `json:"c"`
	}
	type withFunc struct {
		F func() `json:"f"`
	}
	type withComplex struct {
		Z complex128 `json:"z"`
	}
	db := newFake(t)
	db.ResetStats()
	tests := []struct {
		name string
		err  error
	}{
		{"map/chan", faultNewErr[withChan](db, codec.Map[withChan]{})},
		{"map/func", faultNewErr[withFunc](db, codec.Map[withFunc]{})},
		{"map/complex", faultNewErr[withComplex](db, codec.Map[withComplex]{})},
		{"json/chan", faultNewErr[withChan](db, codec.JSON[withChan]{})},
		{"json/func", faultNewErr[withFunc](db, codec.JSON[withFunc]{})},
		{"json/complex", faultNewErr[withComplex](db, codec.JSON[withComplex]{})},
		{"msgpack/chan", faultNewErr[withChan](db, codec.Msgpack[withChan]{})},
		{"msgpack/func", faultNewErr[withFunc](db, codec.Msgpack[withFunc]{})},
		{"msgpack/complex", faultNewErr[withComplex](db, codec.Msgpack[withComplex]{})},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, dynamosession.ErrInvalidOptions) {
			t.Errorf("%s: New = %v, want ErrInvalidOptions", tt.name, tt.err)
		}
	}
	if n := totalCalls(db); n != 0 {
		t.Errorf("New sent %d requests", n)
	}
}

func faultNewErr[T any](db *fake.DB, c codec.Codec[T]) error {
	_, err := dynamosession.New[T](db, "sessions", func(o *dynamosession.Options[T]) { o.Codec = c })
	return err
}

// faultLoose is a session whose type every codec accepts but some values of
// which none can store.
type faultLoose struct {
	F float64        `json:"f"`
	M map[string]any `json:"m,omitempty"`
}

// TestUnencodableValuesSendNothing: values a codec cannot store are an
// *EncodeError from Put and Save, with no request and the record intact.
func TestUnencodableValuesSendNothing(t *testing.T) {
	tests := []struct {
		name  string
		codec codec.Codec[faultLoose]
		value faultLoose
	}{
		{"map/NaN", codec.Map[faultLoose]{}, faultLoose{F: math.NaN()}},
		{"map/+Inf", codec.Map[faultLoose]{}, faultLoose{F: math.Inf(1)}},
		{"map/NaN in an any", codec.Map[faultLoose]{}, faultLoose{M: map[string]any{"x": math.NaN()}}},
		{"map/-Inf in a nested any", codec.Map[faultLoose]{}, faultLoose{M: map[string]any{"x": []any{1, math.Inf(-1)}}}},
		{"json/NaN", codec.JSON[faultLoose]{}, faultLoose{F: math.NaN()}},
		{"json/-Inf in an any", codec.JSON[faultLoose]{}, faultLoose{M: map[string]any{"x": math.Inf(-1)}}},
		{"json/chan in an any", codec.JSON[faultLoose]{}, faultLoose{M: map[string]any{"x": make(chan int)}}},
		{"json/func in an any", codec.JSON[faultLoose]{}, faultLoose{M: map[string]any{"x": func() {}}}},
		{"msgpack/chan in an any", codec.Msgpack[faultLoose]{}, faultLoose{M: map[string]any{"x": make(chan int)}}},
		{"msgpack/func in an any", codec.Msgpack[faultLoose]{}, faultLoose{M: map[string]any{"x": func() {}}}},
		{"msgpack/complex in an any", codec.Msgpack[faultLoose]{}, faultLoose{M: map[string]any{"x": 1i}}},
		{"map/chan in an any", codec.Map[faultLoose]{}, faultLoose{M: map[string]any{"x": make(chan int), "kept": 1}}},
		{"map/func in a list", codec.Map[faultLoose]{}, faultLoose{M: map[string]any{"x": []any{func() {}, 2}}}},
		{"map/complex in an any", codec.Map[faultLoose]{}, faultLoose{M: map[string]any{"x": 1i}}},
		{"map/number above DynamoDB's range", codec.Map[faultLoose]{}, faultLoose{F: 1e200}},
		{"map/number below DynamoDB's range", codec.Map[faultLoose]{}, faultLoose{M: map[string]any{"x": 1e-200}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := newFake(t)
			var calls faultCalls
			repo := faultRepo(t, db, &calls, func(o *dynamosession.Options[faultLoose]) { o.Codec = tt.codec })
			id := newID(t)
			var ee *dynamosession.EncodeError
			if _, err := repo.Put(ctx, id, tt.value); !errors.As(err, &ee) || ee.ID != id || ee.Format != tt.codec.Format() {
				t.Fatalf("Put = %v, want an *EncodeError naming the session and format", err)
			}
			if n := calls.n(""); n != 0 {
				t.Fatalf("Put of an unencodable value sent %d requests", n)
			}
			if _, err := repo.Put(ctx, id, faultLoose{F: 1}); err != nil {
				t.Fatal(err)
			}
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			before := faultStored(db, "session#"+id)
			s.Data = tt.value
			calls.reset()
			if err := repo.Save(ctx, s); !errors.As(err, &ee) {
				t.Fatalf("Save = %v, want an *EncodeError", err)
			}
			if n := calls.n(""); n != 0 {
				t.Fatalf("Save of an unencodable value sent %d requests", n)
			}
			if diff := cmp.Diff(before, faultStored(db, "session#"+id), cmpAV); diff != "" {
				t.Errorf("the record changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWrongShapeRecords stores records no session store writes and
// expects a *DecodeError naming the attribute, no write of any kind, and
// the record left as it was. (A record without data is the exception:
// connect-dynamodb leaves such husks, and they read as no session.)
func TestWrongShapeRecords(t *testing.T) {
	future := fmt.Sprint(faultNow.Add(time.Hour).Unix())
	validSess := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"user": &types.AttributeValueMemberS{Value: "ada"}}}
	n := func(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }
	str := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	tests := []struct {
		name     string
		sess     types.AttributeValue // nil: absent
		expires  types.AttributeValue // nil: absent
		version  types.AttributeValue // nil: absent
		wantAttr string               // "" when the record must read fine, "not found" for ErrNotFound
	}{
		{"sess missing (a husk)", nil, n(future), nil, "not found"},
		{"sess a number", n("42"), n(future), nil, "sess"},
		{"sess a bool", &types.AttributeValueMemberBOOL{Value: true}, n(future), nil, "sess"},
		{"sess null", &types.AttributeValueMemberNULL{Value: true}, n(future), nil, "sess"},
		{"sess a list", &types.AttributeValueMemberL{Value: []types.AttributeValue{str("a")}}, n(future), nil, "sess"},
		{"sess a string set", &types.AttributeValueMemberSS{Value: []string{"a"}}, n(future), nil, "sess"},
		{"sess a binary set", &types.AttributeValueMemberBS{Value: [][]byte{{1}}}, n(future), nil, "sess"},
		{"sess not JSON", str("user=ada"), n(future), nil, "sess"},
		{"sess JSON of the wrong shape", str(`{"count":"many"}`), n(future), nil, "sess"},
		{"sess a map of the wrong shape", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"count": str("many")}}, n(future), nil, "sess"},
		{"sess bytes not msgpack", &types.AttributeValueMemberB{Value: []byte{0x92, 0x01}}, n(future), nil, "sess"},
		{"sess an unknown envelope", &types.AttributeValueMemberB{Value: []byte{0xC1, 0x00, 0x01}}, n(future), nil, "sess"},
		{"sess sealed without keys", &types.AttributeValueMemberB{Value: []byte{0xC1, 'e', 1, 1, 'k'}}, n(future), nil, "sess"},
		{"expires a string", validSess, str(future), nil, "expires"},
		{"expires a bool", validSess, &types.AttributeValueMemberBOOL{Value: true}, nil, "expires"},
		{"expires a number set", validSess, &types.AttributeValueMemberNS{Value: []string{future}}, nil, "expires"},
		{"expires not a number", validSess, n("soon"), nil, "expires"},
		{"expires out of float range", validSess, n("1e400"), nil, "expires"},
		{"version a string", validSess, n(future), str("1"), "version"},
		{"version a bool", validSess, n(future), &types.AttributeValueMemberBOOL{Value: true}, "version"},
		{"version a fraction", validSess, n(future), n("1.5"), "version"},
		{"version negative", validSess, n(future), n("-1"), "version"},
		{"version beyond int64", validSess, n(future), n("99999999999999999999"), "version"},
		{"expires absent", validSess, nil, n("3"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := newFake(t)
			var calls faultCalls
			repo := faultRepo[cart](t, db, &calls, func(o *dynamosession.Options[cart]) {
				o.Versioned = true
				o.RewriteOnRead = true // a rewrite is a write: it must not happen either
				o.Codec = codec.Msgpack[cart]{}
			})
			id := newID(t)
			key := "session#" + id
			item := map[string]types.AttributeValue{"id": str(key)}
			for name, v := range map[string]types.AttributeValue{"sess": tt.sess, "expires": tt.expires, "version": tt.version} {
				if v != nil {
					item[name] = v
				}
			}
			if err := db.PutRaw("sessions", item); err != nil {
				t.Fatal(err)
			}
			before := faultStored(db, key)

			_, err := repo.Get(ctx, id)
			_, uerr := repo.Update(ctx, id, func(c *cart) error { c.Count++; return nil })
			if tt.wantAttr == "" {
				if err != nil || uerr != nil {
					t.Fatalf("Get = %v, Update = %v; want both to succeed", err, uerr)
				}
				return
			}
			for name, err := range map[string]error{"Get": err, "Update": uerr} {
				if tt.wantAttr == "not found" {
					if !errors.Is(err, dynamosession.ErrNotFound) {
						t.Errorf("%s = %v, want ErrNotFound", name, err)
					}
					continue
				}
				var de *dynamosession.DecodeError
				if !errors.As(err, &de) || de.ID != id || de.Attr != tt.wantAttr {
					t.Errorf("%s = %v, want a *DecodeError on %q", name, err, tt.wantAttr)
				}
				if errors.Is(err, dynamosession.ErrNotFound) {
					t.Errorf("%s = %v: a record that cannot be read is not a missing session", name, err)
				}
			}
			if n := calls.n("") - calls.n("GetItem"); n != 0 {
				t.Errorf("%d writes after a decode error, want none", n)
			}
			if diff := cmp.Diff(before, faultStored(db, key), cmpAV); diff != "" {
				t.Errorf("the record changed (-want +got):\n%s", diff)
			}
		})
	}
	// An unversioned repository ignores the version attribute altogether.
	db := newFake(t)
	var calls faultCalls
	repo := faultRepo[cart](t, db, &calls)
	_ = db.PutRaw("sessions", map[string]types.AttributeValue{"id": str("session#v"), "sess": validSess, "expires": n(future), "version": str("x")})
	if _, err := repo.Get(context.Background(), "v"); err != nil {
		t.Errorf("unversioned Get of a record with a string version: %v", err)
	}
}

// TestStoredVersionZero: a record whose version is 0 (the library starts
// at 1, other writers need not) reads as version 0, and Save must then
// write version 1 on the condition that the stored version is still 0.
func TestStoredVersionZero(t *testing.T) {
	ctx := context.Background()
	db := newFake(t)
	var calls faultCalls
	repo := faultRepo[cart](t, db, &calls, faultVersioned)
	if err := db.PutRaw("sessions", map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#zero"},
		"sess":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(faultNow.Add(time.Hour).Unix())},
		"version": &types.AttributeValueMemberN{Value: "0"},
	}); err != nil {
		t.Fatal(err)
	}
	s, err := repo.Update(ctx, "zero", func(c *cart) error { c.Count++; return nil })
	if err != nil || s.Version != 1 {
		t.Fatalf("Update of a version-0 record = %v, %v; want version 1", s, err)
	}
	if n := calls.n("UpdateItem"); n != 1 {
		t.Errorf("Update sent %d writes, want 1", n)
	}
}

// hookDB is the fake with a hook that runs as each request reaches it,
// before the fake sees the request, so a test can inject a fault into
// exactly the request it means (Update's write, not its read) and know
// when a call is in flight without guessing.
type hookDB struct {
	*fake.DB
	before func(op string)
}

func (h *hookDB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	h.before("GetItem")
	return h.DB.GetItem(ctx, in, optFns...)
}

func (h *hookDB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	h.before("PutItem")
	return h.DB.PutItem(ctx, in, optFns...)
}

func (h *hookDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	h.before("UpdateItem")
	return h.DB.UpdateItem(ctx, in, optFns...)
}

func (h *hookDB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	h.before("DeleteItem")
	return h.DB.DeleteItem(ctx, in, optFns...)
}

// onFirst returns a hook that runs inject once, on the first request of
// kind op.
func onFirst(op string, inject func()) func(string) {
	var once sync.Once
	return func(got string) {
		if got == op {
			once.Do(inject)
		}
	}
}

// faultOp is one repository operation under a fault: run does it to the
// session "before" (read just before), and op is the DynamoDB request the
// fault hits.
type faultOp struct {
	name string
	op   string
	run  func(ctx context.Context, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error
}

func faultOps() []faultOp {
	return []faultOp{
		{"Get", "GetItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			_, err := r.Get(ctx, s.ID)
			return err
		}},
		{"Put", "PutItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			return put(r.Put(ctx, s.ID, cart{User: "replaced"}))
		}},
		{"Save", "UpdateItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			s.Data.Count++
			return r.Save(ctx, s)
		}},
		{"Touch", "UpdateItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			_, err := r.Touch(ctx, s)
			return err
		}},
		{"Delete", "DeleteItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			return r.Delete(ctx, s.ID)
		}},
		{"DeleteIfUnchanged", "DeleteItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			return r.DeleteIfUnchanged(ctx, s)
		}},
		{"Update/read", "GetItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			_, err := r.Update(ctx, s.ID, func(c *cart) error { c.Count++; return nil })
			return err
		}},
		{"Update/write", "UpdateItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			_, err := r.Update(ctx, s.ID, func(c *cart) error { c.Count++; return nil })
			return err
		}},
	}
}

// TestFaultsLeaveRecordIntact injects each fault into each operation's
// request and checks what the caller sees and what is stored: the fault
// reaches the caller in a form it can classify, the repository made
// exactly one request of the faulty kind (it has no retry loop of its own:
// retrying throttled requests is the SDK retryer's business, see
// TestSDKRetryerOwnsRetries), and the record is as it was.
func TestFaultsLeaveRecordIntact(t *testing.T) {
	faults := []struct {
		name string
		// inject runs as the target request reaches the fake; timeout is
		// the deadline of the call, 0 for none.
		inject  func(db *fake.DB, op string)
		timeout time.Duration
		check   func(err error) bool
	}{
		{"throttled once", func(db *fake.DB, op string) { db.ThrottleNext(op, 1) }, 0, isThrottled},
		{"throttled without end", func(db *fake.DB, op string) { db.ThrottleNext(op, 1000) }, 0, isThrottled},
		{"internal server error", func(db *fake.DB, op string) {
			db.FailNext(op, 1, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op,
				Err: &types.InternalServerError{Message: aws.String("Internal server error")}})
		}, 0, func(err error) bool {
			var ise *types.InternalServerError
			return errors.As(err, &ise)
		}},
		// A table that stops answering and a deadline: the call is cut off
		// while it waits, as a slow network would cut it. The deadline
		// leaves Update's read, which has no latency, ample time.
		{"timeout", func(db *fake.DB, op string) { db.SetLatency(time.Hour) }, 50 * time.Millisecond,
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	}
	for _, op := range faultOps() {
		for _, f := range faults {
			t.Run(op.name+"/"+f.name, func(t *testing.T) {
				db := newFake(t)
				h := &hookDB{DB: db, before: func(string) {}}
				var calls faultCalls
				repo := faultRepo[cart](t, h, &calls, faultVersioned, func(o *dynamosession.Options[cart]) { o.Touch = ttl.Always() })
				s, before := faultSession(t, db, repo)
				calls.reset()
				db.ResetStats()
				h.before = onFirst(op.op, func() { f.inject(db, op.op) })
				defer db.SetLatency(0)
				ctx := context.Background()
				if f.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, f.timeout)
					defer cancel()
				}
				err := op.run(ctx, repo, s)
				if !f.check(err) {
					t.Fatalf("%s under %s = %v", op.name, f.name, err)
				}
				if strings.Contains(err.Error(), s.ID) {
					t.Errorf("error %q carries the whole session ID", err)
				}
				if n := calls.n(op.op); n != 1 {
					t.Errorf("%s made %d %s requests, want exactly 1", op.name, n, op.op)
				}
				// A call cut off while it waits never reaches the fake's
				// counters; every other one must have reached it once.
				if n := db.Stats().Calls[op.op]; f.timeout == 0 && n != 1 {
					t.Errorf("the fake received %d %s requests, want exactly 1", n, op.op)
				}
				if diff := cmp.Diff(before, faultStored(db, "session#"+s.ID), cmpAV); diff != "" {
					t.Errorf("the record changed after a failed %s (-want +got):\n%s", op.name, diff)
				}
			})
		}
	}
}

// faultSession stores a session an hour old and reads it back.
func faultSession(t *testing.T, db *fake.DB, repo *dynamosession.Repo[cart]) (*dynamosession.Session[cart], map[string]types.AttributeValue) {
	t.Helper()
	id := newID(t)
	key := "session#" + id
	if err := db.PutRaw("sessions", map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: key},
		"sess":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"user": &types.AttributeValueMemberS{Value: "ada"}, "count": &types.AttributeValueMemberN{Value: "1"}}},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(faultNow.Add(23 * time.Hour).Unix())},
		"version": &types.AttributeValueMemberN{Value: "4"},
	}); err != nil {
		t.Fatal(err)
	}
	s, err := repo.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s, faultStored(db, key)
}

func isThrottled(err error) bool {
	var pte *types.ProvisionedThroughputExceededException
	return errors.As(err, &pte)
}

// TestCancelMidCall cancels each operation's request while it is in
// flight: the caller gets context.Canceled and the record is unchanged.
func TestCancelMidCall(t *testing.T) {
	for _, op := range faultOps() {
		t.Run(op.name, func(t *testing.T) {
			db := newFake(t)
			inFlight := make(chan struct{})
			h := &hookDB{DB: db, before: func(string) {}}
			var calls faultCalls
			repo := faultRepo[cart](t, h, &calls, faultVersioned, func(o *dynamosession.Options[cart]) { o.Touch = ttl.Always() })
			s, before := faultSession(t, db, repo)
			calls.reset()
			// The target request finds a table that does not answer; the
			// test cancels once it is known to be waiting there.
			h.before = onFirst(op.op, func() { db.SetLatency(time.Hour); close(inFlight) })
			defer db.SetLatency(0)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- op.run(ctx, repo, s) }()
			<-inFlight
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("%s canceled mid-call = %v, want context.Canceled", op.name, err)
			}
			if n := calls.n(op.op); n != 1 {
				t.Errorf("%s made %d %s requests, want exactly 1", op.name, n, op.op)
			}
			if diff := cmp.Diff(before, faultStored(db, "session#"+s.ID), cmpAV); diff != "" {
				t.Errorf("the record changed after a canceled %s (-want +got):\n%s", op.name, diff)
			}
		})
	}
}

// TestFailedConditionalWrites: each conditional write that loses its
// condition is a named error after exactly one request, and the record is
// the one the winner wrote, whole.
func TestFailedConditionalWrites(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// race makes a rival write after s was read, and returns the
		// operation that must lose.
		race func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error
		want error
		op   string
	}{
		{"versioned Save after a rival Save", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			rival, _ := repo.Get(ctx, s.ID)
			rival.Data.User = "rival"
			if err := repo.Save(ctx, rival); err != nil {
				t.Fatal(err)
			}
			return func() error { s.Data.User = "loser"; return repo.Save(ctx, s) }
		}, dynamosession.ErrConflict, "UpdateItem"},
		{"Save after a Delete", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			if err := repo.Delete(ctx, s.ID); err != nil {
				t.Fatal(err)
			}
			return func() error { s.Data.User = "loser"; return repo.Save(ctx, s) }
		}, dynamosession.ErrNotFound, "UpdateItem"},
		{"versioned Put over a live session", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			return func() error { return put(repo.Put(ctx, s.ID, cart{User: "loser"})) }
		}, dynamosession.ErrConflict, "PutItem"},
		{"DeleteIfUnchanged of a stale version", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			rival, _ := repo.Get(ctx, s.ID)
			rival.Data.User = "rival"
			if err := repo.Save(ctx, rival); err != nil {
				t.Fatal(err)
			}
			return func() error { return repo.DeleteIfUnchanged(ctx, s) }
		}, dynamosession.ErrConflict, "DeleteItem"},
		{"Touch of a stale expiry", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			rival, _ := repo.Get(ctx, s.ID)
			rival.Data.User = "rival"
			if err := repo.Save(ctx, rival); err != nil {
				t.Fatal(err)
			}
			return func() error {
				touched, err := repo.Touch(ctx, s)
				if touched {
					return errors.New("stale Touch wrote")
				}
				return err // losing a touch race is not an error
			}
		}, nil, "UpdateItem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newFake(t)
			var calls faultCalls
			clock := testclock.New(faultNow)
			repo := faultRepo[cart](t, db, &calls, faultVersioned, func(o *dynamosession.Options[cart]) {
				o.Touch = ttl.Always()
				o.Clock = clock.Now
			})
			id := newID(t)
			if _, err := repo.Put(ctx, id, cart{User: "first"}); err != nil {
				t.Fatal(err)
			}
			s, _ := repo.Get(ctx, id)
			clock.Advance(time.Minute) // the rival's write moves the expiry
			lose := tt.race(t, repo, s)
			winner := faultStored(db, "session#"+id)
			calls.reset()
			err := lose()
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("losing write = %v, want %v", err, tt.want)
			}
			if n := calls.n(tt.op); n != 1 || calls.n("") != 1 {
				t.Errorf("losing write sent %d requests (%d %s), want exactly 1", calls.n(""), n, tt.op)
			}
			if diff := cmp.Diff(winner, faultStored(db, "session#"+id), cmpAV); diff != "" {
				t.Errorf("the winner's record changed (-want +got):\n%s", diff)
			}
		})
	}
}

// replayDB is the fake behind a connection that drops the response of the
// first conditional UpdateItem after DynamoDB applied it: the SDK's
// retryer then sends the same request again (it retries connection resets
// and timeouts for every DynamoDB operation), and that second attempt is
// the one whose answer the repository sees.
type replayDB struct {
	*fake.DB
	replayed atomic.Bool
}

func (r *replayDB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	if in.ConditionExpression != nil && strings.Contains(*in.ConditionExpression, "#v") && r.replayed.CompareAndSwap(false, true) {
		if _, err := r.DB.UpdateItem(ctx, in, optFns...); err != nil {
			return nil, err
		}
	}
	return r.DB.UpdateItem(ctx, in, optFns...)
}

// TestUpdateAppliesOnceAfterLostResponse documents an ambiguity of
// optimistic locking: a versioned write that landed but whose response was
// lost is retried by the SDK, fails its own condition, and reads as
// ErrConflict; Update then applies fn a second time. See the report of
// issue 9 for the fix (a per-write token); until it lands the test is
// skipped.
func TestUpdateAppliesOnceAfterLostResponse(t *testing.T) {
	ctx := context.Background()
	db := &replayDB{DB: newFake(t)}
	var calls faultCalls
	repo := faultRepo[cart](t, db, &calls, faultVersioned)
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	}
	s, err := repo.Update(ctx, id, func(c *cart) error { c.Count++; return nil })
	if err != nil {
		t.Fatal(err)
	}
	got, _ := repo.Get(consistency.WithStrongRead(ctx), id)
	if s.Data.Count != 1 || got.Data.Count != 1 {
		t.Fatalf("one Update incremented the count to %d (stored %d), want 1", s.Data.Count, got.Data.Count)
	}
}

// TestSDKRetryerOwnsRetries puts a real *dynamodb.Client, with the SDK's
// standard retryer, in front of a loopback server that speaks DynamoDB's
// protocol and throttles. DynamoDB Local never throttles, so this is where
// the division of labour shows: the SDK retries (MaxAttempts HTTP requests),
// the repository makes one call and returns the SDK's final error with the
// exception reachable by errors.As.
func TestSDKRetryerOwnsRetries(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		throttles   int // requests throttled before the server answers
		wantHTTP    int
		wantErr     bool
	}{
		{"throttled throughout, default attempts", retry.DefaultMaxAttempts, 1 << 30, retry.DefaultMaxAttempts, true},
		{"throttled throughout, retries off", 1, 1 << 30, 1, true},
		{"throttled twice, then served", retry.DefaultMaxAttempts, 2, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				n := requests.Add(1)
				if n <= int64(tt.throttles) {
					writeDynamoDB(w, http.StatusBadRequest, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`)
					return
				}
				writeDynamoDB(w, http.StatusOK, `{}`) // GetItem of an absent item
			}))
			defer srv.Close()
			client := dynamodb.New(dynamodb.Options{
				Region:       "us-east-1",
				BaseEndpoint: aws.String(srv.URL),
				Credentials:  dynamotest.LocalCredentials,
				Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
					o.MaxAttempts = tt.maxAttempts
					// The backoff is the retryer's; zero keeps the test
					// fast without changing what is retried.
					o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				}),
			})
			var calls faultCalls
			repo := faultRepo[cart](t, client, &calls)
			_, err := repo.Get(context.Background(), "abc")
			if got := int(requests.Load()); got != tt.wantHTTP {
				t.Errorf("server saw %d requests, want %d", got, tt.wantHTTP)
			}
			if n := calls.n(""); n != 1 {
				t.Errorf("repository made %d calls, want 1", n)
			}
			if tt.wantErr {
				if !isThrottled(err) {
					t.Fatalf("Get = %v, want a ProvisionedThroughputExceededException", err)
				}
				return
			}
			if !errors.Is(err, dynamosession.ErrNotFound) {
				t.Fatalf("Get after the retryer absorbed the throttling = %v, want ErrNotFound", err)
			}
		})
	}
}

// writeDynamoDB answers as DynamoDB does, CRC32 header included, so the
// SDK's response checks pass.
func writeDynamoDB(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE([]byte(body))))
	w.Header().Set("X-Amzn-Requestid", "test")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// TestDeadlinesOnDynamoDBLocal saves under deadlines short enough to cut
// requests off at any point on a real server, and reads the record after
// each: it is always one whole save (count, items and user agree), a save
// that reported success is what is stored, and a save that was cut off
// either never shows or shows whole. It also measures a fact callers must
// know: a cut-off write can land after the caller's next read, so "it
// failed" is not "it did not happen" (retry with a fresh Get, which the
// version condition makes safe).
func TestDeadlinesOnDynamoDBLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the DynamoDB Local deadline test")
	}
	client := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, client, "id", "")
	repo, err := dynamosession.New[cart](client, table, func(o *dynamosession.Options[cart]) {
		o.Versioned = true
		o.Codec = codec.Msgpack[cart]{}
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := consistency.WithStrongRead(context.Background())
	id := newID(t)
	whole := func(round int) cart {
		return cart{User: fmt.Sprint(round), Count: round, Items: []string{fmt.Sprint("item ", round)}}
	}
	if _, err := repo.Put(ctx, id, whole(0)); err != nil {
		t.Fatal(err)
	}
	// Deadlines spread over twice the time a save takes here, measured
	// after a warm-up, so that they cut requests at every stage on a fast
	// machine and on a loaded one alike.
	var took []time.Duration
	for range 20 {
		s, err := repo.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s.Data.Items = append(s.Data.Items, "warm-up")
		start := time.Now()
		if err := repo.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
		took = append(took, time.Since(start))
		s.Data = whole(0)
		if err := repo.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(took)
	spread := 2 * took[len(took)/2]
	const rounds = 150
	var ok, conflicts, cut, cutSeen, cutSeenLate int
	attempted := map[int]bool{0: true} // rounds whose save may be stored
	pending := map[int]bool{}          // cut-off saves not seen yet
	lastVersion := int64(1)
	read := func(round int) *dynamosession.Session[cart] {
		t.Helper()
		got, err := repo.Get(ctx, id)
		if err != nil {
			t.Fatalf("round %d: Get = %v", round, err)
		}
		m := got.Data.Count
		if diff := cmp.Diff(whole(m), got.Data); diff != "" || !attempted[m] {
			t.Fatalf("round %d: stored record is not one whole save (-save %d +stored):\n%s", round, m, diff)
		}
		if got.Version < lastVersion {
			t.Fatalf("round %d: version went back from %d to %d", round, lastVersion, got.Version)
		}
		lastVersion = got.Version
		if pending[m] {
			delete(pending, m)
			cutSeen++
			if m < round {
				cutSeenLate++ // it was not there when round m read after its save
			}
		}
		return got
	}
	for round := 1; round <= rounds; round++ {
		s := read(round)
		s.Data = whole(round)
		attempted[round] = true
		cctx, cancel := context.WithTimeout(ctx, rand.N(spread))
		err := repo.Save(cctx, s)
		cancel()
		switch {
		case err == nil:
			ok++
			if got := read(round); got.Data.Count != round {
				t.Fatalf("round %d: Save succeeded but the record holds save %d", round, got.Data.Count)
			}
		case errors.Is(err, context.DeadlineExceeded):
			cut++
			pending[round] = true
			read(round)
		case errors.Is(err, dynamosession.ErrConflict):
			conflicts++ // an earlier cut-off save landed after this round's read
			read(round)
		default:
			t.Fatalf("round %d: Save = %v, want success, a deadline or a conflict", round, err)
		}
	}
	t.Logf("%d saves under random deadlines from 0 to %v (twice the median save): %d succeeded, %d cut off, %d conflicts; "+
		"of the cut-off saves %d were stored after all, %d of them only after the caller's next read",
		rounds, spread.Round(time.Microsecond), ok, cut, conflicts, cutSeen, cutSeenLate)
}

// put drops the session Repo.Put returns, for tables of operations that
// return only an error.
func put[T any](_ *dynamosession.Session[T], err error) error { return err }
