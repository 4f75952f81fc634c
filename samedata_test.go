package dynamosession_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
)

type sameView struct {
	User   string     `json:"user"`
	Seen   time.Time  `json:"seen"`
	Visits int        `json:"visits"`
	Lines  []sameLine `json:"lines"`
}

type sameLine struct {
	SKU string `json:"sku"`
}

// TestSaveComparesDifferingMembers: Save decides whether Map or JSON data
// changed from the top-level members whose encodings differ. A record
// another program wrote, with a time spelled otherwise than Go spells it
// and fields the type does not declare (at the top, and in a list
// element), is not written by a request that only read it, whatever the
// order of its members (and JSON with an escaped or repeated key, which
// falls back to decoding the whole record, neither); a change is written,
// and the unknown fields stay.
func TestSaveComparesDifferingMembers(t *testing.T) {
	jsText := `{"us\u0065r":"ada","seen":"2026-11-21T12:00:00.000Z","visits":3,"lines":[{"sku":"A","note":"node"}],"extra":"node"}`
	records := []struct {
		name  string
		codec codec.Codec[sameView]
		sess  types.AttributeValue
	}{
		{"map", codec.Map[sameView](), &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"user":   &types.AttributeValueMemberS{Value: "ada"},
			"seen":   &types.AttributeValueMemberS{Value: "2026-11-21T12:00:00.000Z"},
			"visits": &types.AttributeValueMemberN{Value: "3"},
			"lines": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
				"sku": &types.AttributeValueMemberS{Value: "A"}, "note": &types.AttributeValueMemberS{Value: "node"},
			}}}},
			"extra": &types.AttributeValueMemberS{Value: "node"},
		}}},
		{"json", codec.JSON[sameView](), &types.AttributeValueMemberS{Value: `{"user":"ada","seen":"2026-11-21T12:00:00.000Z","visits":3,"lines":[{"sku":"A","note":"node"}],"extra":"node"}`}},
		{"json with an escaped key", codec.JSON[sameView](), &types.AttributeValueMemberS{Value: jsText}},
		{"json in another order", codec.JSON[sameView](), &types.AttributeValueMemberS{Value: `{"extra":"node","lines":[{"note":"node","sku":"A"}],"visits":3,"seen":"2026-11-21T12:00:00.000Z","user":"ada"}`}},
		{"json with a repeated key", codec.JSON[sameView](), &types.AttributeValueMemberS{Value: `{"user":"bob","seen":"2026-11-21T12:00:00.000Z","visits":3,"lines":[{"sku":"A","note":"node"}],"extra":"node","user":"ada"}`}},
	}
	cases := map[string]func(t *testing.T, e *env){}
	for _, rec := range records {
		cases[rec.name] = func(t *testing.T, e *env) {
			ctx := context.Background()
			repo := newRepo(t, e, func(o *dynamosession.Options[sameView]) { o.Codec = rec.codec })
			id := newID(t) // the cases run in parallel in one table
			key := repo.Options().Prefix + id
			e.putRaw(t, map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: key},
				"sess":    rec.sess,
				"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10)},
			})
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			e.reset()
			if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
				t.Fatalf("Save of a session only read = %v after %d requests, want nil after 0", err, e.count(""))
			}
			s.Data.Visits++
			if err := repo.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
			}
			got, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := sameView{User: "ada", Seen: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), Visits: 4, Lines: []sameLine{{SKU: "A"}}}
			if diff := cmp.Diff(want, got.Data); diff != "" {
				t.Errorf("read back mismatch (-want +got):\n%s", diff)
			}
			stored := nodeView(t, e.raw(t, key)["sess"])
			if stored["extra"] != "node" || stored["lines"].([]any)[0].(map[string]any)["note"] != "node" {
				t.Errorf("stored %v, want the unknown fields extra and lines[0].note kept", stored)
			}
		}
	}
	onBackends(t, cases)
}

