package dynamosession_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
	"github.com/dynamosession/dynamosession/internal/wire"
	"github.com/dynamosession/dynamosession/ttl"
)

// fuzzNow is the fuzz targets' clock; fuzzFuture and fuzzPast are expiries
// on either side of it.
var (
	fuzzNow    = time.Unix(1_800_000_000, 0)
	fuzzFuture = fmt.Sprint(fuzzNow.Add(time.Hour).Unix())
	fuzzPast   = fmt.Sprint(fuzzNow.Add(-time.Hour).Unix())
)

// fuzzKey is the sealed codec's key in the fuzz target: fixed, so that
// sealed seeds stay openable.
var fuzzKey = func() codec.Key {
	sum := sha256.Sum256([]byte("dynamosession FuzzGet key"))
	return codec.Key{ID: "fuzz", Secret: sum[:]}
}()

// FuzzGet stores an arbitrary item under a session's key and reads it with
// Get, then, if that worked, touches and saves it and reads it again. The
// item is the fuzz input read as DynamoDB JSON when it parses as such, and
// otherwise built from the input bytes (any attribute type for sess,
// expires, version, type and one more attribute). It goes in through
// PutItem, so it is an item DynamoDB itself would store. config picks the
// session type, the codec (bits 2 and 3, or with bit 5 the compressed
// codec), versioning and RewriteOnRead.
//
// What must hold, whatever is stored:
//   - nothing panics;
//   - Get allocates no more than getAllocBound allows for the item's size
//     (codecs.MsgpackAllocBound, and what a compressed envelope and the
//     repository itself add);
//   - Get returns a session, ErrNotFound (ErrExpired included) or a
//     *DecodeError, and after a failed Get the record is unchanged;
//   - after a successful Get, Touch does not fail, and Save either
//     succeeds or fails with a named error (an encode error, ErrItemTooLarge)
//     leaving the record as it was;
//   - what Save wrote, Get reads.
func FuzzGet(f *testing.F) {
	for _, seed := range fuzzGetSeeds(f) {
		f.Add(seed.config, seed.data)
	}
	f.Fuzz(func(t *testing.T, config byte, data []byte) {
		item := fuzzItem(data)
		if config&1 == 0 {
			fuzzGetOne(t, config, item, func(c *cart) { c.Count++ }, func(c cart) bool { return c.Count != 0 })
		} else {
			fuzzGetOne(t, config, item,
				func(m *map[string]any) {
					if *m == nil {
						*m = map[string]any{}
					}
					(*m)["fuzzed"] = "yes"
				},
				func(m map[string]any) bool { return m["fuzzed"] == "yes" })
		}
	})
}

