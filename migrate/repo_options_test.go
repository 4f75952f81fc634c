package migrate_test

import (
	"maps"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/anyvalue"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/migrate"
)

// TestStrictFormats: a repository that reads only its own formats (a
// table of sealed sessions) has its migration refuse a record in another
// format, as its Get does, rather than rewrite a plain record someone
// planted into the trusted sealed format.
func TestStrictFormats(t *testing.T) {
	keys, err := codec.NewKeyring(codec.Key{ID: "k1", Secret: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	onBackends(t, func(t *testing.T, b *backend) {
		live := time.Now().Add(time.Hour)
		planted := encode(t, codec.FormatJSON, "session#planted", newSession(1), live)
		b.seed(t, []map[string]types.AttributeValue{planted})
		for _, strict := range []bool{true, false} {
			repo := newRepo(t, b.c, b.table, func(o *dynamosession.Options[session]) {
				o.Codec = codec.Sealed[session](codec.Msgpack[session](), keys)
				o.StrictFormats = strict
			})
			rep, err := migrate.Run(t.Context(), b.c, repo, migrate.Config{DryRun: true})
			if err != nil {
				t.Fatal(err)
			}
			got := [2]int64{rep.Migrated, rep.Failed}
			want := [2]int64{0, 1}
			if !strict {
				want = [2]int64{1, 0}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("StrictFormats %v: migrated, failed mismatch (-want +got):\n%s\nfailures: %v", strict, diff, rep.Failures)
			}
		}
		// A real run: nothing written, the planted record as it was.
		repo := newRepo(t, b.c, b.table, func(o *dynamosession.Options[session]) {
			o.Codec = codec.Sealed[session](codec.Msgpack[session](), keys)
			o.StrictFormats = true
		})
		cc := newCounting(b.c)
		if _, err := migrate.Run(t.Context(), cc, repo, migrate.Config{}); err != nil {
			t.Fatal(err)
		}
		if _, sends := cc.total(); sends != 0 {
			t.Errorf("strict migration sent %d writes", sends)
		}
		if diff := diffItems(t, planted, b.get(t, "session#planted")); diff != "" {
			t.Errorf("planted record changed (-want +got):\n%s", diff)
		}
	})
}

// TestNewerSchemaVersion: a record stored by a newer deploy (schema 2) is
// skipped by a migration of a repository of schema 1, whose session type
// may not hold its shape; the command-line tool's generic value holds any
// shape, so its migration converts the record and keeps its version.
func TestNewerSchemaVersion(t *testing.T) {
	onBackends(t, func(t *testing.T, b *backend) {
		item := encode(t, codec.FormatJSON, "session#v2", newSession(3), time.Now().Add(time.Hour))
		item["schema"] = &types.AttributeValueMemberN{Value: "2"}
		b.seed(t, []map[string]types.AttributeValue{item})

		typed := newRepo(t, b.c, b.table, func(o *dynamosession.Options[session]) { o.Codec = codec.Msgpack[session]() })
		rep, err := migrate.Run(t.Context(), b.c, typed, migrate.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]int64{"newer schema": 1}, rep.Skipped); diff != "" || rep.Migrated != 0 {
			t.Errorf("typed: migrated %d, skipped mismatch (-want +got):\n%s", rep.Migrated, diff)
		}
		if diff := cmp.Diff(map[int]int64{2: 1}, rep.Schemas); diff != "" {
			t.Errorf("typed: schemas mismatch (-want +got):\n%s", diff)
		}

		generic := b.valueRepo(t, "session#", codec.Msgpack[anyvalue.Value](), nil)
		rep, err = migrate.Run(t.Context(), b.c, generic, migrate.Config{})
		if err != nil {
			t.Fatal(err)
		}
		if rep.Migrated != 1 || rep.Skipped != nil {
			t.Errorf("generic: %+v, want the record migrated", rep)
		}
		got := b.get(t, "session#v2")
		if f := codecs.Detect(got["sess"]); f != codec.FormatMsgpack {
			t.Errorf("generic: stored as %s", f)
		}
		if diff := diffItems(t, map[string]types.AttributeValue{"s": item["schema"]}, map[string]types.AttributeValue{"s": got["schema"]}); diff != "" {
			t.Errorf("generic: schema attribute changed (-want +got):\n%s", diff)
		}
	})
}

// TestProgressReports: Progress sees the report after every page, each
// one the caller's to keep, the last equal to what Run returns.
func TestProgressReports(t *testing.T) {
	onBackends(t, func(t *testing.T, b *backend) {
		var items []map[string]types.AttributeValue
		for i := range 10 {
			items = append(items, encode(t, codec.FormatJSON, "session#"+string(rune('a'+i)), newSession(i), time.Now().Add(time.Hour)))
		}
		items[0]["sess"] = &types.AttributeValueMemberS{Value: `{"cut`}
		b.seed(t, items)
		var seen []migrate.Report
		rep, err := migrate.Run(t.Context(), b.c, b.valueRepo(t, "session#", codec.Msgpack[anyvalue.Value](), nil), migrate.Config{
			Workers: 1, PageSize: 3,
			Progress: func(r migrate.Report) {
				seen = append(seen, r)
				if r.Failures != nil && r.Schemas != nil {
					r.Failures["scribbled"] = "by the callback" // must not reach the run
					r.Schemas[99]++
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) < 4 { // pages of 3, 3, 3, 1, and perhaps an empty one
			t.Fatalf("%d progress calls for 10 items in pages of 3, want at least 4", len(seen))
		}
		for i, r := range seen {
			if i > 0 && r.Scanned < seen[i-1].Scanned {
				t.Errorf("progress went back: %d after %d", r.Scanned, seen[i-1].Scanned)
			}
		}
		// Checked before anything below touches the reports' maps.
		if _, ok := rep.Failures["scribbled"]; ok || rep.Schemas[99] != 0 {
			t.Errorf("the callback's changes reached the run: %+v", rep)
		}
		last := seen[len(seen)-1]
		last.Failures, last.Schemas = maps.Clone(last.Failures), maps.Clone(last.Schemas)
		delete(last.Failures, "scribbled")
		delete(last.Schemas, 99)
		if diff := cmp.Diff(*rep, last); diff != "" {
			t.Errorf("last progress report and Run's differ (-run +progress):\n%s", diff)
		}
	})
}
