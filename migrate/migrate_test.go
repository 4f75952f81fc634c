package migrate_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/anyvalue"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/reader"
	"github.com/dynamosession/dynamosession/migrate"
)

// What must become of a seeded item.
type fate int

const (
	toMigrate   fate = iota // live, valid, in another format than the target
	untouched               // already in the target format
	expired                 // expiry passed: left for TTL
	corrupt                 // cannot be migrated: reported and left as it is
	otherPrefix             // skipped: another prefix
	noData                  // skipped: no data attribute
)

// dataset is a table's worth of items and the fate of each.
type dataset struct {
	items []map[string]types.AttributeValue
	byKey map[string]map[string]types.AttributeValue
	fate  map[string]fate
	typed map[string]session // the session a record was encoded from, if any
}

func (d *dataset) add(item map[string]types.AttributeValue, f fate) {
	key := item["id"].(*types.AttributeValueMemberS).Value
	d.items = append(d.items, item)
	d.byKey[key] = item
	d.fate[key] = f
}

func (d *dataset) count(f fate) int {
	n := 0
	for _, g := range d.fate {
		if g == f {
			n++
		}
	}
	return n
}

// corruptRecords are data attributes no migration may touch, each for
// its own reason.
var corruptRecords = []types.AttributeValue{
	&types.AttributeValueMemberS{Value: `{"user": "ada", "cart": [`},                                                                       // truncated JSON
	&types.AttributeValueMemberB{Value: []byte{0xC1, 'z', 1, 2}},                                                                           // envelope nobody registered
	&types.AttributeValueMemberB{Value: []byte{0x92, 0x01}},                                                                                // MessagePack array missing an element
	&types.AttributeValueMemberS{Value: `{"n": 0.10000000000000000001}`},                                                                   // more digits than a float64: msgpack would round it
	&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"tags": &types.AttributeValueMemberSS{Value: []string{"a", "b"}}}}, // a set: no msgpack equivalent
	&types.AttributeValueMemberN{Value: "42"},                                                                                              // not a session format at all
}

// mixedDataset builds n items: live sessions in each format (some written
// by "Node" with fields no Go type knows), expired ones, corrupt ones, and
// items that are not sessions. Live ones expire at live, expired ones at
// gone (before the migration's clock).
func mixedDataset(t *testing.T, n int, target codec.Format, live, gone time.Time) *dataset {
	t.Helper()
	d := &dataset{byKey: map[string]map[string]types.AttributeValue{}, fate: map[string]fate{}, typed: map[string]session{}}
	formats := []codec.Format{codec.FormatJSON, codec.FormatMap, codec.FormatMsgpack}
	for i := range n {
		key := fmt.Sprintf("session#k%05d", i)
		f := formats[i%3]
		switch r := i % 100; {
		case r == 0:
			sess := corruptRecords[(i/100)%len(corruptRecords)]
			fate := corrupt
			if codecs.Detect(sess) == target {
				fate = untouched
			}
			d.add(map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: key},
				"sess":    sess,
				"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(live.Unix(), 10)},
			}, fate)
		case r <= 4:
			d.add(encode(t, f, key, newSession(i), gone), expired)
		case r == 5:
			d.add(encode(t, f, fmt.Sprintf("other#k%05d", i), newSession(i), live), otherPrefix)
		case r == 6:
			d.add(map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}, "note": &types.AttributeValueMemberS{Value: "no data"}}, noData)
		case f == codec.FormatJSON && r%10 == 7:
			item := encode(t, f, key, newSession(i), live)
			item["sess"] = &types.AttributeValueMemberS{Value: nodeJSON}
			d.add(item, toMigrate)
		default:
			s := newSession(i)
			fate := toMigrate
			if f == target {
				fate = untouched
			}
			d.add(encode(t, f, key, s, live), fate)
			d.typed[key] = s
		}
	}
	return d
}

