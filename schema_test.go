// This file tests schema changes: compatible changes and upgrades.

package dynamosession_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/google/go-cmp/cmp"
)

// Contract cases for sessions over time: a deploy changes the session type
// (issue 15). Sessions are written by one version of a struct and read by
// the next, with every codec, on every backend.

// Version 1 of a cart, and version 2 after a deploy that added a field,
// removed one, renamed one and changed the type of Items.
type cartV1 struct {
	User    string   `json:"user"`
	Items   []string `json:"items"`
	Coupon  string   `json:"coupon,omitempty"` // removed in v2
	Nick    string   `json:"nick,omitempty"`   // renamed to Display in v2
	Visited int      `json:"visited"`
}

type lineItem struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type cartV2 struct {
	User    string     `json:"user"`
	Items   []lineItem `json:"items"`
	Display string     `json:"display,omitempty"`
	Visited int        `json:"visited"`
	Added   bool       `json:"added"` // new in v2
}

// cartV1Compatible is v1 with only compatible changes: a field added, one
// removed.
type cartV1Compatible struct {
	User    string   `json:"user"`
	Items   []string `json:"items"`
	Visited int      `json:"visited"`
	Theme   string   `json:"theme"`
}

func upgradeCartV1(old cartV1) (cartV2, error) {
	c := cartV2{User: old.User, Display: old.Nick, Visited: old.Visited}
	for _, sku := range old.Items {
		c.Items = append(c.Items, lineItem{SKU: sku, Qty: 1})
	}
	return c, nil
}

// schemaCodecs returns every codec for T, configured alike for each T.
func schemaCodecs[T any](t *testing.T) map[string]codec.Codec[T] {
	sum := sha256.Sum256([]byte("schema test key"))
	kr, err := codec.NewKeyring(codec.Key{ID: "k", Secret: sum[:]})
	if err != nil {
		t.Fatal(err)
	}
	small := func(o *codec.CompressOptions) { o.Threshold = 1 } // compress even tiny sessions
	return map[string]codec.Codec[T]{
		"map":        codec.Map[T](),
		"json":       codec.JSON[T](),
		"msgpack":    codec.Msgpack[T](),
		"compressed": codec.Compressed[T](codec.Msgpack[T](), small),
		"sealed":     codec.Sealed[T](codec.Compressed[T](codec.Msgpack[T](), small), kr),
	}
}

