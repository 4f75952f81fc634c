package codec_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
)

// counted is a session whose maps vmihailenco/msgpack writes in Go's
// random iteration order, beside values that do not survive a decode
// unchanged (a time with a monotonic reading and a zone, an int in an
// interface): the shape with which issue 12 saw an unchanged Save write
// or not depending on map order.
type counted struct {
	Counts map[string]int    `json:"counts"`
	Named  map[flagKey]int   `json:"named"`
	ByID   map[int]string    `json:"byId"`
	Nested map[string]any    `json:"nested"`
	Seen   time.Time         `json:"seen"`
	Any    any               `json:"any"`
	Deep   []map[string]bool `json:"deep"`
}

type flagKey string

func newCounted() counted {
	c := counted{
		Counts: map[string]int{}, Named: map[flagKey]int{}, ByID: map[int]string{},
		Nested: map[string]any{"inner": map[string]int{"x": 1, "y": 2, "z": 3, "w": 4}},
		Seen:   time.Now(), // monotonic reading, local zone
		Any:    7,          // decodes as int8
	}
	for i := range 16 {
		k := fmt.Sprintf("key%02d", i)
		c.Counts[k], c.Named[flagKey(k)], c.ByID[i] = i, i, k
	}
	c.Deep = []map[string]bool{{"a": true, "b": false}}
	return c
}

// comparer is what a repository asks of a codec that compares stored
// values itself (session.go declares the same interface).
type comparer interface {
	SameData(key string, stored, encoded types.AttributeValue) bool
}

// canonical is what a repository asks of a codec whose encoding it may
// trust byte for byte.
type canonical interface{ Canonical() bool }

// msgpackPlumbing is codec.Msgpack's codec with the methods a repository
// reaches by type assertion.
type msgpackPlumbing[T any] interface {
	codec.Binary[T]
	comparer
	canonical
}

// comparers lists the codecs that implement comparer.
func comparers(t testing.TB) map[string]codec.Codec[counted] {
	kr := mustKeyring(t, sealKey("k1"), sealKey("k0"))
	compressAll := func(o *codec.CompressOptions) { o.Threshold = -1 }
	return map[string]codec.Codec[counted]{
		"msgpack":                  codec.Msgpack[counted](),
		"compressed":               codec.Compressed[counted](codec.Msgpack[counted](), compressAll),
		"compressed, stored":       codec.Compressed[counted](codec.Msgpack[counted]()),
		"sealed":                   codec.Sealed[counted](codec.Msgpack[counted](), kr),
		"sealed around compressed": codec.Sealed[counted](codec.Compressed[counted](codec.Msgpack[counted](), compressAll), kr),
	}
}

// TestSameDataIgnoresMapOrder encodes one value many times: the
// encodings differ (map order, nonces), and SameData must call every one
// the same as the first, and a changed value different.
func TestSameDataIgnoresMapOrder(t *testing.T) {
	const encodings = 200
	for name, c := range comparers(t) {
		t.Run(name, func(t *testing.T) {
			cmpr, ok := c.(comparer)
			if !ok {
				t.Fatalf("%T is not a comparer", c)
			}
			v := newCounted()
			first, err := c.Encode("session#k", &v)
			if err != nil {
				t.Fatal(err)
			}
			distinct := map[string]bool{}
			for range encodings {
				again, err := c.Encode("session#k", &v)
				if err != nil {
					t.Fatal(err)
				}
				distinct[string(again.(*types.AttributeValueMemberB).Value)] = true
				if !cmpr.SameData("session#k", first, again) {
					t.Fatalf("SameData = false for two encodings of one value")
				}
			}
			// The test means something only if the encodings differ.
			if len(distinct) < 2 {
				t.Fatalf("%d encodings of a value with 16-entry maps were all equal; the test proves nothing", encodings)
			}
			changes := map[string]func(*counted){
				"a value":              func(v *counted) { v.Counts["key03"]++ },
				"a key":                func(v *counted) { delete(v.Counts, "key03"); v.Counts["key3"] = 3 },
				"a nested map's value": func(v *counted) { v.Nested["inner"].(map[string]int)["x"] = 9 },
				"an int key":           func(v *counted) { v.ByID[99] = v.ByID[1]; delete(v.ByID, 1) },
				"the time":             func(v *counted) { v.Seen = v.Seen.Add(time.Nanosecond) },
			}
			for what, change := range changes {
				w := newCounted()
				w.Seen = v.Seen
				change(&w)
				changed, err := c.Encode("session#k", &w)
				if err != nil {
					t.Fatal(err)
				}
				if cmpr.SameData("session#k", first, changed) {
					t.Errorf("SameData = true after changing %s", what)
				}
			}
		})
	}
}

