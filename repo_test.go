// This file tests New: option validation, defaults, and metering by
// wrapping the client.

package dynamosession_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/metered"
	"github.com/dynamosession/dynamosession/internal/readconsistency"
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
		{"version is reserved", "sessions", func(o *dynamosession.Options[cart]) { o.DataAttr = "version" }, `DataAttr "version" is a name the repository reserves`},
		{"wtok is reserved", "sessions", func(o *dynamosession.Options[cart]) { o.ExpiresAttr = "wtok" }, `ExpiresAttr "wtok" is a name`},
		{"schema is reserved", "sessions", func(o *dynamosession.Options[cart]) { o.KeyAttr = "schema" }, `KeyAttr "schema" is a name`},
		{"superseded is reserved", "sessions", func(o *dynamosession.Options[cart]) { o.ExpiresAttr = "superseded" }, `ExpiresAttr "superseded" is a name`},
		{"type is reserved with the JSON codec", "sessions", func(o *dynamosession.Options[cart]) { o.Codec = codec.JSON[cart](); o.DataAttr = "type" }, `DataAttr "type" is a name`},
		// Every repository reads connect-dynamodb's records and removes
		// their `type` when it saves one in another format (found by a
		// breaker: an owner in "type" left the owner index at that save,
		// and an expiry there made the save's update invalid).
		{"type is reserved with the Map codec", "sessions", func(o *dynamosession.Options[cart]) { o.ExpiresAttr = "type" }, `ExpiresAttr "type" is a name`},
		{"type is reserved for owners", "sessions", func(o *dynamosession.Options[cart]) {
			o.Codec = codec.Msgpack[cart]()
			o.Owner = func(c *cart) string { return c.User }
			o.OwnerAttr = "type"
		}, `OwnerAttr "type" is a name`},
		// DynamoDB's limits on attribute names: 1 to 65,535 bytes, a
		// partition key's at most 255.
		{"key attribute name over 255 bytes", "sessions", func(o *dynamosession.Options[cart]) { o.KeyAttr = strings.Repeat("k", 256) }, "KeyAttr is 256 bytes"},
		{"attribute name over 65535 bytes", "sessions", func(o *dynamosession.Options[cart]) { o.DataAttr = strings.Repeat("d", 65536) }, "DataAttr is 65536 bytes"},
		{"attribute name not UTF-8", "sessions", func(o *dynamosession.Options[cart]) { o.ExpiresAttr = "exp\xff" }, "ExpiresAttr is not valid UTF-8"},
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
		// A reader of a format another codec already reads was never used
		// (found by a breaker): old keys given as a Reader beside a sealing
		// Codec left every record sealed under them undecodable.
		{"reader of the codec's format", "sessions", func(o *dynamosession.Options[cart]) {
			o.Codec = codec.Sealed(codec.Msgpack[cart](), mustKeyring(t, 1))
			o.Readers = []codec.Codec[cart]{codec.Sealed(codec.Msgpack[cart](), mustKeyring(t, 2))}
		}, `Readers[0] reads format "sealed", which Codec reads`},
		{"sealed reader of another inner format", "sessions", func(o *dynamosession.Options[cart]) {
			o.Codec = codec.Sealed(codec.Msgpack[cart](), mustKeyring(t, 1))
			o.Readers = []codec.Codec[cart]{codec.Sealed(codec.JSON[cart](), mustKeyring(t, 1))}
		}, `Readers[0] reads format "sealed", which Codec reads`},
		{"two readers of one format", "sessions", func(o *dynamosession.Options[cart]) {
			o.Readers = []codec.Codec[cart]{codec.Sealed(codec.Msgpack[cart](), mustKeyring(t, 1)), codec.Sealed(codec.Msgpack[cart](), mustKeyring(t, 2))}
		}, `Readers[1] reads format "sealed", which Readers[0] reads`},
		{"nil reader", "sessions", func(o *dynamosession.Options[cart]) { o.Readers = []codec.Codec[cart]{nil} }, "nil codec in Readers[0]"},
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
	got := fmt.Sprintf("%s %s %s %s %s %v %v %v", o.KeyAttr, o.Prefix, o.DataAttr, o.ExpiresAttr, o.Codec.Format(),
		o.TTL.Lifetime(), o.Touch.Interval(), readconsistency.Strong(context.Background(), o.Consistency))
	if want := "id session# sess expires map 24h0m0s 2h24m0s false"; got != want {
		t.Errorf("defaults = %q, want %q", got, want)
	}
}

// TestMeteringWrapper: a client wrapper that asks for ConsumedCapacity
// sees every request the repository makes, with the capacity DynamoDB
// reported (the pattern API's doc describes, in internal/metered).
func TestMeteringWrapper(t *testing.T) {
	db := newFake(t)
	var calls callLog
	repo, _ := dynamosession.New[cart](metered.New(db, calls.observe), "sessions")
	ctx := context.Background()
	_, _ = repo.Put(ctx, "abc", cart{User: "ada"})
	_, _ = repo.Get(ctx, "abc")
	_ = repo.Delete(ctx, "abc")
	var ops []string
	for _, c := range calls.log {
		if c.Consumed == nil || c.Consumed.CapacityUnits == nil || c.Table != "sessions" || c.Err != nil {
			t.Errorf("call %+v lacks consumed capacity or table", c)
		}
		ops = append(ops, c.Op)
	}
	if got := strings.Join(ops, ","); got != "PutItem,GetItem,DeleteItem" {
		t.Errorf("observed %s", got)
	}
}

// mustKeyring returns a keyring of one key whose 32 bytes are all b.
func mustKeyring(t *testing.T, b byte) *codec.Keyring {
	t.Helper()
	k, err := codec.NewKeyring(codec.Key{ID: fmt.Sprint("k", b), Secret: bytes.Repeat([]byte{b}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// TestClockFollowsTheFake: a repository on the fake follows the fake's
// clock with no option set, so db.Advance expires sessions for both; a
// Clock set in the options still wins.
func TestClockFollowsTheFake(t *testing.T) {
	ctx := context.Background()
	db := fake.New("sessions")
	repo, err := dynamosession.New[cart](db, "sessions")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Put(ctx, "a", cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	db.Advance(25 * time.Hour) // past the default TTL of a day
	if _, err := repo.Get(ctx, "a"); !errors.Is(err, dynamosession.ErrExpired) {
		t.Errorf("Get after db.Advance(25h) = %v, want ErrExpired", err)
	}

	fixed := db.Now().Add(-48 * time.Hour)
	own, err := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
		o.Clock = func() time.Time { return fixed }
	})
	if err != nil {
		t.Fatal(err)
	}
	if got := own.Options().Clock(); !got.Equal(fixed) {
		t.Errorf("Options().Clock() = %v, want the injected %v", got, fixed)
	}
}