// TestSaveComparesCompressedPayloads: a compressed session is compared by
// its payload, kept uncompressed from the read (or the Put, or the last
// Save), so Save decompresses nothing. A record whose envelope has other
// bytes than this codec would write (stored uncompressed below another
// threshold, compressed where this codec stores, compressed at another
// zstd level) but the same data is not written by a request that only
// read it; a change is written, read back, and the next Save of the
// unchanged session sends nothing again.
func TestSaveComparesCompressedPayloads(t *testing.T) {
	data := sameView{User: "ada", Seen: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), Visits: 3, Lines: []sameLine{{SKU: "A"}}}
	inner, err := codec.Msgpack[sameView]().Marshal(&data)
	if err != nil {
		t.Fatal(err)
	}
	zstdAt := func(level zstd.EncoderLevel) []byte {
		enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level))
		if err != nil {
			t.Fatal(err)
		}
		defer enc.Close()
		return enc.EncodeAll(inner, []byte("\xc1zmz"))
	}
	envelope := func(c codec.Binary[sameView]) []byte {
		b, err := c.Marshal(&data)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	always := func(o *codec.CompressOptions) { o.Threshold = 0 }
	never := func(o *codec.CompressOptions) { o.Threshold = 1 << 20 }
	records := []struct {
		name   string
		codec  codec.Codec[sameView]
		stored []byte
	}{
		{"stored, codec compresses", codec.Compressed(codec.Msgpack[sameView](), always), envelope(codec.Compressed(codec.Msgpack[sameView](), never))},
		{"compressed, codec stores", codec.Compressed(codec.Msgpack[sameView](), never), envelope(codec.Compressed(codec.Msgpack[sameView](), always))},
		{"compressed at another level", codec.Compressed(codec.Msgpack[sameView](), always), zstdAt(zstd.SpeedBestCompression)},
		{"as this codec writes", codec.Compressed(codec.Msgpack[sameView]()), envelope(codec.Compressed(codec.Msgpack[sameView]()))},
	}
	cases := map[string]func(t *testing.T, e *env){}
	for _, rec := range records {
		cases[rec.name] = func(t *testing.T, e *env) {
			ctx := context.Background()
			repo := newRepo(t, e, func(o *dynamosession.Options[sameView]) { o.Codec = rec.codec })
			id := newID(t) // the cases run in parallel in one table
			key := repo.Options().Prefix + id
			e.putRaw(t, map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: key},
				"sess":    &types.AttributeValueMemberB{Value: rec.stored},
				"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10)},
			})
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			e.reset()
			if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
				t.Fatalf("Save of a session only read = %v after %d requests, want nil after 0", err, e.count(""))
			}
			s.Data.Visits++
			if err := repo.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
			}
			if err := repo.Save(ctx, s); err != nil || e.count("") != 1 {
				t.Fatalf("Save of the saved session = %v after %d requests, want nil after 1 (the first Save's)", err, e.count(""))
			}
			got, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := data
			want.Visits = 4
			if diff := cmp.Diff(want, got.Data); diff != "" {
				t.Errorf("read back mismatch (-want +got):\n%s", diff)
			}
		}
	}
	cases["a session from Put"] = func(t *testing.T, e *env) {
		ctx := context.Background()
		repo := newRepo(t, e, func(o *dynamosession.Options[sameView]) {
			o.Codec = codec.Compressed(codec.Msgpack[sameView](), always)
		})
		s, err := repo.Put(ctx, newID(t), data)
		if err != nil {
			t.Fatal(err)
		}
		e.reset()
		if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
			t.Fatalf("Save of a session only put = %v after %d requests, want nil after 0", err, e.count(""))
		}
		s.Data.Lines = append(s.Data.Lines, sameLine{SKU: "B"})
		if err := repo.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
			t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
		}
		got, err := repo.Get(ctx, s.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(s.Data, got.Data); diff != "" {
			t.Errorf("read back mismatch (-want +got):\n%s", diff)
		}
	}
	onBackends(t, cases)
}