// verify checks the table after a complete migration to msgpack: every
// live valid record in the target format with its data equal and its
// expiry kept, written once; everything else untouched and never written;
// the report agreeing. "Written once" allows for a write cancelled in
// flight (Ctrl-C), which DynamoDB may have applied although the client saw
// an error: the resumed run then finds the record migrated, so no record
// is ever written twice, but at most one write per worker is sent again.
func verify(t *testing.T, b *backend, d *dataset, cc *counting, workers int, rep *migrate.Report) {
	t.Helper()
	reader := reader.New[anyvalue.Value]()
	final := b.all(t)
	bad := 0
	for key, f := range d.fate {
		orig, got := d.byKey[key], final[key]
		if bad > 10 {
			t.Fatalf("giving up after %d bad records", bad)
		}
		if f != toMigrate {
			if diff := diffItems(t, orig, got); diff != "" {
				t.Errorf("%s (fate %d) changed (-want +got):\n%s", key, f, diff)
				bad++
			}
			if cc.sends[key] != 0 {
				t.Errorf("%s (fate %d) written %d times", key, f, cc.sends[key])
				bad++
			}
			continue
		}
		if got == nil {
			t.Errorf("%s is gone", key)
			bad++
			continue
		}
		if w, s := cc.writes[key], cc.sends[key]; w > 1 || s < 1 || s > 2 {
			t.Errorf("%s: %d writes succeeded of %d sent, want one (or a cancelled one)", key, w, s)
			bad++
		}
		if f := codecs.Detect(got["sess"]); f != codec.FormatMsgpack {
			t.Errorf("%s is %s after the migration", key, f)
			bad++
			continue
		}
		if _, ok := got["type"]; ok {
			t.Errorf("%s kept connect-dynamodb's type attribute", key)
		}
		if diff := diffItems(t, map[string]types.AttributeValue{"expires": orig["expires"]}, map[string]types.AttributeValue{"expires": got["expires"]}); diff != "" {
			t.Errorf("%s expiry changed (-want +got):\n%s", key, diff)
		}
		if diff := cmp.Diff(canonical(t, reader, key, orig["sess"]), canonical(t, reader, key, got["sess"])); diff != "" {
			t.Errorf("%s data changed (-want +got):\n%s", key, diff)
			bad++
		}
		if s, ok := d.typed[key]; ok {
			var back session
			if err := (codec.Msgpack[session]()).Decode(key, got["sess"], &back); err != nil {
				t.Errorf("%s: typed decode: %v", key, err)
			} else if diff := cmp.Diff(s, back); diff != "" {
				t.Errorf("%s typed data changed (-want +got):\n%s", key, diff)
			}
		}
	}

	needing := d.count(toMigrate)
	if writes, sends := cc.total(); writes > needing || sends < needing || sends > needing+workers {
		t.Errorf("%d writes succeeded and %d were sent for %d records needing migration, want at most %d sent", writes, sends, needing, needing+workers)
	}
	wantRep := migrate.Report{
		Scanned:   int64(len(d.items)),
		Expired:   int64(d.count(expired)),
		Skipped:   map[string]int64{"other prefix": int64(d.count(otherPrefix)), "no data attribute": int64(d.count(noData))},
		Failed:    int64(d.count(corrupt)),
		Migrated:  rep.Migrated, // checked below: a re-done page counts as already migrated
		Resumed:   rep.Resumed,
		Failures:  rep.Failures,
		ReadUnits: rep.ReadUnits, WriteUnits: rep.WriteUnits,
		AlreadyTarget: int64(needing+d.count(untouched)) - rep.Migrated,
		Schemas:       map[int]int64{1: int64(len(d.items) - d.count(expired) - d.count(otherPrefix) - d.count(noData))},
	}
	if diff := cmp.Diff(&wantRep, rep); diff != "" {
		t.Errorf("report mismatch (-want +got):\n%s", diff)
	}
	for key, reason := range rep.Failures {
		if d.fate[key] != corrupt {
			t.Errorf("failure reported for %s, which is not corrupt: %s", key, reason)
		}
	}
	if len(rep.Failures) != d.count(corrupt) {
		t.Errorf("%d failures listed, want %d", len(rep.Failures), d.count(corrupt))
	}
}

