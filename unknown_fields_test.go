package dynamosession_test

// A Go app sharing a table with a Node.js app declares only part of what
// the Node app stores. Before, a Go save wrote the Go value alone and so
// deleted every field the struct does not declare: the flash message, the
// user's e-mail and address, each cart line's price (issue 12, item 7).
// These tests read records the real Node stores wrote
// (codec/testdata/fixtures, from codec/testdata/nodegen/generate.js), save
// a change from Go, and check that everything else is still stored; the
// goldens they write are read back by the real Node stores
// (codec/testdata/nodegen/verify.js).

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/migrate"
)

// goView is what a Go service declares of the Node app's session: the
// cookie express-session needs, the user's ID and name, the cart's SKUs
// and quantities. Everything else is the Node app's.
type (
	goView struct {
		Cookie expressCookie `json:"cookie"`
		User   *goViewUser   `json:"user,omitempty"`
		Visits int           `json:"visits"`
		Cart   []goViewLine  `json:"cart"`
	}
	goViewUser struct {
		ID   int    `json:"id"`
		Name string `json:"name"`
	}
	goViewLine struct {
		SKU string `json:"sku"`
		Qty int    `json:"qty"`
	}
)

// nodeRecords are the real Node stores' records with a flash message, a
// user with e-mail, roles and address, and cart lines with prices.
var nodeRecords = []struct {
	fixture string
	prefix  string
	codec   codec.Codec[goView]
}{
	{"connect-dynamodb-flash", "sess:", codec.JSON[goView]{}},
	{"pwrdrvr-flash", "session#", codec.Map[goView]{}},
}

// nodeView decodes a stored session generically: the Node app's view.
func nodeView(t *testing.T, av types.AttributeValue) map[string]any {
	t.Helper()
	var m map[string]any
	if _, err := codec.NewReader[map[string]any]().Decode("", av, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestSaveKeepsNodeFields: read–modify–save from Go keeps every field the
// Go type does not declare, at every level, on the fake and on DynamoDB
// Local; a session only read is still never written.
func TestSaveKeepsNodeFields(t *testing.T) {
	cases := map[string]func(t *testing.T, e *env){}
	for _, rec := range nodeRecords {
		cases[rec.fixture] = func(t *testing.T, e *env) {
			item, meta := readFixture(t, filepath.Join("codec", "testdata", "fixtures", rec.fixture+".json"))
			// The fixture's own expiry passes; only the session matters here.
			item["expires"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10)}
			e.putRaw(t, item)
			repo := newRepo(t, e, func(o *dynamosession.Options[goView]) {
				o.Prefix = rec.prefix
				o.Codec = rec.codec
			})
			ctx := context.Background()
			want := nodeView(t, item["sess"])

			s, err := repo.Get(ctx, meta.SID)
			if err != nil {
				t.Fatal(err)
			}
			e.reset()
			if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
				t.Fatalf("Save of a session only read = %v after %d requests, want nil after 0", err, e.count(""))
			}

			// A change in place: the cart keeps its length.
			s.Data.Visits++
			s.Data.Cart[0].Qty++
			if err := repo.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
			want["visits"] = want["visits"].(int64) + 1
			line := want["cart"].([]any)[0].(map[string]any)
			line["qty"] = line["qty"].(int64) + 1
			key := rec.prefix + meta.SID
			if diff := cmp.Diff(want, nodeView(t, e.raw(t, key)["sess"])); diff != "" {
				t.Errorf("stored after a Go save mismatch (-want +got):\n%s", diff)
			}

			// Another request: read again, add a line, save.
			s, err = repo.Get(ctx, meta.SID)
			if err != nil {
				t.Fatal(err)
			}
			s.Data.Cart = append(s.Data.Cart, goViewLine{SKU: "D-4", Qty: 1})
			if err := repo.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
			want["cart"] = append(want["cart"].([]any), map[string]any{"sku": "D-4", "qty": int64(1)})
			if diff := cmp.Diff(want, nodeView(t, e.raw(t, key)["sess"])); diff != "" {
				t.Errorf("stored after a second Go save mismatch (-want +got):\n%s", diff)
			}

			// And a request that only reads writes nothing.
			s, err = repo.Get(ctx, meta.SID)
			if err != nil {
				t.Fatal(err)
			}
			e.reset()
			if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
				t.Fatalf("Save of a session only read, after Go saves = %v after %d requests, want nil after 0", err, e.count(""))
			}
		}
	}
	onBackends(t, cases)
}

