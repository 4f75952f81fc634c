package codec_test

import (
	"bytes"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/klauspost/compress/zstd"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/wire"
)

// The tests and fuzz targets in this file measure what a decode allocates
// (runtime.MemStats.TotalAlloc before and after one call) against
// codecs.MsgpackAllocBound. They must not run beside other tests: none of
// them calls t.Parallel.

// allocatedBy returns the bytes f allocated on the heap.
func allocatedBy(f func()) int64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int64(after.TotalAlloc - before.TotalAlloc)
}

// hostile holds every kind of value a length header can make a decoder
// preallocate: slices with small and large elements, interfaces, maps
// with small and large slots, binary data, pointers, a time, and itself.
type hostile struct {
	Items  []int              `json:"items"`
	Tags   []string           `json:"tags"`
	Any    any                `json:"any"`
	List   []any              `json:"list"`
	Counts map[string]int     `json:"counts"`
	Meta   map[string]any     `json:"meta"`
	Blocks map[int][8]float64 `json:"blocks"`
	Raw    []byte             `json:"raw"`
	Cart   []item             `json:"cart"`
	Ptrs   []*nested          `json:"ptrs"`
	When   time.Time          `json:"when"`
	Kids   []hostile          `json:"kids"`
	Pad    [][16]int64        `json:"pad"`
}

func sampleHostile() hostile {
	return hostile{
		Items:  []int{1, 2, 3},
		Tags:   []string{"a", "bb"},
		Any:    map[string]any{"k": []any{1, "x", nil, 2.5}},
		List:   []any{true, int64(-7), []byte{1}, time.Unix(1_800_000_000, 5)},
		Counts: map[string]int{"a": 1, "b": 2, "c": 3},
		Meta:   map[string]any{"n": 1, "s": "v"},
		Blocks: map[int][8]float64{1: {1.5}},
		Raw:    []byte{0xC1, 0},
		Cart:   []item{{SKU: "X1", Qty: 2, EUR: 9.99}},
		Ptrs:   []*nested{{Total: 3}, nil},
		When:   time.Date(2026, 11, 21, 14, 40, 5, 123456789, time.UTC),
		Kids:   []hostile{{Tags: []string{"kid"}}},
		Pad:    [][16]int64{{1}},
	}
}

// record12 is the 12-byte record of issue 12: a map whose "items" holds
// an array32 header claiming 2^32-1 elements, and nothing after it.
var record12 = []byte("\x81\xa5items\xdd\xff\xff\xff\xff")

type withInts struct {
	Items []int `json:"items"`
}

type withStrings struct {
	Items []string `json:"items"`
}

// msgpackCase decodes data into a fresh T with the Msgpack codec.
type msgpackCase struct {
	name   string
	data   []byte
	decode func([]byte) error
	bound  func(int) int64
}

func into[T any](name string, data []byte) msgpackCase {
	return msgpackCase{
		name: name,
		data: data,
		decode: func(b []byte) error {
			var v T
			return codec.Msgpack[T]().Unmarshal(b, &v)
		},
		bound: codecs.MsgpackAllocBound[T],
	}
}