func testSchemaCompatibleChanges(t *testing.T, e *env) {
	ctx := context.Background()
	newCodecs := schemaCodecs[cartV1Compatible](t)
	for name, c := range schemaCodecs[cartV1](t) {
		t.Run(name, func(t *testing.T) {
			v1 := newRepo(t, e, func(o *dynamosession.Options[cartV1]) { o.Codec = c })
			v2 := newRepo(t, e, func(o *dynamosession.Options[cartV1Compatible]) { o.Codec = newCodecs[name] })
			id := newID(t)
			if _, err := v1.Put(ctx, id, cartV1{User: "ada", Items: []string{"a"}, Coupon: "X", Visited: 3}); err != nil {
				t.Fatal(err)
			}
			s, err := v2.Get(ctx, id)
			if err != nil {
				t.Fatalf("the next version cannot read the session: %v", err)
			}
			want := cartV1Compatible{User: "ada", Items: []string{"a"}, Visited: 3}
			if diff := cmp.Diff(want, s.Data); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func testSchemaUpgrade(t *testing.T, e *env) {
	ctx := context.Background()
	newCodecs := schemaCodecs[cartV2](t)
	for name, c := range schemaCodecs[cartV1](t) {
		t.Run(name, func(t *testing.T) {
			v1 := newRepo(t, e, func(o *dynamosession.Options[cartV1]) { o.Codec = c })
			v2 := newRepo(t, e, func(o *dynamosession.Options[cartV2]) {
				o.Codec = newCodecs[name]
				o.Schema = 2
				o.Upgrades = []dynamosession.Upgrade[cartV2]{dynamosession.UpgradeFrom(1, upgradeCartV1)}
			})
			id := newID(t)
			if _, err := v1.Put(ctx, id, cartV1{User: "ada", Items: []string{"a", "b"}, Nick: "A", Visited: 3}); err != nil {
				t.Fatal(err)
			}
			before := e.raw(t, "session#"+id)

			// Reading through the upgrade costs the read alone, and a Save
			// of what was only read sends nothing.
			e.reset()
			s, err := v2.Get(ctx, id)
			if err != nil {
				t.Fatalf("Get through the upgrade: %v", err)
			}
			want := cartV2{User: "ada", Items: []lineItem{{"a", 1}, {"b", 1}}, Display: "A", Visited: 3}
			if diff := cmp.Diff(want, s.Data); diff != "" {
				t.Errorf("upgraded data mismatch (-want +got):\n%s", diff)
			}
			if dynamosession.SchemaOf(s) != 1 {
				t.Errorf("Schema() = %d, want 1 (as stored)", dynamosession.SchemaOf(s))
			}
			if err := v2.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
			if n := e.count(""); n != 1 {
				t.Errorf("%d requests for a Get and an unchanged Save of an upgraded session, want 1", n)
			}
			if diff := cmp.Diff(avString(before["sess"]), avString(e.raw(t, "session#"+id)["sess"])); diff != "" {
				t.Errorf("the stored record changed on read (-before +after):\n%s", diff)
			}

			// A changed Save stores the new shape under version 2.
			s.Data.Added = true
			if err := v2.Save(ctx, s); err != nil {
				t.Fatalf("Save of an upgraded session: %v", err)
			}
			item := e.raw(t, "session#"+id)
			if got := avString(item["schema"]); got != "N:2" {
				t.Errorf("stored schema = %v, want 2", got)
			}
			var back cartV2
			if err := newCodecs[name].Decode("session#"+id, item["sess"], &back); err != nil {
				t.Fatalf("the saved record is not in the v2 shape: %v", err)
			}
			want.Added = true
			if diff := cmp.Diff(want, back); diff != "" {
				t.Errorf("saved data mismatch (-want +got):\n%s", diff)
			}

			// The old deploy, still running during a rolling update, cannot
			// save over it in the old shape.
			if old, err := v1.Get(ctx, id); err == nil {
				if err := v1.Save(ctx, old); err != nil {
					t.Fatalf("unchanged Save by the old deploy = %v", err)
				}
				old.Data.Visited++
				if err := v1.Save(ctx, old); !errors.Is(err, dynamosession.ErrSchemaTooNew) {
					t.Fatalf("Save by the old deploy over a v2 record = %v, want ErrSchemaTooNew", err)
				}
			}
		})
	}
}

// testSchemaUpgradeAtTouch: a session that is only read reaches the new
// shape at its next due touch, which writes the item anyway.
func testSchemaUpgradeAtTouch(t *testing.T, e *env) {
	ctx := context.Background()
	v1 := newRepo[cartV1](t, e)
	v2 := newRepo(t, e, func(o *dynamosession.Options[cartV2]) {
		o.Schema = 2
		o.Upgrades = []dynamosession.Upgrade[cartV2]{dynamosession.UpgradeFrom(1, upgradeCartV1)}
	})
	id := newID(t)
	if _, err := v1.Put(ctx, id, cartV1{User: "ada", Items: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(3 * time.Hour) // past the touch interval
	s, err := v2.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	s.Data.Visited = 99 // not saved: a touch must not write it
	e.reset()
	if wrote, err := v2.Touch(ctx, s); err != nil || !wrote {
		t.Fatalf("Touch = %v, %v; want a write", wrote, err)
	}
	if n := e.count(""); n != 1 {
		t.Errorf("%d requests for the touch, want 1", n)
	}
	item := e.raw(t, "session#"+id)
	if avString(item["schema"]) != "N:2" {
		t.Errorf("stored schema = %v after a due touch, want 2", avString(item["schema"]))
	}
	s2, err := v2.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := cartV2{User: "ada", Items: []lineItem{{"a", 1}}}
	if diff := cmp.Diff(want, s2.Data); diff != "" {
		t.Errorf("after the touch (-want +got):\n%s", diff)
	}
	if dynamosession.SchemaOf(s2) != 2 {
		t.Errorf("Schema() = %d after the touch, want 2", dynamosession.SchemaOf(s2))
	}
}

// testUpgradeOfUndecodableRecords: a team that never declared versions
// registers an upgrade from the current version, which reads the records
// that no longer decode.
func testUpgradeOfUndecodableRecords(t *testing.T, e *env) {
	ctx := context.Background()
	v1 := newRepo[cartV1](t, e)
	strict := newRepo[cartV2](t, e)
	lenient := newRepo(t, e, func(o *dynamosession.Options[cartV2]) {
		o.Upgrades = []dynamosession.Upgrade[cartV2]{dynamosession.UpgradeFrom(1, upgradeCartV1)}
	})
	id := newID(t)
	if _, err := v1.Put(ctx, id, cartV1{User: "ada", Items: []string{"a"}}); err != nil {
		t.Fatal(err)
	}
	var de *dynamosession.DecodeError
	if _, err := strict.Get(ctx, id); !errors.As(err, &de) {
		t.Fatalf("Get without the upgrade = %v, want a *DecodeError", err)
	}
	s, err := lenient.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get with an upgrade from the current version = %v", err)
	}
	if len(s.Data.Items) != 1 || s.Data.Items[0].SKU != "a" {
		t.Errorf("Items = %+v", s.Data.Items)
	}
	// A record in the new shape does not go through the upgrade.
	id2 := newID(t)
	if _, err := lenient.Put(ctx, id2, cartV2{Items: []lineItem{{"z", 2}}}); err != nil {
		t.Fatal(err)
	}
	if s, err := lenient.Get(ctx, id2); err != nil || s.Data.Items[0].Qty != 2 {
		t.Fatalf("Get of a current record = %+v, %v", s, err)
	}
}

// testUpgradeFailureKeepsRecord: an upgrade that fails is the session's
// *DecodeError, and the record stays as it was.
func testUpgradeFailureKeepsRecord(t *testing.T, e *env) {
	ctx := context.Background()
	v1 := newRepo[cartV1](t, e)
	v2 := newRepo(t, e, func(o *dynamosession.Options[cartV2]) {
		o.Schema = 2
		o.Upgrades = []dynamosession.Upgrade[cartV2]{dynamosession.UpgradeFrom(1, func(cartV1) (cartV2, error) {
			return cartV2{}, fmt.Errorf("refused")
		})}
	})
	id := newID(t)
	if _, err := v1.Put(ctx, id, cartV1{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	before := e.raw(t, "session#"+id)
	_, err := v2.Get(ctx, id)
	var de *dynamosession.DecodeError
	if !errors.As(err, &de) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Get = %v, want a *DecodeError carrying the upgrade's error", err)
	}
	if diff := cmp.Diff(avString(before["sess"]), avString(e.raw(t, "session#"+id)["sess"])); diff != "" {
		t.Errorf("record changed (-before +after):\n%s", diff)
	}
}