// TestKillAndResume migrates 10,000 records of mixed formats, kills the
// migration halfway, resumes it from the checkpoint, and checks every
// record's fate and that no record was written more than once. On
// DynamoDB Local it migrates fewer (see localItems).
func TestKillAndResume(t *testing.T) {
	kills := []struct {
		name    string
		kill    func(b *backend, cc *counting, cancel context.CancelFunc)
		wantErr error
	}{
		{"ctrl-c", func(_ *backend, _ *counting, cancel context.CancelFunc) { cancel() }, context.Canceled},
		{"write-fails", func(b *backend, cc *counting, _ context.CancelFunc) {
			if b.fake != nil {
				b.fake.FailNext("UpdateItem", 1, errInjected)
			} else {
				cc.failNext()
			}
		}, errInjected},
	}
	for _, k := range kills {
		t.Run(k.name, func(t *testing.T) {
			onBackends(t, func(t *testing.T, b *backend) {
				n := 10000
				if b.fake == nil {
					n = localItems(t)
				}
				base := time.Now().Truncate(time.Second)
				// The migration's clock runs two hours ahead, so the
				// "expired" records are still in the future for DynamoDB
				// Local's own TTL sweeper.
				clock := func() time.Time { return base.Add(2 * time.Hour) }
				d := mixedDataset(t, n, codec.FormatMsgpack, base.Add(48*time.Hour), base.Add(time.Hour))
				seedStart := time.Now()
				b.seed(t, d.items)
				seedTime := time.Since(seedStart)

				cc := newCounting(b.c)
				ckpt := filepath.Join(t.TempDir(), "migrate.checkpoint")
				ctx, cancel := context.WithCancel(t.Context())
				defer cancel()
				var killed atomic.Bool
				repo := b.valueRepo(t, "session#", codec.Msgpack[anyvalue.Value](), clock)
				cfg := migrate.Config{
					Workers: 4, PageSize: 100, Checkpoint: ckpt, MaxFailures: n,
					Progress: func(p migrate.Report) {
						if p.Scanned >= int64(n/2) && killed.CompareAndSwap(false, true) {
							k.kill(b, cc, cancel)
						}
					},
				}
				start := time.Now()
				rep, err := migrate.Run(ctx, cc, repo, cfg)
				if !errors.Is(err, k.wantErr) {
					t.Fatalf("first run: err = %v, want %v", err, k.wantErr)
				}
				if rep.Scanned < int64(n/2) || rep.Scanned >= int64(n) {
					t.Fatalf("first run: stopped after %d of %d items; want it stopped halfway", rep.Scanned, n)
				}
				firstWrites, _ := cc.total()

				cfg.Progress = nil
				rep, err = migrate.Run(t.Context(), cc, repo, cfg)
				elapsed := time.Since(start)
				if err != nil {
					t.Fatalf("resumed run: %v", err)
				}
				if !rep.Resumed {
					t.Error("resumed run does not say it resumed")
				}
				verify(t, b, d, cc, cfg.Workers, rep)
				redone := int64(d.count(toMigrate)) - rep.Migrated
				if maxRedone := int64(cfg.Workers) * int64(cfg.PageSize); redone < 0 || redone > maxRedone {
					t.Errorf("%d records migrated in pages cut short, want at most %d (one page per worker)", redone, maxRedone)
				}
				writes, sends := cc.total()
				t.Logf("%s: seeded %d items in %v; migrated %d records (%d before the kill, %d re-done after it found migrated) in %v: %.0f items scanned/s, %.0f records written/s, %.3f writes sent per migrated record, %.0f WCU, %.0f RCU",
					b.name, n, seedTime.Round(time.Millisecond), writes, firstWrites, redone, elapsed.Round(time.Millisecond),
					float64(n)/elapsed.Seconds(), float64(writes)/elapsed.Seconds(), float64(sends)/float64(d.count(toMigrate)),
					rep.WriteUnits, rep.ReadUnits)
			})
		})
	}
}