// TestMsgpackLengthHeaders is issue 12's first case and its kind: length
// headers that claim far more than the bytes that follow, into every Go
// type the decoder preallocates for. vmihailenco/msgpack v5.4.1 trusts
// them (a 12-byte record ends the process with "fatal error: out of
// memory"); run this test against the code before the fix under
// `prlimit --as=4000000000` to watch it die. Each must fail with
// ErrMalformedMsgpack, within the documented allocation bound.
func TestMsgpackLengthHeaders(t *testing.T) {
	const u32 = "\xff\xff\xff\xff"
	tests := []msgpackCase{
		into[withInts]("array32 into a []int field: the 12-byte record", record12),
		into[withStrings]("array32 into a []string field", record12),
		into[hostile]("array32 into a []item field", []byte("\x81\xa4cart\xdd"+u32)),
		into[hostile]("array32 into a [][16]int64 field", []byte("\x81\xa3pad\xdd"+u32)),
		into[[]any]("array32 into []any", []byte("\xdd"+u32)),
		into[any]("array32 into any", []byte("\xdd"+u32)),
		into[map[string]any]("map32 into map[string]any", []byte("\xdf"+u32)),
		into[map[string]int]("map32 into map[string]int", []byte("\xdf"+u32)),
		into[hostile]("map32 into a map[int][8]float64 field", []byte("\x81\xa6blocks\xdf"+u32)),
		into[any]("map32 into any", []byte("\xdf"+u32)),
		into[string]("str32 into string", []byte("\xdb"+u32)),
		into[any]("str32 into any", []byte("\xdb"+u32)),
		into[[]byte]("bin32 into []byte", []byte("\xc6"+u32)),
		into[any]("bin32 into any", []byte("\xc6"+u32)),
		into[time.Time]("ext32 into time.Time", []byte("\xc9"+u32+"\xff")),
		into[any]("ext32 into any", []byte("\xc9"+u32+"\xff")),
		into[[]item]("array16 into []item", []byte("\xdc\xff\xff")),
		into[map[string]string]("map16 into map[string]string", []byte("\xde\xff\xff")),
		into[string]("str8 past the end", []byte("\xd9\xff\xa1a")),
		into[hostile]("array32 nested four deep", []byte("\x81\xa4kids\x91\x81\xa4list\x91\x91\xdd"+u32)),
		into[hostile]("map32 as an element of []any", []byte("\x81\xa4list\x92\xc0\xdf"+u32)),
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkRefused(t, tt.decode, tt.data, tt.bound(len(tt.data)))
		})
	}
}

// checkRefused decodes data twice (the first fills the library's
// per-type tables) and checks that the second fails with
// ErrMalformedMsgpack within bound bytes of allocation.
func checkRefused(t *testing.T, decode func([]byte) error, data []byte, bound int64) {
	t.Helper()
	_ = decode(data)
	var err error
	got := allocatedBy(func() { err = decode(data) })
	if !errors.Is(err, codec.ErrMalformedMsgpack) {
		t.Errorf("decode = %v, want ErrMalformedMsgpack", err)
	}
	if got > bound {
		t.Errorf("decoding %d bytes allocated %d bytes, bound %d", len(data), got, bound)
	}
	t.Logf("%d bytes in, %d allocated (bound %d): %v", len(data), got, bound, err)
}

// Types whose decoding allocates the most per input byte: maps nested in
// maps, each level two bytes (a fixmap header and a one-byte key) that
// make the decoder allocate a whole group of 8 map slots.
type (
	nestedByArray   map[[7]int64]nestedByArray // slots of 64 bytes: the worst found
	nestedByArray15 map[[15]int64]nestedByArray15
	nestedByBytes   map[[57]byte]nestedByBytes // a slot padded from 65 to 72 bytes
)

