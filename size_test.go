// This file tests the item size limit and the capacity units each size costs.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/google/go-cmp/cmp"
)

func testItemTooLarge(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart]() })
	ctx := context.Background()
	id := newID(t)
	e.reset()
	_, err := repo.Put(ctx, id, cart{Blob: make([]byte, capacity.MaxItemBytes)})
	if !errors.Is(err, dynamosession.ErrItemTooLarge) {
		t.Fatalf("Put of a 400 KB blob = %v, want ErrItemTooLarge", err)
	}
	if n := e.count(""); n != 0 {
		t.Fatalf("%d requests sent for an oversized item", n)
	}
	// Just under the limit is accepted by the backend.
	if _, err := repo.Put(ctx, id, cart{Blob: make([]byte, capacity.MaxItemBytes-200)}); err != nil {
		t.Fatalf("Put just under 400 KB: %v", err)
	}
}

// testCapacityBoundaries writes items of exact sizes around the 1 KB write
// and 4 KB read boundaries and checks the consumed units both backends
// report against DynamoDB's published rules.
func testCapacityBoundaries(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart]() })
	ctx := context.Background()
	for _, size := range []int{1024, 1025, 4096, 4097, 8192, 8193} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			id := newID(t)
			data := sizedCart(t, id, e.clock.Now(), size)
			e.reset()
			if _, err := repo.Put(ctx, id, data); err != nil {
				t.Fatal(err)
			}
			if _, err := repo.Get(ctx, id); err != nil {
				t.Fatal(err)
			}
			if _, err := repo.Get(consistency.WithStrongRead(ctx), id); err != nil {
				t.Fatal(err)
			}
			if err := repo.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
			read, write := e.units()
			wantRead := capacity.ReadUnits(size, false) + capacity.ReadUnits(size, true)
			wantWrite := 2 * capacity.WriteUnits(size) // Put of a new item, Delete of it
			if read != wantRead || write != wantWrite {
				t.Errorf("%d-byte item: consumed %v read, %v write units; want %v, %v", size, read, write, wantRead, wantWrite)
			}
		})
	}
}

// sizedCart returns a cart whose msgpack item is exactly size bytes by
// DynamoDB's rules.
func sizedCart(t *testing.T, id string, now time.Time, size int) cart {
	t.Helper()
	c := cart{User: "u"}
	size0 := func() int { return capacity.ItemSize(storedItem(t, codec.Msgpack[cart](), id, now, &c)) }
	c.Blob = make([]byte, max(0, size-size0()-3))
	for size0() < size {
		c.Blob = append(c.Blob, 0)
	}
	for size0() > size {
		c.Blob = c.Blob[:len(c.Blob)-1]
	}
	if got := size0(); got != size {
		t.Fatalf("cannot build a %d-byte item (got %d)", size, got)
	}
	return c
}

// storedItem is the item a default-configured repository writing with c
// stores for c at now: what the capacity cases size by DynamoDB's rules.
func storedItem(t *testing.T, c codec.Codec[cart], id string, now time.Time, data *cart) map[string]types.AttributeValue {
	t.Helper()
	av, err := c.Encode("", data)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#" + id},
		"sess":    av,
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(24 * time.Hour).Unix())},
	}
}