// TestFormatPairs migrates records between every pair of formats, and
// into an encrypting codec, and checks the data reads back equal, both
// untyped and as the Go type it was written from.
func TestFormatPairs(t *testing.T) {
	keys, err := codec.NewKeyring(codec.Key{ID: "k1", Secret: make([]byte, 32)})
	if err != nil {
		t.Fatal(err)
	}
	sealedValue := codec.Sealed[anyvalue.Value](codec.Msgpack[anyvalue.Value](), keys)
	sealedSession := codec.Sealed[session](codec.Msgpack[session](), keys)
	targets := []struct {
		to    codec.Codec[anyvalue.Value]
		typed codec.Codec[session]
	}{
		{codec.Map[anyvalue.Value](), codec.Map[session]()},
		{codec.JSON[anyvalue.Value](), codec.JSON[session]()},
		{codec.Msgpack[anyvalue.Value](), codec.Msgpack[session]()},
		{sealedValue, sealedSession},
		{codec.Compressed[anyvalue.Value](codec.Msgpack[anyvalue.Value]()), codec.Compressed[session](codec.Msgpack[session]())},
	}
	sources := []codec.Format{codec.FormatMap, codec.FormatJSON, codec.FormatMsgpack}
	onBackends(t, func(t *testing.T, b *backend) {
		live := time.Now().Add(48 * time.Hour)
		for _, target := range targets {
			for _, from := range sources {
				if from == target.to.Format() {
					continue
				}
				t.Run(fmt.Sprintf("%s-to-%s", from, target.to.Format()), func(t *testing.T) {
					prefix := fmt.Sprintf("%s-%s#", from, target.to.Format())
					var items []map[string]types.AttributeValue
					for i := range 20 {
						items = append(items, encode(t, from, prefix+strconv.Itoa(i), newSession(i), live))
					}
					b.seed(t, items)
					cc := newCounting(b.c)
					rep, err := migrate.Run(t.Context(), cc, b.valueRepo(t, prefix, target.to, nil), migrate.Config{From: []codec.Format{from}})
					if err != nil {
						t.Fatal(err)
					}
					if rep.Migrated != 20 || rep.Failed != 0 {
						t.Fatalf("report: %+v", rep)
					}
					reader := reader.New[anyvalue.Value](target.to)
					for i, orig := range items {
						key := prefix + strconv.Itoa(i)
						got := b.get(t, key)
						if f := codecs.Detect(got["sess"]); f != target.to.Format() {
							t.Fatalf("%s stored as %s", key, f)
						}
						var back session
						if err := target.typed.Decode(key, got["sess"], &back); err != nil {
							t.Fatalf("%s: %v", key, err)
						}
						if diff := cmp.Diff(newSession(i), back); diff != "" {
							t.Errorf("%s typed data (-want +got):\n%s", key, diff)
						}
						if diff := cmp.Diff(canonical(t, reader, key, orig["sess"]), canonical(t, reader, key, got["sess"])); diff != "" {
							t.Errorf("%s data (-want +got):\n%s", key, diff)
						}
						_, hasType := got["type"]
						if want := target.to.Format() == codec.FormatJSON; hasType != want {
							t.Errorf("%s: type attribute present = %v, want %v", key, hasType, want)
						}
						if diff := diffItems(t, map[string]types.AttributeValue{"e": orig["expires"]}, map[string]types.AttributeValue{"e": got["expires"]}); diff != "" {
							t.Errorf("%s expiry (-want +got):\n%s", key, diff)
						}
					}
				})
			}
		}
	})
}