// TestMsgpackAllocWorstCases decodes the valid inputs that allocate the
// most per byte and unit of every shape found, and checks each against
// MsgpackAllocBound. The log shows allocated bytes per input byte and
// unit: the k of the bound (8) must stay above the largest of them
// (about 5.4).
func TestMsgpackAllocWorstCases(t *testing.T) {
	rep := func(prefix, unit string, n int, tail string) []byte {
		return append(append([]byte(prefix), bytes.Repeat([]byte(unit), n)...), tail...)
	}
	measure := func(name string, data []byte, decode func([]byte) error, bound func(int) int64) {
		t.Run(name, func(t *testing.T) {
			got, err := decodeTwice(func() error { return decode(data) })
			if err != nil {
				t.Fatalf("decode = %v; the case must be valid to measure", err)
			}
			limit := bound(len(data))
			unit := (bound(1) - bound(0)) / 8
			t.Logf("%d bytes in, %d allocated: %.2f per byte and unit (unit %d)", len(data), got, float64(got)/float64(len(data))/float64(unit), unit)
			if got > limit {
				t.Errorf("allocated %d bytes, bound %d", got, limit)
			}
		})
	}
	cases := []msgpackCase{
		into[nestedByArray]("maps nested by [7]int64 keys", rep("", "\x81\x90", 250, "\x80")),
		into[nestedByArray15]("maps nested by [15]int64 keys", rep("", "\x81\x90", 250, "\x80")),
		into[nestedByBytes]("maps nested by [57]byte keys", rep("", "\x81\xc4\x00", 250, "\x80")),
		into[any]("maps nested in interfaces", rep("", "\x81\xa0", 250, "\x80")),
		into[[]map[string][16]int64]("one-entry maps of 128-byte values", rep("\xdc\x02\xbc", "\x81\xa0\xc0", 700, "")),
		into[[]any]("[]any of empty maps", rep("\xdc\x07\xd0", "\x80", 2000, "")),
		into[[]any]("[]any of one-entry maps", rep("\xdc\x02\xbc", "\x81\xa0\xc0", 700, "")),
		into[[]any]("[]any of empty arrays", rep("\xdc\x07\xd0", "\x90", 2000, "")),
		into[[]any]("[]any of empty binaries", rep("\xdc\x07\xd0", "\xc4\x00", 2000, "")),
		into[[]any]("[]any of timestamps", rep("\xdc\x07\xd0", "\xd6\xff\x00\x00\x00\x01", 2000, "")),
		into[hostile]("[][16]int64 of nils", rep("\x81\xa3pad\xdc\x07\xd0", "\xc0", 2000, "")),
		into[hostile]("[]hostile of empty maps", rep("\x81\xa4kids\xdc\x07\xd0", "\x80", 2000, "")),
		into[[]*[16]int64]("[]*[16]int64 of empty arrays", rep("\xdc\x07\xd0", "\x90", 2000, "")),
		into[[][]byte]("[][]byte of nils", rep("\xdc\x07\xd0", "\xc0", 2000, "")),
		into[[][]any]("arrays nested 256 deep", rep("", "\x91", 255, "\x90")),
	}
	for _, c := range cases {
		measure(c.name, c.data, c.decode, c.bound)
	}
}

// TestMsgpackLimits checks the rest of what the check before decoding
// refuses, and that it accepts what lies just inside each limit.
func TestMsgpackLimits(t *testing.T) {
	nest := func(n int) []byte { return append(bytes.Repeat([]byte{0x91}, n-1), 0x90) }
	ts := func(n int) []byte {
		switch n {
		case 4:
			return []byte("\xd6\xff\x00\x00\x00\x01")
		case 8:
			return append([]byte("\xd7\xff"), make([]byte, 8)...)
		case 12:
			return append([]byte("\xc7\x0c\xff"), make([]byte, 12)...)
		}
		return append([]byte("\xd8\xff"), make([]byte, 16)...)
	}
	tests := []struct {
		name    string
		data    []byte
		wantErr string // "" when the bytes are accepted
	}{
		{"nested as deep as allowed", nest(wire.MaxMsgpackDepth), ""},
		{"nested one deeper", nest(wire.MaxMsgpackDepth + 1), "nested deeper than 256"},
		{"maps nested one deeper", append(bytes.Repeat([]byte{0x81, 0xa0}, wire.MaxMsgpackDepth), 0x80), "nested deeper than 256"},
		{"timestamp of 4 bytes", ts(4), ""},
		{"timestamp of 8 bytes", ts(8), ""},
		{"timestamp of 12 bytes", ts(12), ""},
		{"timestamp of 16 bytes", ts(16), "extension type -1 of 16 bytes"},
		{"extension type 5", []byte("\xd4\x05\x00"), "extension type 5 of 1 bytes"},
		{"extension type 13 (a Node.js timestamp)", []byte("\xd6\x0d\x00\x00\x00\x01"), "extension type 13"},
		{"code 0xc1", []byte{0x91, 0xc1}, "0xc1"},
		{"bytes after the value", []byte{0x80, 0x80}, "1 bytes after the value"},
		{"empty", nil, "input ends inside a value"},
		{"truncated array", []byte{0x92, 0x91, 0x01}, "offset 3: input ends inside a value"},
		{"array promising more than remains", []byte{0x92, 0x01}, "promises 2 elements, but only 1 bytes remain"},
		{"truncated length", []byte{0xdd, 0xff}, "input ends inside a 4-byte length"},
		{"truncated extension header", []byte{0xc7, 0x04}, "input ends inside an extension header"},
		{"fixmap promising more than remains", []byte{0x8f, 0xa0, 0xc0}, "promises 30 elements, but only 2 bytes remain"},
		{"float64 cut short", []byte{0xcb, 0, 0}, "promises 8 bytes, but only 2 remain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v any
			err := codec.Msgpack[any]().Unmarshal(tt.data, &v)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("Unmarshal = %v, want success", err)
				}
				return
			}
			if !errors.Is(err, codec.ErrMalformedMsgpack) || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("Unmarshal = %v, want ErrMalformedMsgpack mentioning %q", err, tt.wantErr)
			}
		})
	}
}