// testCapacityMapNumbers: item sizes of Map records holding negative and
// fractional numbers, exactly at the 1 KB boundary, cost what DynamoDB
// charges (the number rule is DynamoDB's base-100 form, not the Developer
// Guide's approximation).
func testCapacityMapNumbers(t *testing.T, e *env) {
	repo := newRepo[cart](t, e)
	ctx := context.Background()
	for _, size := range []int{1024, 1025} {
		id := newID(t)
		c := cart{Meta: map[string]any{"neg": -1.5, "frac": 0.001, "big": 123456.0, "int": -1700000000.0}}
		item := func() map[string]types.AttributeValue { return storedItem(t, codec.Map[cart](), id, e.clock.Now(), &c) }
		c.User = strings.Repeat("x", size-capacity.ItemSize(item()))
		if got := capacity.ItemSize(item()); got != size {
			t.Fatalf("built a %d-byte item, want %d", got, size)
		}
		e.reset()
		if _, err := repo.Put(ctx, id, c); err != nil {
			t.Fatal(err)
		}
		if _, write := e.units(); write != capacity.WriteUnits(size) {
			t.Errorf("%d-byte Map item with numbers: Put consumed %v write units, want %v", size, write, capacity.WriteUnits(size))
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
		if ea, ok := c.(interface {
			ExtraAttributes() map[string]types.AttributeValue
		}); ok {
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
	for _, c := range []codec.Codec[cart]{codec.Map[cart](), codec.JSON[cart](), codec.Msgpack[cart]()} {
		t.Run(string(c.Format()), func(t *testing.T) {
			ctx := context.Background()
			db := newFake(t)
			var calls callLog
			repo := faultRepo(t, db, &calls, func(o *dynamosession.Options[cart]) { o.Codec = c })
			id := newID(t)
			key := "session#" + id
			atLimit := sizedItem(t, c, key, capacity.MaxItemBytes)
			overLimit := sizedItem(t, c, key, capacity.MaxItemBytes+1)

			calls.reset()
			if _, err := repo.Put(ctx, id, overLimit); !errors.Is(err, dynamosession.ErrItemTooLarge) {
				t.Fatalf("Put of a %d-byte item = %v, want ErrItemTooLarge", capacity.MaxItemBytes+1, err)
			}
			if n := calls.count(""); n != 0 {
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
			if n := calls.count(""); n != 0 {
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
	var calls callLog
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
	if n := calls.count("UpdateItem"); n != 1 {
		t.Errorf("Save sent %d UpdateItem, want 1", n)
	}
	if diff := cmp.Diff(before, faultStored(db, key), cmpAV); diff != "" {
		t.Errorf("the refused Save changed the record (-want +got):\n%s", diff)
	}
}

// sharedParts is session data that shares its parts: each node points
// twice to the next, so a chain of n nodes is a Map tree of 2^n.
type sharedParts struct {
	A, B *sharedParts `json:",omitempty"`
	Note string
}

// TestItemTooLargeSharedParts: Map session data whose tree passes 400 KB
// only because it shares its parts is refused with ErrItemTooLarge, fast
// and without a request, as any too-large data is (encoded whole, a chain
// of 30 nodes ended the process out of memory).
func TestItemTooLargeSharedParts(t *testing.T) {
	ctx := context.Background()
	db := newFake(t)
	var calls callLog
	repo := faultRepo(t, db, &calls, func(o *dynamosession.Options[sharedParts]) { o.Codec = codec.Map[sharedParts]() })
	tests := []struct {
		name  string
		nodes int
	}{
		{"chain of 17", 17}, // 131,071 maps: just over 400 KB
		{"chain of 30", 30},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var data *sharedParts
			for range tt.nodes {
				data = &sharedParts{A: data, B: data, Note: "n"}
			}
			calls.reset()
			if _, err := repo.Put(ctx, newID(t), *data); !errors.Is(err, dynamosession.ErrItemTooLarge) {
				t.Fatalf("Put = %v, want ErrItemTooLarge", err)
			}
			if n := calls.count(""); n != 0 {
				t.Fatalf("Put of oversized data sent %d requests", n)
			}
		})
	}
}

// TestSaveSizeSummed: Save sums the size of the item it writes attribute
// by attribute instead of building it (writes.go); the sum is
// capacity.ItemSize of the stored item to the byte, for every codec, with
// the JSON codec's `type` beside the data, a schema version, and the
// version and write tokens of a versioned repository: an item of exactly
// 400 KB is written, one byte more is refused without a request.
func TestSaveSizeSummed(t *testing.T) {
	configs := []struct {
		name string
		opts func(*dynamosession.Options[cart])
	}{
		{"map", func(o *dynamosession.Options[cart]) { o.Codec = codec.Map[cart]() }},
		{"json", func(o *dynamosession.Options[cart]) { o.Codec = codec.JSON[cart]() }},
		{"msgpack", func(o *dynamosession.Options[cart]) { o.Codec = codec.Msgpack[cart]() }},
		{"compressed, stored", func(o *dynamosession.Options[cart]) {
			o.Codec = codec.Compressed(codec.Msgpack[cart](), func(o *codec.CompressOptions) { o.Threshold = 1 << 20 })
		}},
		{"json, versioned", func(o *dynamosession.Options[cart]) { o.Codec = codec.JSON[cart](); o.Versioned = true }},
		{"map, versioned", func(o *dynamosession.Options[cart]) { o.Codec = codec.Map[cart](); o.Versioned = true }},
		{"json, schema 2", func(o *dynamosession.Options[cart]) { o.Codec = codec.JSON[cart](); o.Schema = 2 }},
	}
	for _, c := range configs {
		t.Run(c.name, func(t *testing.T) {
			ctx := context.Background()
			db := newFake(t)
			var calls callLog
			repo := faultRepo(t, db, &calls, c.opts)
			id := newID(t)
			key := "session#" + id
			s, err := repo.Put(ctx, id, cart{User: "small"})
			if err != nil {
				t.Fatal(err)
			}
			// Saves enough to fill the write tokens, the last one with a
			// user name near the limit, whose stored size tells the rest.
			user := strings.Repeat("u", 300*1024)
			for i := range 5 {
				s.Data.Count = i + 1
				s.Data.User = user[:len(user)-i]
				if err := repo.Save(ctx, s); err != nil {
					t.Fatal(err)
				}
			}
			size := capacity.ItemSize(faultStored(db, key))
			atLimit := len(s.Data.User) + capacity.MaxItemBytes - size

			s.Data.User = strings.Repeat("v", atLimit+1)
			calls.reset()
			if err := repo.Save(ctx, s); !errors.Is(err, dynamosession.ErrItemTooLarge) {
				t.Fatalf("Save of a %d-byte item = %v, want ErrItemTooLarge", capacity.MaxItemBytes+1, err)
			}
			if n := calls.count(""); n != 0 {
				t.Fatalf("Save of an oversized item sent %d requests", n)
			}
			s.Data.User = s.Data.User[1:]
			if err := repo.Save(ctx, s); err != nil {
				t.Fatalf("Save of an item of exactly %d bytes: %v", capacity.MaxItemBytes, err)
			}
			if got := capacity.ItemSize(faultStored(db, key)); got != capacity.MaxItemBytes {
				t.Errorf("stored item is %d bytes, want %d", got, capacity.MaxItemBytes)
			}
		})
	}
}