func fuzzGetOne[T any](t *testing.T, config byte, item map[string]types.AttributeValue, change func(*T), changed func(T) bool) {
	ctx := context.Background()
	db := fake.New()
	if err := createSessions(db); err != nil {
		t.Fatal(err)
	}
	const id, key = "fuzz", "session#fuzz"
	item["id"] = &types.AttributeValueMemberS{Value: key}
	if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: ptr("sessions"), Item: item}); err != nil {
		return // not an item DynamoDB stores
	}
	keys, err := codec.NewKeyring(fuzzKey)
	if err != nil {
		t.Fatal(err)
	}
	codecs := []codec.Codec[T]{codec.Map[T](), codec.JSON[T](), codec.Msgpack[T](), codec.Sealed[T](codec.Msgpack[T](), keys)}
	repo, err := dynamosession.New[T](db, "sessions", func(o *dynamosession.Options[T]) {
		o.Versioned = config&2 != 0
		o.Codec = codecs[config>>2&3]
		if config&32 != 0 {
			// The compressed codec keeps the payload its Get decoded and
			// compares Save's with it (session.go's payloadCodec).
			o.Codec = codec.Compressed(codec.Msgpack[T]())
		}
		o.RewriteOnRead = config&16 != 0
		o.Touch = ttl.TouchAfter(0)
		o.Clock = func() time.Time { return fuzzNow }
	})
	if err != nil {
		t.Fatal(err)
	}
	before := faultStored(db, key)
	warmGet[T](t)

	var s *dynamosession.Session[T]
	allocated := allocatedBy(func() { s, err = repo.Get(ctx, id) })
	if bound := getAllocBound[T](before); allocated > bound {
		t.Fatalf("Get of a %d-byte item allocated %d bytes, bound %d (err %v)\nrecord %s", capacity.ItemSize(before), allocated, bound, err, fuzzDump(before))
	}
	if err != nil {
		var de *dynamosession.DecodeError
		if !errors.Is(err, dynamosession.ErrNotFound) && !errors.As(err, &de) {
			t.Fatalf("Get = %v (%T), want ErrNotFound, ErrExpired or a *DecodeError", err, err)
		}
		if after := faultStored(db, key); !reflect.DeepEqual(before, after) {
			t.Fatalf("a failed Get (%v) changed the record:\nbefore %s\nafter  %s", err, fuzzDump(before), fuzzDump(after))
		}
		return
	}

	if _, err := repo.Touch(ctx, s); err != nil {
		t.Fatalf("Touch after a successful Get = %v\nrecord %s", err, fuzzDump(before))
	}
	before = faultStored(db, key)
	change(&s.Data)
	if err := repo.Save(ctx, s); err != nil {
		// An encode error is the only one whose message says "cannot
		// encode as"; it wraps the codec's error.
		if !strings.Contains(err.Error(), ": cannot encode as ") && !errors.Is(err, dynamosession.ErrItemTooLarge) {
			t.Fatalf("Save after a successful Get = %v (%T), want success or a named error\nrecord %s", err, err, fuzzDump(before))
		}
		if after := faultStored(db, key); !reflect.DeepEqual(before, after) {
			t.Fatalf("a failed Save (%v) changed the record:\nbefore %s\nafter  %s", err, fuzzDump(before), fuzzDump(after))
		}
		return
	}
	got, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatalf("Get of what Save wrote = %v\nwritten %s", err, fuzzDump(faultStored(db, key)))
	}
	if !changed(got.Data) {
		t.Fatalf("Save did not keep the change; stored %s", fuzzDump(faultStored(db, key)))
	}
}

// allocatedBy returns the bytes f allocated on the heap. Tests that use it
// do not run in parallel.
func allocatedBy(f func()) int64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int64(after.TotalAlloc - before.TotalAlloc)
}

// getOverhead is what a Get may allocate beside decoding: the request,
// the fake's copy of the item, the session, an error message, and with
// RewriteOnRead the encoding and the write of the record.
const getOverhead = 64 << 10

// getAllocBound is the most a Get of item may allocate into a T: the
// MessagePack bound for the item's size, and for a compressed envelope in
// sess the most its decompression costs (codec package doc) and the bound
// for what it decompresses to, plus getOverhead three times. The JSON and
// Map decoders are held to the same bound: they preallocate from no
// header (their input is text, or values the SDK has already built), and
// this target has not found an item they exceed it with.
func getAllocBound[T any](item map[string]types.AttributeValue) int64 {
	n := capacity.ItemSize(item)
	var extra int64
	if b, ok := item["sess"].(*types.AttributeValueMemberB); ok && codecs.Detect(b) == codec.FormatCompressed {
		n += wire.MaxDecompressedBytes
		extra = 2*wire.MaxDecompressedBytes + 64<<10
	}
	return codecs.MsgpackAllocBound[T](n) + extra + 3*getOverhead
}

var warmed sync.Map // reflect.Type -> bool