// deep is a value that nests as deeply as its Next chain is long.
type deep struct {
	Next *deep `json:"n,omitempty"`
}

// TestMsgpackEncodeRefusesWhatItWouldNotRead: nothing is written that
// could not be read back.
func TestMsgpackEncodeRefusesWhatItWouldNotRead(t *testing.T) {
	chain := func(n int) *deep {
		d := &deep{}
		for range n - 1 {
			d = &deep{Next: d}
		}
		return d
	}
	c := codec.Msgpack[deep]()
	if _, err := c.Marshal(chain(wire.MaxMsgpackDepth)); err != nil {
		t.Fatalf("Marshal of %d levels = %v, want success", wire.MaxMsgpackDepth, err)
	}
	_, err := c.Encode("k", chain(wire.MaxMsgpackDepth+1))
	if !errors.Is(err, codec.ErrMalformedMsgpack) || !strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("Encode of %d levels = %v, want ErrMalformedMsgpack (nested deeper)", wire.MaxMsgpackDepth+1, err)
	}
}

// The MessagePack of record12, compressed, and sealed with the seal
// tests' keys, must be refused as it is refused plain.
func TestEnvelopedLengthHeaders(t *testing.T) {
	kr := mustKeyring(t, sealKey("k1"))
	seal := func(plain []byte) []byte {
		av, err := codec.Sealed[rawPayload](rawCodec{}, kr).Encode("session#x", &rawPayload{B: plain})
		if err != nil {
			t.Fatal(err)
		}
		return envelope(t, av)
	}
	padded := append(bytes.Clone(record12), make([]byte, 60000)...) // 60 KB of data behind the header, then trailing garbage
	stored := append([]byte("\xc1zmn"), record12...)
	zstdRec := append([]byte("\xc1zmz"), zstdOf(t, record12)...)
	zstdPadded := append([]byte("\xc1zmz"), zstdOf(t, padded)...)
	compressed := codec.Compressed[withInts](codec.Msgpack[withInts]())
	sealed := codec.Sealed[withInts](codec.Msgpack[withInts](), kr)
	sealedCompressed := codec.Sealed[withInts](compressed, kr)
	tests := []struct {
		name    string
		codec   codec.Codec[withInts]
		data    []byte
		payload int // the MessagePack bytes inside
	}{
		{"compressed, stored as is", compressed, stored, len(record12)},
		{"compressed with zstd", compressed, zstdRec, len(record12)},
		{"compressed with zstd, 60 KB behind the header", compressed, zstdPadded, len(padded)},
		{"sealed", sealed, seal(record12), len(record12)},
		{"sealed around compressed", sealedCompressed, seal(zstdRec), len(record12)},
		{"sealed around compressed, 60 KB behind the header", sealedCompressed, seal(zstdPadded), len(padded)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			decode := func(b []byte) error {
				var v withInts
				return tt.codec.Decode("session#x", &types.AttributeValueMemberB{Value: b}, &v)
			}
			checkRefused(t, decode, tt.data, envelopeBound[withInts](len(tt.data), tt.payload))
		})
	}
}