func TestSameDataRefusesWhatItCannotRead(t *testing.T) {
	v := newCounted()
	for name, c := range comparers(t) {
		t.Run(name, func(t *testing.T) {
			good, err := c.Encode("session#k", &v)
			if err != nil {
				t.Fatal(err)
			}
			b := good.(*types.AttributeValueMemberB).Value
			bad := map[string]types.AttributeValue{
				"a string":  &types.AttributeValueMemberS{Value: string(b)},
				"truncated": &types.AttributeValueMemberB{Value: b[:len(b)-1]},
				"nil":       nil,
			}
			for what, av := range bad {
				if c.(comparer).SameData("session#k", av, good) || c.(comparer).SameData("session#k", good, av) {
					t.Errorf("SameData = true for %s", what)
				}
			}
			if strings.HasPrefix(name, "sealed") {
				again, err := c.Encode("session#k", &v)
				if err != nil {
					t.Fatal(err)
				}
				if c.(comparer).SameData("session#other", good, again) {
					t.Errorf("SameData = true for envelopes sealed for another key")
				}
			}
		})
	}
	// Malformed MessagePack of equal length, entries in another order:
	// not readable, so not the same.
	a, b := []byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0xc1}, []byte{0x82, 0xa1, 'b', 0xc1, 0xa1, 'a', 0x01}
	if codec.Msgpack[counted]().(comparer).SameData("", &types.AttributeValueMemberB{Value: a}, &types.AttributeValueMemberB{Value: b}) {
		t.Error("SameData = true for malformed MessagePack")
	}
}

// TestSaveAfterCreateWritesNothing is issue 12's unchanged-Save case:
// Create, then Save the unchanged session, many times, with every codec
// that writes MessagePack. Not one Save may write.
func TestSaveAfterCreateWritesNothing(t *testing.T) {
	const rounds = 50
	ctx := context.Background()
	for name, c := range comparers(t) {
		t.Run(name, func(t *testing.T) {
			db := newSealedTable(t)
			repo, err := dynamosession.New[counted](db, "sessions", func(o *dynamosession.Options[counted]) { o.Codec = c })
			if err != nil {
				t.Fatal(err)
			}
			writes := 0
			for i := range rounds {
				s, err := repo.Put(ctx, fmt.Sprint("id", i), newCounted())
				if err != nil {
					t.Fatal(err)
				}
				before := db.Stats().Calls["UpdateItem"]
				if err := repo.Save(ctx, s); err != nil {
					t.Fatal(err)
				}
				got, err := repo.Get(ctx, fmt.Sprint("id", i))
				if err != nil {
					t.Fatal(err)
				}
				if err := repo.Save(ctx, got); err != nil {
					t.Fatal(err)
				}
				writes += db.Stats().Calls["UpdateItem"] - before
			}
			if writes != 0 {
				t.Errorf("%d Saves of unchanged data (after Create and after Get) wrote %d times, want 0", 2*rounds, writes)
			}
		})
	}
}

// tally encodes itself, writing its map in Go's iteration order, as a
// user's EncodeMsgpack method might.
type tally struct{ counts map[string]int }

func (t *tally) EncodeMsgpack(enc *msgpack.Encoder) error {
	if err := enc.EncodeMapLen(len(t.counts)); err != nil {
		return err
	}
	for k, v := range t.counts {
		if err := enc.EncodeString(k); err != nil {
			return err
		}
		if err := enc.EncodeInt(int64(v)); err != nil {
			return err
		}
	}
	return nil
}

func (t *tally) DecodeMsgpack(dec *msgpack.Decoder) error {
	return dec.Decode(&t.counts)
}