// TestSaveJSONKeysEqualIgnoringCase: encoding/json reads a member whose key
// equals a field's name ignoring case (Unicode simple folding: "USER",
// "ſeen") into that field, the last such member winning. A connect-dynamodb
// record holding two such keys, the field's own name last, is not written
// by a request that only read it: comparing the differing members alone
// would decode the other spelling without the member that overrides it.
func TestSaveJSONKeysEqualIgnoringCase(t *testing.T) {
	records := []struct{ name, text string }{
		{"upper case first", `{"USER":"bob","user":"ada","seen":"2026-11-21T12:00:00Z","visits":3,"lines":[]}`},
		{"folded rune first", `{"user":"ada","ſeen":"2020-01-01T00:00:00Z","seen":"2026-11-21T12:00:00Z","visits":3,"lines":[]}`},
		{"field's own spelling last, others around", `{"Visits":9,"user":"ada","seen":"2026-11-21T12:00:00Z","VISITS":8,"lines":[],"visits":3,"extra":"node"}`},
		{"among many members", `{"USER":"bob",` + manyMembers(40) + `"user":"ada","seen":"2026-11-21T12:00:00Z","visits":3,"lines":[]}`},
	}
	cases := map[string]func(t *testing.T, e *env){}
	for _, rec := range records {
		cases[rec.name] = func(t *testing.T, e *env) {
			ctx := context.Background()
			repo := newRepo(t, e, func(o *dynamosession.Options[sameView]) { o.Codec = codec.JSON[sameView]() })
			id := newID(t) // the cases run in parallel in one table
			key := repo.Options().Prefix + id
			e.putRaw(t, map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: key},
				"sess":    &types.AttributeValueMemberS{Value: rec.text},
				"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10)},
			})
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want := sameView{User: "ada", Seen: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), Visits: 3, Lines: []sameLine{}}
			if diff := cmp.Diff(want, s.Data); diff != "" {
				t.Fatalf("read mismatch (-want +got):\n%s", diff)
			}
			e.reset()
			if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
				t.Fatalf("Save of a session only read = %v after %d requests, want nil after 0", err, e.count(""))
			}
			if diff := cmp.Diff(rec.text, e.raw(t, key)["sess"].(*types.AttributeValueMemberS).Value); diff != "" {
				t.Errorf("stored text mismatch (-want +got):\n%s", diff)
			}
			s.Data.Visits++
			if err := repo.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
			}
			got, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			want.Visits = 4
			if diff := cmp.Diff(want, got.Data); diff != "" {
				t.Errorf("read back mismatch (-want +got):\n%s", diff)
			}
		}
	}
	onBackends(t, cases)
}

// manyMembers returns n members named n0, n1, ..., each followed by a comma.
func manyMembers(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `"n%d":%d,`, i, i)
	}
	return b.String()
}

// TestSaveThroughAnotherRepository: the payload a session keeps from a
// read is in the inner format of the repository that read it. Saved
// through a repository whose compressed codec wraps another inner format,
// a change is written even when the two payloads have the same bytes: the
// JSON text 5 is the MessagePack encoding of 53.
func TestSaveThroughAnotherRepository(t *testing.T) {
	never := func(o *codec.CompressOptions) { o.Threshold = 1 << 20 }
	cases := map[string]func(t *testing.T, e *env){}
	for _, from := range []string{"get", "put", "save"} {
		cases["session from "+from] = func(t *testing.T, e *env) {
			ctx := context.Background()
			byJSON := newRepo(t, e, func(o *dynamosession.Options[int]) { o.Codec = codec.Compressed(codec.JSON[int](), never) })
			byMsgpack := newRepo(t, e, func(o *dynamosession.Options[int]) { o.Codec = codec.Compressed(codec.Msgpack[int]()) })
			s, err := byJSON.Put(ctx, newID(t), 4)
			if err != nil {
				t.Fatal(err)
			}
			switch from {
			case "get":
				must(t, byJSON.Save(ctx, func() *dynamosession.Session[int] { s.Data = 5; return s }()))
				if s, err = byJSON.Get(ctx, s.ID); err != nil {
					t.Fatal(err)
				}
			case "put":
				if s, err = byJSON.Put(ctx, s.ID, 5); err != nil {
					t.Fatal(err)
				}
			case "save":
				s.Data = 5
				must(t, byJSON.Save(ctx, s))
			}
			s.Data = 53
			e.reset()
			if err := byMsgpack.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
			}
			for _, r := range []*dynamosession.Repo[int]{byJSON, byMsgpack} {
				if got, err := r.Get(ctx, s.ID); err != nil || got.Data != 53 {
					t.Errorf("read back %v, %v; want 53", got, err)
				}
			}
		}
	}
	onBackends(t, cases)
}