// envelopeBound is what the package doc promises for a compressed codec or a
// sealed one (around a compressed one) with the default MaxBytes.
func envelopeBound[T any](stored, payload int) int64 {
	return codecs.MsgpackAllocBound[T](payload) + compressOverhead(wire.MaxDecompressedBytes) + sealOverhead(stored)
}

func ExampleMsgpackAllocBound() {
	type session struct {
		User  string   `json:"user"`
		Items []string `json:"items"`
	}
	rec := []byte("\x81\xa5items\xdd\xff\xff\xff\xff")
	var s session
	err := codec.Msgpack[session]().Unmarshal(rec, &s)
	fmt.Println(errors.Is(err, codec.ErrMalformedMsgpack))
	fmt.Println(codecs.MsgpackAllocBound[session](len(rec)))
	// Output:
	// true
	// 22528
}

// decodeTwice decodes data with decode twice and returns what the second
// call allocated and its error: the first fills the library's per-type
// tables, which a process builds once, so a fuzz input that reaches a
// type first does not count them.
func decodeTwice(decode func() error) (int64, error) {
	_ = decode()
	var err error
	got := allocatedBy(func() { err = decode() })
	return got, err
}

// FuzzMsgpackAlloc decodes arbitrary bytes into a struct holding every
// kind of value a header can make the decoder preallocate, and into an
// interface, and checks the allocation bound of codecs.MsgpackAllocBound.
// What decodes must encode again, and two encodings of it must be
// SameData whatever order Go iterates its maps in.
func FuzzMsgpackAlloc(f *testing.F) {
	h := sampleHostile()
	b, err := codec.Msgpack[hostile]().Marshal(&h)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(record12)
	f.Add([]byte("\x81\xa4kids\x91\x81\xa4list\x91\x91\xdd\xff\xff\xff\xff"))
	f.Add([]byte("\x81\xa6blocks\x87\x01\xc0\x02\xc0\x03\xc0\x04\xc0\x05\xc0\x06\xc0\x07\xc0"))
	f.Add([]byte("\x81\xa4meta\x81\xa0\x81\xa0\x81\xa0\x80"))
	f.Add([]byte("\x81\xa3pad\x9f\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0"))
	f.Fuzz(func(t *testing.T, data []byte) {
		checkMsgpackAlloc[hostile](t, data)
		checkMsgpackAlloc[any](t, data)
	})
}

func checkMsgpackAlloc[T any](t *testing.T, data []byte) {
	t.Helper()
	c := codec.Msgpack[T]()
	var v T
	got, err := decodeTwice(func() error { v = *new(T); return c.Unmarshal(data, &v) })
	if bound := codecs.MsgpackAllocBound[T](len(data)); got > bound {
		t.Fatalf("decoding %d bytes into %T allocated %d bytes, bound %d (err %v)", len(data), v, got, bound, err)
	}
	if err != nil {
		return
	}
	x, err := c.Encode("", &v)
	if err != nil {
		return // NaN and friends decode but do not all encode; FuzzMsgpackDecode checks round trips
	}
	y, err := c.Encode("", &v)
	if err != nil {
		t.Fatalf("second encoding failed: %v", err)
	}
	if !c.(comparer).SameData("", x, y) {
		t.Fatalf("two encodings of one value are not SameData:\n%x\n%x", x.(*types.AttributeValueMemberB).Value, y.(*types.AttributeValueMemberB).Value)
	}
}

// fuzzMaxBytes is the decompression limit of FuzzEnvelopeAlloc, low so
// that the fuzzer reaches it.
const fuzzMaxBytes = 64 << 10