// TestConcurrentAppWrites has the application write a session between
// the migration's scan and its write, and checks the migration never
// overwrites or resurrects what the application wrote.
func TestConcurrentAppWrites(t *testing.T) {
	// The application's write number n.
	appData := func(n int) session {
		return session{User: "changed-by-app", Visits: n, Big: 1 << 60, Flags: map[string]bool{}}
	}
	type counts struct{ Migrated, AlreadyTarget, Conflicts int64 }
	cases := []struct {
		name string
		// app does what the application does before the migration's
		// write number n (from 1) of the victim; it returns what it stored,
		// nil for nothing or a delete.
		app func(t *testing.T, b *backend, key string, n int) map[string]types.AttributeValue
		// want is the format the victim ends in, "" when deleted; its
		// data must be what the application last stored.
		want       codec.Format
		wantWrites int
		wantCounts counts // the bystander is always migrated
	}{
		{
			name: "app saves in the old format: migrated with the app's data",
			app: func(t *testing.T, b *backend, key string, n int) map[string]types.AttributeValue {
				if n > 1 {
					return nil
				}
				return put(t, b, encode(t, codec.FormatJSON, key, appData(n), time.Now().Add(72*time.Hour)))
			},
			want: codec.FormatMsgpack, wantWrites: 1,
			wantCounts: counts{Migrated: 2},
		},
		{
			name: "app saves in the target format: left as the app wrote it",
			app: func(t *testing.T, b *backend, key string, n int) map[string]types.AttributeValue {
				if n > 1 {
					return nil
				}
				return put(t, b, encode(t, codec.FormatMsgpack, key, appData(n), time.Now().Add(72*time.Hour)))
			},
			want:       codec.FormatMsgpack,
			wantCounts: counts{Migrated: 1, AlreadyTarget: 1},
		},
		{
			name: "app deletes: not resurrected",
			app: func(t *testing.T, b *backend, key string, n int) map[string]types.AttributeValue {
				if n == 1 {
					if _, err := b.c.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: &b.table, Key: map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}}}); err != nil {
						t.Error(err)
					}
				}
				return nil
			},
			wantCounts: counts{Migrated: 1, Conflicts: 1},
		},
		{
			name: "app keeps saving: given up, app's last write kept",
			app: func(t *testing.T, b *backend, key string, n int) map[string]types.AttributeValue {
				return put(t, b, encode(t, codec.FormatJSON, key, appData(n), time.Now().Add(72*time.Hour)))
			},
			want:       codec.FormatJSON,
			wantCounts: counts{Migrated: 1, Conflicts: 1},
		},
	}
	onBackends(t, func(t *testing.T, b *backend) {
		for i, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				prefix := fmt.Sprintf("c%d#", i)
				key := prefix + "victim"
				b.seed(t, []map[string]types.AttributeValue{
					encode(t, codec.FormatJSON, key, newSession(1), time.Now().Add(24*time.Hour)),
					encode(t, codec.FormatJSON, prefix+"bystander", newSession(2), time.Now().Add(24*time.Hour)),
				})
				cc := newCounting(b.c)
				var (
					attempts int
					last     map[string]types.AttributeValue
				)
				cc.before = func(k string) {
					if k == key {
						attempts++
						if stored := c.app(t, b, k, attempts); stored != nil {
							last = stored
						}
					}
				}
				rep, err := migrate.Run(t.Context(), cc, b.valueRepo(t, prefix, codec.Msgpack[anyvalue.Value](), nil), migrate.Config{})
				if err != nil {
					t.Fatal(err)
				}
				got := b.get(t, key)
				switch {
				case c.want == "" && got != nil:
					t.Errorf("deleted session resurrected: %v", got)
				case c.want != "" && got == nil:
					t.Errorf("session gone")
				case c.want != "":
					if f := codecs.Detect(got["sess"]); f != c.want {
						t.Errorf("stored as %s, want %s", f, c.want)
					}
					reader := reader.New[anyvalue.Value]()
					if diff := cmp.Diff(canonical(t, reader, key, last["sess"]), canonical(t, reader, key, got["sess"])); diff != "" {
						t.Errorf("data is not the app's last write (-want +got):\n%s", diff)
					}
					if diff := diffItems(t, map[string]types.AttributeValue{"e": last["expires"]}, map[string]types.AttributeValue{"e": got["expires"]}); diff != "" {
						t.Errorf("expiry is not the app's (-want +got):\n%s", diff)
					}
				}
				if cc.writes[key] != c.wantWrites {
					t.Errorf("victim written %d times, want %d", cc.writes[key], c.wantWrites)
				}
				if cc.writes[prefix+"bystander"] != 1 {
					t.Errorf("bystander written %d times, want once", cc.writes[prefix+"bystander"])
				}
				if diff := cmp.Diff(c.wantCounts, counts{rep.Migrated, rep.AlreadyTarget, rep.Conflicts}); diff != "" {
					t.Errorf("report counts (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// put stores item as the application would, and returns it.
func put(t *testing.T, b *backend, item map[string]types.AttributeValue) map[string]types.AttributeValue {
	t.Helper()
	if _, err := b.c.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &b.table, Item: item}); err != nil {
		t.Error(err)
	}
	return item
}

// TestDryRunWritesNothing checks a dry run reports what a real run would
// do, estimates its write units from item sizes, and sends no write and
// no checkpoint.
func TestDryRunWritesNothing(t *testing.T) {
	db := fake.New()
	b := newBackend(t, "fake", db, db)
	now := db.Now() // the repository follows the fake's clock
	d := mixedDataset(t, 300, codec.FormatMsgpack, now.Add(48*time.Hour), now.Add(-time.Hour))
	b.seed(t, d.items)
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	repo := b.valueRepo(t, "session#", codec.Msgpack[anyvalue.Value](), nil)
	cfg := migrate.Config{DryRun: true, Checkpoint: ckpt}
	db.ResetStats()
	dry, err := migrate.Run(t.Context(), db, repo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if st := db.Stats(); st.Calls["UpdateItem"] != 0 || st.WriteUnits != 0 {
		t.Errorf("dry run wrote: %+v", st)
	}
	if _, err := os.Stat(ckpt); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dry run left a checkpoint: %v", err)
	}
	cfg.DryRun = false
	real, err := migrate.Run(t.Context(), db, repo, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(dry, real); diff != "" {
		t.Errorf("dry run and real run disagree (-dry +real):\n%s", diff)
	}
	if int(real.Migrated) != d.count(toMigrate) {
		t.Errorf("migrated %d, want %d", real.Migrated, d.count(toMigrate))
	}
}

// TestCheckpointMismatch checks a checkpoint only resumes the migration
// that wrote it, and a complete one makes a run do nothing.
func TestCheckpointMismatch(t *testing.T) {
	db := fake.New()
	b := newBackend(t, "fake", db, db)
	now := db.Now()
	b.seed(t, mixedDataset(t, 50, codec.FormatMsgpack, now.Add(48*time.Hour), now.Add(-time.Hour)).items)
	ckpt := filepath.Join(t.TempDir(), "ckpt")
	repo := b.valueRepo(t, "", codec.Msgpack[anyvalue.Value](), nil)
	cfg := migrate.Config{Checkpoint: ckpt, Workers: 2}
	first, err := migrate.Run(t.Context(), db, repo, cfg)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("complete checkpoint: nothing to do", func(t *testing.T) {
		db.ResetStats()
		again, err := migrate.Run(t.Context(), db, repo, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if st := db.Stats(); st.Calls["Scan"] != 0 || st.Calls["UpdateItem"] != 0 {
			t.Errorf("a complete checkpoint still scanned or wrote: %v", st.Calls)
		}
		if !again.Resumed || again.Migrated != first.Migrated {
			t.Errorf("report from a complete checkpoint: %+v, first run %+v", again, first)
		}
	})
	// Each mismatch is named in words a person can act on, not as a dump
	// of the checkpoint's structure.
	mismatches := []struct {
		name string
		repo *dynamosession.Repo[anyvalue.Value]
		cfg  migrate.Config
		says string
	}{
		{"other target", b.valueRepo(t, "", codec.JSON[anyvalue.Value](), nil), cfg, `to "msgpack" (this run: "json")`},
		{"other prefix", b.valueRepo(t, "sess:", codec.Msgpack[anyvalue.Value](), nil), cfg, `prefix "" (this run: "sess:")`},
		{"other source", repo, migrate.Config{Checkpoint: ckpt, Workers: 2, From: []codec.Format{codec.FormatJSON}},
			"from every other format (this run: json)"},
		{"other worker count", repo, migrate.Config{Checkpoint: ckpt, Workers: 3}, "one with 2 segments: resume with 2 workers"},
	}
	for _, m := range mismatches {
		t.Run(m.name, func(t *testing.T) {
			_, err := migrate.Run(t.Context(), db, m.repo, m.cfg)
			if !errors.Is(err, dynamosession.ErrInvalidOptions) || !strings.Contains(err.Error(), "belongs to another migration") ||
				!strings.Contains(err.Error(), m.says) || strings.Contains(err.Error(), "{") {
				t.Errorf("err = %v, want ErrInvalidOptions saying the checkpoint belongs to another migration: %s", err, m.says)
			}
		})
	}
	t.Run("damaged file", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad")
		if err := os.WriteFile(bad, []byte(`{"version": 1, "segm`), 0o600); err != nil {
			t.Fatal(err)
		}
		c := cfg
		c.Checkpoint = bad
		if _, err := migrate.Run(t.Context(), db, repo, c); err == nil {
			t.Error("a damaged checkpoint was accepted")
		}
	})
	t.Run("no temporary files left", func(t *testing.T) {
		entries, err := os.ReadDir(filepath.Dir(ckpt))
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != 1 {
			var names []string
			for _, e := range entries {
				names = append(names, e.Name())
			}
			t.Errorf("checkpoint directory holds %v, want only the checkpoint", names)
		}
	})
}

func TestInvalidConfig(t *testing.T) {
	db := fake.New()
	b := newBackend(t, "fake", db, db)
	repo := b.valueRepo(t, "session#", codec.Msgpack[anyvalue.Value](), nil)
	cases := map[string]struct {
		repo *dynamosession.Repo[anyvalue.Value]
		cfg  migrate.Config
	}{
		"no repository":         {nil, migrate.Config{}},
		"from target":           {repo, migrate.Config{From: []codec.Format{codec.FormatMsgpack}}},
		"negative workers":      {repo, migrate.Config{Workers: -1}},
		"too many workers":      {repo, migrate.Config{Workers: 1001}},
		"negative rate":         {repo, migrate.Config{WriteUnitsPerSecond: -1}},
		"negative read rate":    {repo, migrate.Config{ReadUnitsPerSecond: -1}},
		"negative pagesize":     {repo, migrate.Config{PageSize: -1}},
		"negative max failures": {repo, migrate.Config{MaxFailures: -1}},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			db.ResetStats()
			if _, err := migrate.Run(t.Context(), db, c.repo, c.cfg); !errors.Is(err, dynamosession.ErrInvalidOptions) {
				t.Errorf("err = %v, want dynamosession.ErrInvalidOptions", err)
			}
			if n := len(db.Stats().Calls); n != 0 {
				t.Errorf("a bad configuration sent requests: %v", db.Stats().Calls)
			}
		})
	}
}

// TestKeySchema checks that Run refuses, before scanning, a table whose
// key is not KeyAttr as a string partition key: every item would be
// skipped and the whole table billed for nothing.
func TestKeySchema(t *testing.T) {
	cases := []struct {
		name    string
		keys    []types.KeySchemaElement
		defs    []types.AttributeDefinition
		keyAttr string
		says    string
	}{
		{"other key name", hashKeyOf("sid"), attrDefs("sid", types.ScalarAttributeTypeS), "", `partition key is "sid", want "id"`},
		{"number key", hashKeyOf("id"), attrDefs("id", types.ScalarAttributeTypeN), "", `has type N`},
		{"sort key", append(hashKeyOf("id"), types.KeySchemaElement{AttributeName: aws.String("at"), KeyType: types.KeyTypeRange}),
			append(attrDefs("id", types.ScalarAttributeTypeS), attrDefs("at", types.ScalarAttributeTypeN)...), "", `sort key "at"`},
		{"KeyAttr set to the table's key", hashKeyOf("sid"), attrDefs("sid", types.ScalarAttributeTypeS), "sid", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			db := fake.New()
			if _, err := db.CreateTable(t.Context(), &dynamodb.CreateTableInput{
				TableName: aws.String("sessions"), KeySchema: c.keys, AttributeDefinitions: c.defs, BillingMode: types.BillingModePayPerRequest,
			}); err != nil {
				t.Fatal(err)
			}
			repo := newRepo(t, db, "sessions", func(o *dynamosession.Options[anyvalue.Value]) {
				o.Codec = codec.Msgpack[anyvalue.Value]()
				if c.keyAttr != "" {
					o.KeyAttr = c.keyAttr
				}
			})
			rep, err := migrate.Run(t.Context(), db, repo, migrate.Config{})
			if c.says == "" {
				if err != nil {
					t.Errorf("Run = %+v, %v; want a complete run", rep, err)
				}
				return
			}
			if !errors.Is(err, dynamosession.ErrInvalidOptions) || !strings.Contains(err.Error(), c.says) {
				t.Errorf("err = %v, want dynamosession.ErrInvalidOptions saying %s", err, c.says)
			}
			if n := db.Stats().Calls["Scan"]; n != 0 {
				t.Errorf("%d Scan calls on a table that cannot match", n)
			}
		})
	}
}