// TestNodeReadsKeptFields writes, for each Node store, the record a Go save
// of a change leaves (codec/testdata/golden/go-kept-fields-for-*.json), with
// what the Node app must read from it; codec/testdata/nodegen/verify.js
// proves the real store does. `go test -run TestNodeReadsKeptFields -update .`
// refreshes them.
func TestNodeReadsKeptFields(t *testing.T) {
	stores := map[string]string{"sess:": "connect-dynamodb", "session#": "pwrdrvr"}
	for _, rec := range nodeRecords {
		t.Run(rec.fixture, func(t *testing.T) {
			item, meta := readFixture(t, filepath.Join("codec", "testdata", "fixtures", rec.fixture+".json"))
			item["expires"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(goldenNow.Add(time.Hour).Unix(), 10)}
			db := fake.New()
			if err := createSessions(db); err != nil {
				t.Fatal(err)
			}
			if err := db.PutRaw("sessions", item); err != nil {
				t.Fatal(err)
			}
			repo, err := dynamosession.New[goView](db, "sessions", func(o *dynamosession.Options[goView]) {
				o.Prefix = rec.prefix
				o.Codec = rec.codec
				o.Clock = func() time.Time { return goldenNow }
				o.TTL = ttlSliding14d
			})
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			s, err := repo.Get(ctx, meta.SID)
			if err != nil {
				t.Fatal(err)
			}
			// The change: the cookie's expiry moves on (as express-session
			// moves it; the fixture's has passed for the Node stores, which
			// read with the wall clock), a line's quantity and a counter.
			expires := goldenNow.Add(14 * 24 * time.Hour)
			s.Data.Cookie.Expires = &expires
			s.Data.Visits++
			s.Data.Cart[1].Qty = 5
			if err := repo.Save(ctx, s); err != nil {
				t.Fatal(err)
			}
			want := nodeView(t, item["sess"])
			want["cookie"].(map[string]any)["expires"] = expires.Format(time.RFC3339Nano)
			want["visits"] = want["visits"].(int64) + 1
			want["cart"].([]any)[1].(map[string]any)["qty"] = int64(5)
			after, ok := db.Item("sessions", map[string]types.AttributeValue{"id": item["id"]})
			if !ok {
				t.Fatal("item gone")
			}
			if diff := cmp.Diff(want, nodeView(t, after["sess"])); diff != "" {
				t.Fatalf("stored mismatch (-want +got):\n%s", diff)
			}
			wantJSON, err := json.Marshal(want)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "go-kept-fields-for-"+stores[rec.prefix], after, map[string]any{
				"store": stores[rec.prefix], "table_prefix": rec.prefix, "sid": meta.SID, "want": json.RawMessage(wantJSON),
				"note": "a Go save of a change to the Node record codec/testdata/fixtures/" + rec.fixture +
					".json, whose Go type declares only part of it; written by TestNodeReadsKeptFields in unknown_fields_test.go (-update)",
			})
		})
	}
}

// TestRewriteOnReadKeepsNodeFields: RewriteOnRead rewrites a record into
// the repository's format on a plain Get. Into Map it keeps the fields the
// Go type does not declare; into a format that cannot keep them
// (MessagePack) it leaves the record as it is, where before it deleted
// them on a read.
func TestRewriteOnReadKeepsNodeFields(t *testing.T) {
	cases := map[string]func(t *testing.T, e *env){}
	for _, tt := range []struct {
		c       codec.Codec[goView]
		rewrite bool
	}{
		{codec.Map[goView]{}, true},
		{codec.Msgpack[goView]{}, false},
	} {
		cases["to "+string(tt.c.Format())] = func(t *testing.T, e *env) {
			item, meta := readFixture(t, filepath.Join("codec", "testdata", "fixtures", "connect-dynamodb-flash.json"))
			item["expires"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10)}
			e.putRaw(t, item)
			repo := newRepo(t, e, func(o *dynamosession.Options[goView]) {
				o.Prefix = "sess:"
				o.Codec = tt.c
				o.RewriteOnRead = true
			})
			e.reset()
			if _, err := repo.Get(context.Background(), meta.SID); err != nil {
				t.Fatal(err)
			}
			after := e.raw(t, "sess:"+meta.SID)["sess"]
			if got := codec.Detect(after); (got == tt.c.Format()) != tt.rewrite {
				t.Fatalf("stored format after Get %s (%d UpdateItem), rewrite expected: %v", got, e.count("UpdateItem"), tt.rewrite)
			}
			if diff := cmp.Diff(nodeView(t, item["sess"]), nodeView(t, after)); diff != "" {
				t.Errorf("a Get changed the stored session (-want +got):\n%s", diff)
			}
		}
	}
	onBackends(t, cases)
}

// TestMigrateKeepsNodeFields: the migration tool with a typed session
// rewrote a record without the fields the type does not declare. Into Map
// it now keeps them; into MessagePack, which cannot, it reports the record
// and leaves it as it is.
func TestMigrateKeepsNodeFields(t *testing.T) {
	for _, tt := range []struct {
		to       codec.Codec[goView]
		migrated bool
	}{
		{codec.Map[goView]{}, true},
		{codec.Msgpack[goView]{}, false},
	} {
		t.Run(string(tt.to.Format()), func(t *testing.T) {
			item, meta := readFixture(t, filepath.Join("codec", "testdata", "fixtures", "connect-dynamodb-flash.json"))
			now := time.UnixMilli(meta.WrittenMS)
			db := fake.New()
			if err := createSessions(db); err != nil {
				t.Fatal(err)
			}
			if err := db.PutRaw("sessions", item); err != nil {
				t.Fatal(err)
			}
			rep, err := migrate.Run(context.Background(), db, migrate.Config[goView]{
				Table: "sessions",
				To:    tt.to,
				Clock: func() time.Time { return now },
			})
			if err != nil {
				t.Fatal(err)
			}
			if got := rep.Migrated == 1; got != tt.migrated || rep.Migrated+rep.Failed != 1 {
				t.Fatalf("migrated %d, failed %d; want migrated: %v", rep.Migrated, rep.Failed, tt.migrated)
			}
			after, _ := db.Item("sessions", map[string]types.AttributeValue{"id": item["id"]})
			if diff := cmp.Diff(nodeView(t, item["sess"]), nodeView(t, after["sess"])); diff != "" {
				t.Errorf("migration changed the session (-want +got):\n%s", diff)
			}
		})
	}
}