// TestSaveMapKeysEqualIgnoringCase: attributevalue reads a member whose
// key equals a field's name ignoring case into that field, like
// encoding/json. A Map record holding the field's name twice so, with one
// value, is not written by a request that only read it; a change is
// written and read back.
func TestSaveMapKeysEqualIgnoringCase(t *testing.T) {
	S := func(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }
	records := map[string]map[string]types.AttributeValue{
		"upper case":  {"USER": S("ada"), "user": S("ada"), "visits": &types.AttributeValueMemberN{Value: "3"}},
		"folded rune": {"user": S("ada"), "ſeen": S("2026-11-21T12:00:00Z"), "seen": S("2026-11-21T12:00:00Z"), "visits": &types.AttributeValueMemberN{Value: "3"}},
	}
	cases := map[string]func(t *testing.T, e *env){}
	for name, rec := range records {
		cases[name] = func(t *testing.T, e *env) {
			ctx := context.Background()
			repo := newRepo(t, e, func(o *dynamosession.Options[sameView]) { o.Codec = codec.Map[sameView]() })
			id := newID(t) // the cases run in parallel in one table
			key := repo.Options().Prefix + id
			e.putRaw(t, map[string]types.AttributeValue{
				"id":      S(key),
				"sess":    &types.AttributeValueMemberM{Value: rec},
				"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10)},
			})
			s, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			e.reset()
			if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
				t.Fatalf("Save of a session only read = %v after %d requests, want nil after 0", err, e.count(""))
			}
			s.Data.Visits++
			if err := repo.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
			}
			got, err := repo.Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(s.Data, got.Data); diff != "" {
				t.Errorf("read back mismatch (-want +got):\n%s", diff)
			}
		}
	}
	onBackends(t, cases)
}

// TestSaveCompressedOfAnotherInnerFormat: two repositories on one table
// whose compressed codecs wrap different inner formats (a move from JSON
// to MessagePack, rolled out process by process) read each other's
// records. A request that only read a session writes nothing, whichever
// wrote it last; a change is written and read back by both.
func TestSaveCompressedOfAnotherInnerFormat(t *testing.T) {
	onBackends(t, map[string]func(t *testing.T, e *env){"alternating": func(t *testing.T, e *env) {
		ctx := context.Background()
		byJSON := newRepo(t, e, func(o *dynamosession.Options[sameView]) { o.Codec = codec.Compressed(codec.JSON[sameView]()) })
		byMsgpack := newRepo(t, e, func(o *dynamosession.Options[sameView]) { o.Codec = codec.Compressed(codec.Msgpack[sameView]()) })
		s, err := byJSON.Put(ctx, newID(t), sameView{User: "ada", Visits: 3})
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range []*dynamosession.Repo[sameView]{byMsgpack, byJSON, byMsgpack} {
			got, err := r.Get(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			e.reset()
			if err := r.Save(ctx, got); err != nil || e.count("") != 0 {
				t.Errorf("read %d: Save of a session only read = %v after %d requests, want nil after 0", i, err, e.count(""))
			}
			got.Data.Visits++
			if err := r.Save(ctx, got); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("read %d: Save of a change = %v after %d UpdateItems, want nil after 1", i, err, e.count("UpdateItem"))
			}
		}
		for _, r := range []*dynamosession.Repo[sameView]{byJSON, byMsgpack} {
			if got, err := r.Get(ctx, s.ID); err != nil || got.Data.Visits != 6 {
				t.Errorf("read back %v, %v; want 6 visits", got, err)
			}
		}
	}})
}