func hashKeyOf(name string) []types.KeySchemaElement {
	return []types.KeySchemaElement{{AttributeName: aws.String(name), KeyType: types.KeyTypeHash}}
}

func attrDefs(name string, typ types.ScalarAttributeType) []types.AttributeDefinition {
	return []types.AttributeDefinition{{AttributeName: aws.String(name), AttributeType: typ}}
}

// TestSkipReasons checks the report counts each reason for skipping an
// item, so a run that matched nothing can say why.
func TestSkipReasons(t *testing.T) {
	db := fake.New()
	b := newBackend(t, "fake", db, db)
	exp := &types.AttributeValueMemberN{Value: fmt.Sprint(time.Now().Add(time.Hour).Unix())}
	b.seed(t, []map[string]types.AttributeValue{
		{"id": &types.AttributeValueMemberS{Value: "other#a"}, "sess": &types.AttributeValueMemberS{Value: `{}`}, "expires": exp},
		{"id": &types.AttributeValueMemberS{Value: "other#b"}, "sess": &types.AttributeValueMemberS{Value: `{}`}, "expires": exp},
		{"id": &types.AttributeValueMemberS{Value: "sess:c"}, "note": &types.AttributeValueMemberS{Value: "no data"}},
		{"id": &types.AttributeValueMemberS{Value: "sess:d"}, "sess": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}, "expires": exp},
	})
	rep, err := migrate.Run(t.Context(), db, b.valueRepo(t, "sess:", codec.Msgpack[anyvalue.Value](), nil), migrate.Config{From: []codec.Format{codec.FormatJSON}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int64{"other prefix": 2, "no data attribute": 1, "other format": 1}
	if diff := cmp.Diff(want, rep.Skipped); diff != "" {
		t.Errorf("skipped by reason mismatch (-want +got):\n%s", diff)
	}
}

// localItems is how many records TestKillAndResume migrates on DynamoDB
// Local: the full 10,000 under CI=true, 2,000 on a developer's machine,
// because seeding and migrating 10,000 there takes a minute or more per
// case on two cores (about 25 s to seed, 15 s to migrate, with the JVM
// warm); DYNAMOSESSION_LOCAL_ITEMS sets another number.
func localItems(t *testing.T) int {
	t.Helper()
	v := os.Getenv("DYNAMOSESSION_LOCAL_ITEMS")
	if v == "" {
		if os.Getenv("CI") == "true" {
			return 10000
		}
		return 2000
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 100 {
		t.Fatalf("DYNAMOSESSION_LOCAL_ITEMS=%q: want a number of at least 100", v)
	}
	return n
}