// warmGet runs one Get of a valid record in each format into a T, once per
// process, so that the library's per-type tables (vmihailenco/msgpack's,
// attributevalue's, encoding/json's) are built before a Get is measured.
func warmGet[T any](t *testing.T) {
	if _, done := warmed.LoadOrStore(reflect.TypeFor[T](), true); done {
		return
	}
	ctx := context.Background()
	db := fake.New()
	if err := createSessions(db); err != nil {
		t.Fatal(err)
	}
	keys, err := codec.NewKeyring(fuzzKey)
	if err != nil {
		t.Fatal(err)
	}
	var v T
	for i, c := range []codec.Codec[T]{codec.Map[T](), codec.JSON[T](), codec.Msgpack[T](), codec.Sealed[T](codec.Msgpack[T](), keys), codec.Compressed[T](codec.Msgpack[T]())} {
		repo, err := dynamosession.New[T](db, "sessions", func(o *dynamosession.Options[T]) {
			o.Codec = c
			o.Clock = func() time.Time { return fuzzNow }
		})
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprint("warm", i)
		if _, err := repo.Put(ctx, id, v); err != nil {
			t.Fatal(err)
		}
		if _, err := repo.Get(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
}

// withInts is a session with a slice of a type other than string:
// vmihailenco/msgpack limits the preallocation of []string (to a million
// elements) but not of other slices.
type withInts struct {
	User  string `json:"user"`
	Items []int  `json:"items"`
}

// TestGetLengthHeaderRecord is issue 12's first case as a user meets it:
// a 12-byte MessagePack record whose "items" claims 2^32-1 elements, read
// by Get into a struct with a slice field, ended the process with "fatal
// error: out of memory" (run the code before the fix under `prlimit
// --as=4000000000` to see it). The same record compressed and sealed
// too. Get must report a *DecodeError wrapping codec.ErrMalformedMsgpack,
// leave the record as it was, and allocate within getAllocBound.
func TestGetLengthHeaderRecord(t *testing.T) {
	record := []byte("\x81\xa5items\xdd\xff\xff\xff\xff")
	keys, err := codec.NewKeyring(fuzzKey)
	if err != nil {
		t.Fatal(err)
	}
	sealed := codec.Sealed[rawBytes](rawBytesCodec{}, keys)
	seal := func(b []byte) []byte {
		av, err := sealed.Encode("session#abc", (*rawBytes)(&b))
		if err != nil {
			t.Fatal(err)
		}
		return av.(*types.AttributeValueMemberB).Value
	}
	compressed := append([]byte("\xc1zmn"), record...)
	tests := []struct {
		name  string
		sess  []byte
		codec codec.Codec[withInts]
	}{
		{"msgpack", record, codec.Msgpack[withInts]()},
		{"msgpack, read by a Map repository", record, codec.Map[withInts]()},
		{"compressed", compressed, codec.Compressed[withInts](codec.Msgpack[withInts]())},
		{"sealed", seal(record), codec.Sealed[withInts](codec.Msgpack[withInts](), keys)},
		{"sealed around compressed", seal(compressed), codec.Sealed[withInts](codec.Compressed[withInts](codec.Msgpack[withInts]()), keys)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db := fake.New()
			if err := createSessions(db); err != nil {
				t.Fatal(err)
			}
			item := map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "session#abc"},
				"sess":    &types.AttributeValueMemberB{Value: tt.sess},
				"expires": &types.AttributeValueMemberN{Value: fuzzFuture},
			}
			if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: ptr("sessions"), Item: item}); err != nil {
				t.Fatal(err)
			}
			repo, err := dynamosession.New[withInts](db, "sessions", func(o *dynamosession.Options[withInts]) {
				o.Codec = tt.codec
				o.RewriteOnRead = true
				o.Clock = func() time.Time { return fuzzNow }
			})
			if err != nil {
				t.Fatal(err)
			}
			warmGet[withInts](t)
			got := allocatedBy(func() { _, err = repo.Get(ctx, "abc") })
			var de *dynamosession.DecodeError
			if !errors.As(err, &de) || !errors.Is(err, codec.ErrMalformedMsgpack) {
				t.Errorf("Get = %v, want a *DecodeError wrapping codec.ErrMalformedMsgpack", err)
			}
			if bound := getAllocBound[withInts](item); got > bound {
				t.Errorf("Get allocated %d bytes, bound %d", got, bound)
			}
			stored := faultStored(db, "session#abc")["sess"].(*types.AttributeValueMemberB).Value
			if !bytes.Equal(stored, tt.sess) {
				t.Errorf("the record changed: %x, was %x", stored, tt.sess)
			}
		})
	}
}

// rawBytes is a session that is its own bytes, sealed as they are by
// rawBytesCodec, to plant sealed records of any content.
type rawBytes []byte

type rawBytesCodec struct{}

func (rawBytesCodec) Format() codec.Format                  { return "raw" }
func (rawBytesCodec) Marshal(v *rawBytes) ([]byte, error)   { return bytes.Clone(*v), nil }
func (rawBytesCodec) Unmarshal(b []byte, v *rawBytes) error { *v = bytes.Clone(b); return nil }
func (c rawBytesCodec) Encode(_ string, v *rawBytes) (types.AttributeValue, error) {
	return &types.AttributeValueMemberB{Value: *v}, nil
}
func (c rawBytesCodec) Decode(_ string, av types.AttributeValue, v *rawBytes) error {
	return c.Unmarshal(av.(*types.AttributeValueMemberB).Value, v)
}