// selfWritten writes itself with its members in an order that changes on
// every call: the same data as other text each time (a MarshalJSON over
// a Go map, iterated in no fixed order, does this).
type selfWritten struct{ A, B int }

var selfWrites atomic.Int64

func (s selfWritten) MarshalJSON() ([]byte, error) {
	if selfWrites.Add(1)%2 == 0 {
		return fmt.Appendf(nil, `{"A":%d,"B":%d}`, s.A, s.B), nil
	}
	return fmt.Appendf(nil, `{"B":%d,"A":%d}`, s.B, s.A), nil
}

type selfWrittenView struct {
	Visits int         `json:"visits"`
	Pair   selfWritten `json:"pair"`
}

// TestSaveOwnJSON: a JSON session this repository wrote itself (Put, or a
// Save that kept nothing of the record it read) is compared with what is
// stored by its bytes alone, with neither the member diff nor a decode.
// That holds only while what is stored is that very encoding, of a type
// whose encoding is a function of its data: a Save that put back a Node
// record's unknown fields leaves them to the next change as well, and a
// type that writes itself as other text every time is still not written
// by a Save that changed nothing.
func TestSaveOwnJSON(t *testing.T) {
	data := sameView{User: "ada", Seen: time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC), Visits: 3, Lines: []sameLine{{SKU: "A"}}}
	cases := map[string]func(t *testing.T, e *env){}
	for name, c := range map[string]codec.Codec[sameView]{
		"json":           codec.JSON[sameView](),
		"json-exclusive": codec.JSON[sameView](func(o *codec.Options) { o.Exclusive = true }),
	} {
		cases[name+": after Put"] = func(t *testing.T, e *env) {
			ctx := context.Background()
			repo := newRepo(t, e, func(o *dynamosession.Options[sameView]) { o.Codec = c })
			s, err := repo.Put(ctx, newID(t), data)
			if err != nil {
				t.Fatal(err)
			}
			saveUnchangedThenChanged(t, e, repo, s, func(d *sameView) { d.Visits++ })
			got, err := repo.Get(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(s.Data, got.Data); diff != "" {
				t.Errorf("read back mismatch (-want +got):\n%s", diff)
			}
		}
		cases[name+": unknown fields through two changes"] = func(t *testing.T, e *env) {
			ctx := context.Background()
			repo := newRepo(t, e, func(o *dynamosession.Options[sameView]) { o.Codec = c })
			s, key := readStored(t, e, repo, &types.AttributeValueMemberS{Value: `{"user":"ada","seen":"2026-11-21T12:00:00Z","visits":3,"lines":[{"sku":"A","note":"node"}],"extra":"node"}`})
			for i := range 2 {
				e.reset()
				s.Data.Visits++
				if err := repo.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
					t.Fatalf("Save %d of a change = %v after %d UpdateItems, want nil after 1", i, err, e.count("UpdateItem"))
				}
				stored := nodeView(t, e.raw(t, key)["sess"])
				if stored["extra"] != "node" || stored["lines"].([]any)[0].(map[string]any)["note"] != "node" {
					t.Errorf("after Save %d: stored %v, want the unknown fields extra and lines[0].note kept", i, stored)
				}
			}
		}
	}
	cases["a type that writes itself"] = func(t *testing.T, e *env) {
		ctx := context.Background()
		repo := newRepo(t, e, func(o *dynamosession.Options[selfWrittenView]) { o.Codec = codec.JSON[selfWrittenView]() })
		s, err := repo.Put(ctx, newID(t), selfWrittenView{Visits: 1, Pair: selfWritten{A: 1, B: 2}})
		if err != nil {
			t.Fatal(err)
		}
		saveUnchangedThenChanged(t, e, repo, s, func(d *selfWrittenView) { d.Visits++ })
	}
	onBackends(t, cases)
}

