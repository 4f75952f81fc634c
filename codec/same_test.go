package codec_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

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

// comparers lists the codecs that implement codec.Comparer.
func comparers(t testing.TB) map[string]codec.Codec[counted] {
	kr := mustKeyring(t, sealKey("k1"), sealKey("k0"))
	compressAll := func(o *codec.CompressOptions) { o.Threshold = -1 }
	return map[string]codec.Codec[counted]{
		"msgpack":                  codec.Msgpack[counted]{},
		"compressed":               codec.Compressed[counted](codec.Msgpack[counted]{}, compressAll),
		"compressed, stored":       codec.Compressed[counted](codec.Msgpack[counted]{}),
		"sealed":                   codec.Sealed[counted](codec.Msgpack[counted]{}, kr),
		"sealed around compressed": codec.Sealed[counted](codec.Compressed[counted](codec.Msgpack[counted]{}, compressAll), kr),
	}
}

// TestSameDataIgnoresMapOrder encodes one value many times: the
// encodings differ (map order, nonces), and SameData must call every one
// the same as the first, and a changed value different.
func TestSameDataIgnoresMapOrder(t *testing.T) {
	const encodings = 200
	for name, c := range comparers(t) {
		t.Run(name, func(t *testing.T) {
			cmpr, ok := c.(codec.Comparer)
			if !ok {
				t.Fatalf("%T is not a codec.Comparer", c)
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
				if c.(codec.Comparer).SameData("session#k", av, good) || c.(codec.Comparer).SameData("session#k", good, av) {
					t.Errorf("SameData = true for %s", what)
				}
			}
			if strings.HasPrefix(name, "sealed") {
				again, err := c.Encode("session#k", &v)
				if err != nil {
					t.Fatal(err)
				}
				if c.(codec.Comparer).SameData("session#other", good, again) {
					t.Errorf("SameData = true for envelopes sealed for another key")
				}
			}
		})
	}
	// Malformed MessagePack of equal length, entries in another order:
	// not readable, so not the same.
	a, b := []byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0xc1}, []byte{0x82, 0xa1, 'b', 0xc1, 0xa1, 'a', 0x01}
	if (codec.Msgpack[counted]{}).SameData("", &types.AttributeValueMemberB{Value: a}, &types.AttributeValueMemberB{Value: b}) {
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
				s, err := repo.Create(ctx, fmt.Sprint("id", i), newCounted())
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