// FuzzEnvelopeAlloc decodes arbitrary bytes as a compressed envelope, and
// seals them to decode them as a sealed one (plain MessagePack inside, or
// a compressed envelope inside), checking the bound the package doc gives
// for each.
func FuzzEnvelopeAlloc(f *testing.F) {
	h := sampleHostile()
	compressAll := codec.Compressed[hostile](codec.Msgpack[hostile](), func(o *codec.CompressOptions) { o.Threshold, o.MaxBytes = -1, fuzzMaxBytes })
	compressed := codec.Compressed[hostile](codec.Msgpack[hostile](), func(o *codec.CompressOptions) { o.MaxBytes = fuzzMaxBytes })
	for _, c := range []codec.Binary[hostile]{compressAll, compressed, codec.Msgpack[hostile]()} {
		b, err := c.Marshal(&h)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(append([]byte("\xc1zmn"), record12...))
	f.Add(append([]byte("\xc1zmz"), zstdOf(f, record12)...))
	f.Add(append([]byte("\xc1zmz"), zstdOf(f, append([]byte("\xdd\xff\xff\xff\xff"), make([]byte, 60000)...))...))
	f.Add(append([]byte("\xc1zmz"), zstdOf(f, bytes.Repeat([]byte{0x91}, 70000))...))
	kr := mustKeyring(f, sealKey("k1"))
	sealRaw := codec.Sealed[rawPayload](rawCodec{}, kr)
	sealed := codec.Sealed[hostile](codec.Msgpack[hostile](), kr)
	sealedCompressed := codec.Sealed[hostile](compressed, kr)
	f.Fuzz(func(t *testing.T, data []byte) {
		n := decompressedLen(data)
		var v hostile
		got, err := decodeTwice(func() error { v = hostile{}; return compressed.Unmarshal(data, &v) })
		if bound := codecs.MsgpackAllocBound[hostile](n) + compressOverhead(fuzzMaxBytes); got > bound {
			t.Fatalf("compressed: decoding %d bytes (%d decompressed) allocated %d bytes, bound %d (err %v)", len(data), n, got, bound, err)
		}

		env, err := sealRaw.Encode("session#x", &rawPayload{B: data})
		if err != nil {
			t.Fatal(err)
		}
		got, err = decodeTwice(func() error { v = hostile{}; return sealed.Decode("session#x", env, &v) })
		if bound := codecs.MsgpackAllocBound[hostile](len(data)) + sealOverhead(len(data)); got > bound {
			t.Fatalf("sealed: decoding %d bytes of plaintext allocated %d bytes, bound %d (err %v)", len(data), got, bound, err)
		}
		got, err = decodeTwice(func() error { v = hostile{}; return sealedCompressed.Decode("session#x", env, &v) })
		if bound := codecs.MsgpackAllocBound[hostile](n) + compressOverhead(fuzzMaxBytes) + sealOverhead(len(data)); got > bound {
			t.Fatalf("sealed around compressed: decoding %d bytes of plaintext (%d decompressed) allocated %d bytes, bound %d (err %v)", len(data), n, got, bound, err)
		}
	})
}

// decompressedLen returns the size of the payload a compressed envelope
// holds, as far as a decoder limited to fuzzMaxBytes gets, or 0.
func decompressedLen(env []byte) int {
	if len(env) < 4 || env[0] != 0xC1 || env[1] != 'z' {
		return 0
	}
	switch env[3] {
	case 'n':
		return len(env) - 4
	case 'z':
		raw, _ := zstdLimited().DecodeAll(env[4:], nil)
		return min(len(raw), fuzzMaxBytes)
	}
	return 0
}

var zstdLimited = sync.OnceValue(func() *zstd.Decoder {
	d, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(fuzzMaxBytes))
	if err != nil {
		panic(err)
	}
	return d
})

// compressOverhead is what the package doc allows a compressed codec with the
// given MaxBytes beside the MessagePack bound: its decompression buffer
// may grow to twice MaxBytes, plus a constant for the zstd decoder.
func compressOverhead(maxBytes int) int64 { return 2*int64(maxBytes) + 64<<10 }

// sealOverhead is what the package doc allows a sealed codec beside its inner
// codec: the plaintext it opens, the associated data, and a constant.
func sealOverhead(stored int) int64 { return 2*int64(stored) + 4<<10 }