// saveUnchangedThenChanged saves s twice over: unchanged, which must send
// nothing, then after change, which must send one UpdateItem.
func saveUnchangedThenChanged[T any](t *testing.T, e *env, repo *dynamosession.Repo[T], s *dynamosession.Session[T], change func(*T)) {
	t.Helper()
	ctx := context.Background()
	for i := range 2 {
		e.reset()
		if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
			t.Fatalf("Save %d of a session unchanged = %v after %d requests, want nil after 0", i, err, e.count(""))
		}
		change(&s.Data)
		if err := repo.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
			t.Fatalf("Save %d of a change = %v after %d UpdateItems, want nil after 1", i, err, e.count("UpdateItem"))
		}
	}
}

// TestSaveJSONInStep: a stored JSON object with the members of the
// fresh encoding, in its order, is compared member by member in step
// (jsonscan.PairMembers). A record as this code writes it, or with other
// white space and a time spelled otherwise, is not written by a request
// that only read it (Exclusive promises that other text is other data,
// so only this code's own text counts there); a change is written and
// read back, and a field T does not declare inside a member the change
// touches stays, through two changes.
func TestSaveJSONInStep(t *testing.T) {
	const ours = `{"user":"ada","seen":"2026-11-21T12:00:00Z","visits":3,"lines":[{"sku":"A"}]}`
	const noted = `{"user":"ada","seen":"2026-11-21T12:00:00Z","visits":3,"lines":[{"sku":"A","note":"node"}]}`
	records := []struct {
		name, text string
		exclusive  bool
	}{
		{"as this code writes", ours, false},
		{"as this code writes, exclusive", ours, true},
		{"white space, a time spelled otherwise", `{"user" : "ada","seen":"2026-11-21T12:00:00.000Z","visits":3 ,"lines":[ {"sku":"A"} ]}`, false},
		{"an unknown field in a list element", noted, false},
		{"an unknown field in a list element, exclusive", noted, true},
	}
	cases := map[string]func(t *testing.T, e *env){}
	for _, rec := range records {
		cases[rec.name] = func(t *testing.T, e *env) {
			ctx := context.Background()
			c := codec.JSON[sameView]()
			if rec.exclusive {
				c = codec.JSON[sameView](func(o *codec.Options) { o.Exclusive = true })
			}
			repo := newRepo(t, e, func(o *dynamosession.Options[sameView]) { o.Codec = c })
			s, key := readStored(t, e, repo, &types.AttributeValueMemberS{Value: rec.text})
			e.reset()
			if !rec.exclusive || rec.text == ours {
				if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
					t.Fatalf("Save of a session only read = %v after %d requests, want nil after 0", err, e.count(""))
				}
			}
			for i := range 2 {
				read := *s // each change from the session as read, as a request makes it
				read.Data.Visits += 1 + i
				e.reset()
				if err := repo.Save(ctx, &read); err != nil || e.count("UpdateItem") != 1 {
					t.Fatalf("Save %d of a change = %v after %d UpdateItems, want nil after 1", i, err, e.count("UpdateItem"))
				}
				got, err := repo.Get(ctx, s.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(read.Data, got.Data); diff != "" {
					t.Errorf("read back mismatch (-want +got):\n%s", diff)
				}
				stored := nodeView(t, e.raw(t, key)["sess"])
				if note := strings.Contains(rec.text, `"note"`); note && stored["lines"].([]any)[0].(map[string]any)["note"] != "node" {
					t.Errorf("after Save %d: stored %v, want the unknown field lines[0].note kept", i, stored)
				}
				s = got
			}
		}
	}
	onBackends(t, cases)
}

// readStored stores sess under a new ID as another program would, with
// an expiry an hour away, and returns the session repo reads from it and
// the stored key.
func readStored[T any](t *testing.T, e *env, repo *dynamosession.Repo[T], sess types.AttributeValue) (*dynamosession.Session[T], string) {
	t.Helper()
	id := newID(t) // cases run in parallel in one table
	key := repo.Options().Prefix + id
	e.putRaw(t, map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: key},
		"sess":    sess,
		"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(e.clock.Now().Add(time.Hour).Unix(), 10)},
	})
	s, err := repo.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s, key
}