// fuzzDump shows an item in DynamoDB JSON for failure messages.
func fuzzDump(item map[string]types.AttributeValue) string {
	b, err := ddbjson.MarshalItem(item)
	if err != nil {
		return fmt.Sprintf("%#v", item)
	}
	return string(b)
}

// fuzzItem reads data as an item in DynamoDB JSON, or builds one from its
// bytes when it is not.
func fuzzItem(data []byte) map[string]types.AttributeValue {
	if item, err := ddbjson.UnmarshalItem(data); err == nil {
		return item
	}
	r := &fuzzBytes{b: data}
	item := map[string]types.AttributeValue{}
	for _, name := range []string{"sess", "expires", "version", "type", "other"} {
		if v := r.value(0); v != nil {
			item[name] = v
		}
	}
	return item
}

// fuzzBytes turns fuzz input into attribute values, one decision per byte;
// past the end of the input every byte reads as zero.
type fuzzBytes struct{ b []byte }

func (r *fuzzBytes) next() byte {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *fuzzBytes) take(n int) []byte {
	n = min(n, len(r.b))
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

// fuzzNumbers are numbers at the edges of what the repository parses:
// expiries in each stored form and around now, DynamoDB's extremes, and
// versions that are not counters.
var fuzzNumbers = []string{
	"0", "1", "-1", "2", "1.5", "0.1", fuzzFuture, fuzzPast, fuzzFuture + ".25", fuzzFuture + "250",
	"100000000000", "99999999999", "1E+125", "9.9999999999999999999999999999999999999E+125", "-1E-130",
	"1E-130", "99999999999999999999999999999999999999", "9223372036854775807", "9223372036854775808",
}

// fuzzNames are attribute and field names the codecs look for.
var fuzzNames = []string{"user", "items", "count", "meta", "blob", "cookie", "lastModified", "", "x"}

func (r *fuzzBytes) value(depth int) types.AttributeValue {
	kind := r.next() % 12
	if depth > 3 && kind >= 8 {
		kind %= 8 // documents nest at most four deep
	}
	switch kind {
	case 0:
		return nil
	case 1:
		return &types.AttributeValueMemberS{Value: string(r.take(int(r.next() % 24)))}
	case 2:
		return &types.AttributeValueMemberN{Value: fuzzNumbers[int(r.next())%len(fuzzNumbers)]}
	case 3:
		digits := r.take(1 + int(r.next()%40))
		n := make([]byte, len(digits))
		for i, d := range digits {
			n[i] = '0' + d%10
		}
		if len(n) > 2 && digits[0]&1 == 1 {
			n[len(n)/2] = '.'
		}
		return &types.AttributeValueMemberN{Value: string(n)}
	case 4:
		return &types.AttributeValueMemberB{Value: r.take(int(r.next() % 32))}
	case 5:
		return &types.AttributeValueMemberBOOL{Value: r.next()&1 == 1}
	case 6:
		return &types.AttributeValueMemberNULL{Value: true}
	case 7:
		// JSON text built from the bytes, mostly well formed.
		var sb strings.Builder
		sb.WriteString("{")
		for i := range int(r.next() % 4) {
			if i > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, "%q:", fuzzNames[int(r.next())%len(fuzzNames)])
			switch r.next() % 5 {
			case 0:
				fmt.Fprintf(&sb, "%q", r.take(int(r.next()%8)))
			case 1:
				sb.WriteString(fuzzNumbers[int(r.next())%len(fuzzNumbers)])
			case 2:
				sb.WriteString(`["a",1,null]`)
			case 3:
				sb.WriteString(`{"k":true}`)
			default:
				sb.Write(r.take(int(r.next() % 6)))
			}
		}
		sb.WriteString("}")
		return &types.AttributeValueMemberS{Value: sb.String()}
	case 8:
		m := map[string]types.AttributeValue{}
		for range int(r.next() % 6) {
			if v := r.value(depth + 1); v != nil {
				m[fuzzNames[int(r.next())%len(fuzzNames)]] = v
			}
		}
		return &types.AttributeValueMemberM{Value: m}
	case 9:
		var l []types.AttributeValue
		for range int(r.next() % 6) {
			if v := r.value(depth + 1); v != nil {
				l = append(l, v)
			}
		}
		return &types.AttributeValueMemberL{Value: l}
	case 10:
		n := 1 + int(r.next()%3)
		switch r.next() % 3 {
		case 0:
			ss := make([]string, n)
			for i := range ss {
				ss[i] = string(r.take(int(r.next() % 8)))
			}
			return &types.AttributeValueMemberSS{Value: ss}
		case 1:
			ns := make([]string, n)
			for i := range ns {
				ns[i] = fuzzNumbers[int(r.next())%len(fuzzNumbers)]
			}
			return &types.AttributeValueMemberNS{Value: ns}
		default:
			bs := make([][]byte, n)
			for i := range bs {
				bs[i] = r.take(int(r.next() % 8))
			}
			return &types.AttributeValueMemberBS{Value: bs}
		}
	default:
		// MessagePack of a small map, as the Msgpack codec writes, with
		// values from the bytes.
		m := map[string]any{}
		for range int(r.next() % 4) {
			m[fuzzNames[int(r.next())%len(fuzzNames)]] = string(r.take(int(r.next() % 8)))
		}
		b, _ := codec.Msgpack[map[string]any]().Marshal(&m)
		return &types.AttributeValueMemberB{Value: b}
	}
}

