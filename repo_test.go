// This file tests New: option validation, defaults and the Observer.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/ttl"
)

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
		{"map/chan", faultNewErr[withChan](db, codec.Map[withChan]())},
		{"map/func", faultNewErr[withFunc](db, codec.Map[withFunc]())},
		{"map/complex", faultNewErr[withComplex](db, codec.Map[withComplex]())},
		{"json/chan", faultNewErr[withChan](db, codec.JSON[withChan]())},
		{"json/func", faultNewErr[withFunc](db, codec.JSON[withFunc]())},
		{"json/complex", faultNewErr[withComplex](db, codec.JSON[withComplex]())},
		{"msgpack/chan", faultNewErr[withChan](db, codec.Msgpack[withChan]())},
		{"msgpack/func", faultNewErr[withFunc](db, codec.Msgpack[withFunc]())},
		{"msgpack/complex", faultNewErr[withComplex](db, codec.Msgpack[withComplex]())},
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

func TestNewRejectsBadOptions(t *testing.T) {
	db := fake.New()
	tests := []struct {
		name  string
		table string
		opt   func(*dynamosession.Options[cart])
		want  string
	}{
		{"empty table", "", nil, "table name"},
		{"touch not shorter than ttl", "sessions", func(o *dynamosession.Options[cart]) {
			o.TTL = ttl.Sliding(time.Hour)
			o.Touch = ttl.TouchAfter(time.Hour)
		}, "shorter than the TTL"},
		{"attribute clash", "sessions", func(o *dynamosession.Options[cart]) { o.DataAttr = "id" }, "both"},
		{"version clash", "sessions", func(o *dynamosession.Options[cart]) { o.Versioned = true; o.VersionAttr = "expires" }, "both"},
		{"negative attempts", "sessions", func(o *dynamosession.Options[cart]) { o.MaxUpdateAttempts = -1 }, "negative"},
		{"negative schema", "sessions", func(o *dynamosession.Options[cart]) { o.Schema = -1 }, "positive"},
		{"upgrade from a future version", "sessions", func(o *dynamosession.Options[cart]) {
			o.Schema = 2
			o.Upgrades = []dynamosession.Upgrade[cart]{dynamosession.UpgradeFrom(3, func(c cart) (cart, error) { return c, nil })}
		}, "versions run from 1"},
		{"two upgrades from one version", "sessions", func(o *dynamosession.Options[cart]) {
			o.Schema = 2
			up := dynamosession.UpgradeFrom(1, func(c cart) (cart, error) { return c, nil })
			o.Upgrades = []dynamosession.Upgrade[cart]{up, up}
		}, "two upgrades"},
		{"zero upgrade", "sessions", func(o *dynamosession.Options[cart]) { o.Upgrades = make([]dynamosession.Upgrade[cart], 1) }, "UpgradeFrom"},
		{"schema clash", "sessions", func(o *dynamosession.Options[cart]) { o.Schema = 2; o.SchemaAttr = "sess" }, "both"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var fns []func(*dynamosession.Options[cart])
			if tt.opt != nil {
				fns = append(fns, tt.opt)
			}
			_, err := dynamosession.New[cart](db, tt.table, fns...)
			if !errors.Is(err, dynamosession.ErrInvalidOptions) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New = %v, want ErrInvalidOptions mentioning %q", err, tt.want)
			}
		})
	}
	if _, err := dynamosession.New[cart](nil, "sessions"); !errors.Is(err, dynamosession.ErrInvalidOptions) {
		t.Errorf("New(nil client) = %v", err)
	}
	// A Map codec for a type that is not a map or struct cannot work.
	if _, err := dynamosession.New[string](db, "sessions"); !errors.Is(err, dynamosession.ErrInvalidOptions) {
		t.Errorf("New[string] with the Map codec = %v, want ErrInvalidOptions", err)
	}
}

func TestDefaults(t *testing.T) {
	repo, err := dynamosession.New[cart](fake.New(), "sessions")
	if err != nil {
		t.Fatal(err)
	}
	o := repo.Options()
	got := fmt.Sprintf("%s %s %s %s %s %v %v %v %d", o.KeyAttr, o.Prefix, o.DataAttr, o.ExpiresAttr, o.Codec.Format(),
		o.TTL.Lifetime(), o.Touch.Interval(), consistency.Resolve(context.Background(), o.Consistency), o.MaxUpdateAttempts)
	if want := "id session# sess expires map 24h0m0s 2h24m0s false 10"; got != want {
		t.Errorf("defaults = %q, want %q", got, want)
	}
}

func TestObserver(t *testing.T) {
	db := newFake(t)
	var calls []dynamosession.Call
	repo, _ := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
		o.Observer = func(c dynamosession.Call) { calls = append(calls, c) }
	})
	ctx := context.Background()
	_, _ = repo.Put(ctx, "abc", cart{User: "ada"})
	_, _ = repo.Get(ctx, "abc")
	_ = repo.Delete(ctx, "abc")
	var ops []string
	for _, c := range calls {
		if c.Consumed == nil || c.Consumed.CapacityUnits == nil || c.Table != "sessions" || c.Err != nil {
			t.Errorf("call %+v lacks consumed capacity or table", c)
		}
		ops = append(ops, c.Op)
	}
	if got := strings.Join(ops, ","); got != "PutItem,GetItem,DeleteItem" {
		t.Errorf("observed %s", got)
	}
}