type withTally struct {
	Tally tally `json:"tally"`
}

// TestSameDataSelfEncodingTypes: a type with its own encoding method is
// not taken for canonical, so its map order does not count either.
func TestSameDataSelfEncodingTypes(t *testing.T) {
	c := codec.Msgpack[withTally]().(msgpackPlumbing[withTally])
	if c.Canonical() {
		t.Fatal("Canonical = true for a type that encodes itself")
	}
	v := withTally{Tally: tally{counts: map[string]int{}}}
	for i := range 16 {
		v.Tally.counts[fmt.Sprint("k", i)] = i
	}
	first, err := c.Encode("", &v)
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[string]bool{}
	for range 100 {
		again, err := c.Encode("", &v)
		if err != nil {
			t.Fatal(err)
		}
		distinct[string(again.(*types.AttributeValueMemberB).Value)] = true
		if !c.SameData("", first, again) {
			t.Fatal("SameData = false for two encodings of one value")
		}
	}
	if len(distinct) < 2 {
		t.Fatal("100 encodings were all equal; the test proves nothing")
	}
}

// TestSameMsgpack compares hand-written MessagePack: map order does not
// count, anything else does.
func TestSameMsgpack(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"maps in another order", "\x82\xa1a\x01\xa1b\x02", "\x82\xa1b\x02\xa1a\x01", true},
		{"maps in another order, in an array in a map", "\x81\xa1x\x91\x82\xa1a\x01\xa1b\x02", "\x81\xa1x\x91\x82\xa1b\x02\xa1a\x01", true},
		{"maps as keys, in another order", "\x81\x82\x01\x02\x03\x04\xc0", "\x81\x82\x03\x04\x01\x02\xc0", true},
		{"same order, one value differs", "\x82\xa1a\x01\xa1b\x02", "\x82\xa1a\x01\xa1b\x03", false},
		{"another order, one value differs", "\x82\xa1a\x01\xa1b\x02", "\x82\xa1b\x03\xa1a\x01", false},
		{"another key", "\x82\xa1a\x01\xa1b\x02", "\x82\xa1a\x01\xa1c\x02", false},
		{"a key twice, in another order", "\x82\xa1a\x01\xa1a\x02", "\x82\xa1a\x02\xa1a\x01", false},
		{"an integer of another width", "\x91\x01", "\x91\xcc", false},
		{"another length", "\x91\x01", "\x92\x01\x01", false},
		{"arrays in another order", "\x92\x01\x02", "\x92\x02\x01", false},
		{"malformed, equal", "\xc1", "\xc1", false},
	}
	c := codec.Msgpack[any]().(msgpackPlumbing[any])
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, b := &types.AttributeValueMemberB{Value: []byte(tt.a)}, &types.AttributeValueMemberB{Value: []byte(tt.b)}
			if got := c.SameData("", a, b); got != tt.want {
				t.Errorf("SameData = %v, want %v", got, tt.want)
			}
			if got := c.SameData("", b, a); got != tt.want {
				t.Errorf("SameData reversed = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestSameDataAllocatesOnlyForReorderedMaps: a Save that changed a value
// (same length, same key order) compares without allocating.
func TestSameDataAllocatesOnlyForReorderedMaps(t *testing.T) {
	type session struct {
		Views  int               `json:"views"`
		Counts map[string]int    `json:"counts"`
		Prefs  map[string]string `json:"prefs"`
	}
	c := codec.Msgpack[session]().(msgpackPlumbing[session])
	v := session{Views: 1, Counts: map[string]int{"a": 1}, Prefs: map[string]string{"x": "y", "z": "w"}}
	x, err := c.Encode("", &v)
	if err != nil {
		t.Fatal(err)
	}
	v.Views++
	y, err := c.Encode("", &v)
	if err != nil {
		t.Fatal(err)
	}
	if allocs := testing.AllocsPerRun(100, func() {
		if c.SameData("", x, y) {
			t.Fatal("SameData = true after a change")
		}
	}); allocs != 0 {
		t.Errorf("SameData allocated %v times, want 0", allocs)
	}
}