type fuzzSeed struct {
	config byte
	data   []byte
}

// fuzzGetSeeds returns seeds beyond the checked-in corpus: the records the
// Node.js stores wrote in codec/testdata/fixtures, and a record this
// library writes in each format, each under every configuration's codec.
func fuzzGetSeeds(tb testing.TB) []fuzzSeed {
	var seeds []fuzzSeed
	files, _ := filepath.Glob(filepath.Join("codec", "testdata", "fixtures", "*.json"))
	for _, file := range files {
		if strings.HasSuffix(file, ".meta.json") {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		for _, config := range []byte{0, 1, 4, 5, 9} {
			seeds = append(seeds, fuzzSeed{config, data})
		}
	}
	keys, err := codec.NewKeyring(fuzzKey)
	if err != nil {
		tb.Fatal(err)
	}
	c := cart{User: "ada", Items: []string{"book"}, Count: 2, Meta: map[string]any{"k": "v"}, Blob: []byte{1, 2}}
	for _, cd := range []codec.Codec[cart]{codec.Map[cart](), codec.JSON[cart](), codec.Msgpack[cart](), codec.Sealed[cart](codec.Msgpack[cart](), keys), codec.Compressed(codec.Msgpack[cart]()), codec.Compressed(codec.Msgpack[cart](), func(o *codec.CompressOptions) { o.Threshold = 0 })} {
		av, err := cd.Encode("session#fuzz", &c)
		if err != nil {
			tb.Fatal(err)
		}
		item := map[string]types.AttributeValue{
			"sess":    av,
			"expires": &types.AttributeValueMemberN{Value: fuzzFuture},
			"version": &types.AttributeValueMemberN{Value: "3"},
		}
		data, err := ddbjson.MarshalItem(item)
		if err != nil {
			tb.Fatal(err)
		}
		for _, config := range []byte{0, 2, 4, 8, 12, 13, 14, 18, 32, 34, 48} {
			seeds = append(seeds, fuzzSeed{config, data})
		}
	}
	// Issue 12: length headers that claim more than follows, plain,
	// compressed and sealed.
	const u32 = "\xff\xff\xff\xff"
	for _, mp := range []string{"\x81\xa5items\xdd" + u32, "\x81\xa4meta\xdf" + u32, "\x81\xa4blob\xc6" + u32, "\xdd" + u32} {
		raw := rawBytes(mp)
		sealedMp, err := codec.Sealed[rawBytes](rawBytesCodec{}, keys).Encode("session#fuzz", &raw)
		if err != nil {
			tb.Fatal(err)
		}
		for _, sess := range []types.AttributeValue{
			&types.AttributeValueMemberB{Value: []byte(mp)},
			&types.AttributeValueMemberB{Value: []byte("\xc1zmn" + mp)},
			sealedMp,
		} {
			data, err := ddbjson.MarshalItem(map[string]types.AttributeValue{"sess": sess, "expires": &types.AttributeValueMemberN{Value: fuzzFuture}})
			if err != nil {
				tb.Fatal(err)
			}
			for _, config := range []byte{0, 1, 8, 9, 12, 13, 24} {
				seeds = append(seeds, fuzzSeed{config, data})
			}
		}
	}
	return seeds
}
