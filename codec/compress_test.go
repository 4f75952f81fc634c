package codec_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/golden"
	"github.com/dynamosession/dynamosession/internal/reader"
	"github.com/dynamosession/dynamosession/internal/samplesession"
	"github.com/dynamosession/dynamosession/internal/wire"
)

// compressNow is the fixed "now" of the sessions these tests build.
var compressNow = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

// session2KB returns the 2 KB session of package samplesession, the one the
// README's figures are about.
func session2KB(seed uint64) samplesession.Session {
	return samplesession.New(rand.New(rand.NewPCG(seed, 0)), 2048, compressNow)
}

func sessionOf(jsonBytes int) samplesession.Session {
	return samplesession.New(rand.New(rand.NewPCG(7, 0)), jsonBytes, compressNow)
}

// header returns the 4 envelope bytes of a B attribute.
func header(t *testing.T, av types.AttributeValue) []byte {
	t.Helper()
	b, ok := av.(*types.AttributeValueMemberB)
	if !ok {
		t.Fatalf("encoded as %T, want B", av)
	}
	if len(b.Value) < 4 {
		t.Fatalf("payload of %d bytes has no envelope header", len(b.Value))
	}
	return b.Value[:4]
}

func TestCompressedRoundTrip(t *testing.T) {
	tests := []struct {
		name       string
		c          codec.Binary[samplesession.Session]
		jsonBytes  int
		wantHeader string
	}{
		{"msgpack below threshold is stored", codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]()), 512, "\xc1zmn"},
		{"msgpack above threshold is zstd", codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]()), 2048, "\xc1zmz"},
		{"json below threshold is stored", codec.Compressed[samplesession.Session](codec.JSON[samplesession.Session]()), 512, "\xc1zjn"},
		{"json above threshold is zstd", codec.Compressed[samplesession.Session](codec.JSON[samplesession.Session]()), 2048, "\xc1zjz"},
		{"negative threshold compresses everything", codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session](), func(o *codec.CompressOptions) { o.Threshold = -1 }), 512, "\xc1zmz"},
		{"zero threshold compresses everything", codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session](), func(o *codec.CompressOptions) { o.Threshold = 0 }), 512, "\xc1zmz"},
		{"large session", codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]()), 64 * 1024, "\xc1zmz"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := sessionOf(tt.jsonBytes)
			av, err := tt.c.Encode("session#x", &in)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if got := string(header(t, av)); got != tt.wantHeader {
				t.Errorf("header = %q, want %q", got, tt.wantHeader)
			}
			if got := codecs.Detect(av); got != codec.FormatCompressed {
				t.Errorf("Detect = %q, want %q", got, codec.FormatCompressed)
			}
			var out samplesession.Session
			if err := tt.c.Decode("session#x", av, &out); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(in, out, timeEqual); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCompressedThreshold checks the size from which Encode compresses, and
// that it stores what does not compress.
func TestCompressedThreshold(t *testing.T) {
	type blob struct {
		Data []byte `json:"data"`
	}
	random := func(n int) []byte {
		b := make([]byte, n)
		r := rand.New(rand.NewPCG(1, 1))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		return b
	}
	// MessagePack frames a []byte field of n bytes in a struct with one
	// field named "data" in 1+5+3 = 9 bytes (for 256 <= n < 65536).
	const frame = 9
	c := codec.Compressed[blob](codec.Msgpack[blob](), func(o *codec.CompressOptions) { o.Threshold = 1000 })
	tests := []struct {
		name     string
		data     []byte
		wantAlgo byte
	}{
		{"one byte below", make([]byte, 1000-frame-1), 'n'},
		{"at threshold", make([]byte, 1000-frame), 'z'},
		{"incompressible above threshold is stored", random(4000), 'n'},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := blob{Data: tt.data}
			av, err := c.Encode("k", &in)
			if err != nil {
				t.Fatal(err)
			}
			if got := header(t, av)[3]; got != tt.wantAlgo {
				t.Errorf("algorithm byte = %q, want %q", got, tt.wantAlgo)
			}
			var out blob
			if err := c.Decode("k", av, &out); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(out.Data, in.Data) {
				t.Error("round trip changed the data")
			}
		})
	}
}

// TestCompressedDefaultThreshold checks the default Threshold that
// CompressOptions documents, 896 bytes, and that the option functions run
// on the defaults: one that sets only MaxBytes keeps it.
func TestCompressedDefaultThreshold(t *testing.T) {
	type blob struct {
		Data []byte `json:"data"`
	}
	const documented = 896
	const frame = 9 // as in TestCompressedThreshold
	for name, c := range map[string]codec.Binary[blob]{
		"no options":          codec.Compressed(codec.Msgpack[blob]()),
		"only MaxBytes given": codec.Compressed(codec.Msgpack[blob](), func(o *codec.CompressOptions) { o.MaxBytes = 1 << 20 }),
	} {
		for _, tt := range []struct {
			n        int
			wantAlgo byte
		}{{documented - frame - 1, 'n'}, {documented - frame, 'z'}} {
			t.Run(fmt.Sprintf("%s/%d bytes", name, tt.n+frame), func(t *testing.T) {
				av, err := c.Encode("k", &blob{Data: make([]byte, tt.n)})
				if err != nil {
					t.Fatal(err)
				}
				if got := header(t, av)[3]; got != tt.wantAlgo {
					t.Errorf("algorithm byte = %q, want %q", got, tt.wantAlgo)
				}
			})
		}
	}
}

// TestCompressedReadsEveryInnerFormat checks that a compressed codec decodes
// envelopes around either inner format, whatever it wraps itself.
func TestCompressedReadsEveryInnerFormat(t *testing.T) {
	writers := map[string]codec.Binary[samplesession.Session]{
		"msgpack": codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]()),
		"json":    codec.Compressed[samplesession.Session](codec.JSON[samplesession.Session]()),
	}
	in := session2KB(1)
	for wname, w := range writers {
		av, err := w.Encode("k", &in)
		if err != nil {
			t.Fatal(err)
		}
		for rname, r := range writers {
			t.Run(wname+" read by "+rname, func(t *testing.T) {
				var out samplesession.Session
				if err := r.Decode("k", av, &out); err != nil {
					t.Fatalf("Decode: %v", err)
				}
				if diff := cmp.Diff(in, out, timeEqual); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

func TestCompressedCorrupt(t *testing.T) {
	c := codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]())
	in := session2KB(1)
	good, err := c.Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0xFF
	tests := []struct {
		name string
		av   types.AttributeValue
		want string
	}{
		{"wrong attribute type", &types.AttributeValueMemberS{Value: "{}"}, "wrong type"},
		{"empty", &types.AttributeValueMemberB{Value: nil}, "not a compressed envelope"},
		{"header only", &types.AttributeValueMemberB{Value: good[:3]}, "not a compressed envelope"},
		{"plain msgpack", &types.AttributeValueMemberB{Value: []byte{0x80}}, "not a compressed envelope"},
		{"another envelope", &types.AttributeValueMemberB{Value: append([]byte{0xC1, 'e'}, good[2:]...)}, "not a compressed envelope"},
		{"unknown inner format", &types.AttributeValueMemberB{Value: append([]byte{0xC1, 'z', 'x'}, good[3:]...)}, "unknown inner format"},
		{"unknown algorithm", &types.AttributeValueMemberB{Value: append([]byte{0xC1, 'z', 'm', 'q'}, good[4:]...)}, "unknown algorithm"},
		{"truncated zstd", &types.AttributeValueMemberB{Value: good[:len(good)-10]}, "decompress"},
		{"flipped byte", &types.AttributeValueMemberB{Value: flipped}, "decompress"},
		{"stored garbage", &types.AttributeValueMemberB{Value: []byte("\xc1zmn\xc1\xc1")}, "msgpack decode"},
		{"zstd of garbage", &types.AttributeValueMemberB{Value: append([]byte("\xc1zmz"), zstdOf(t, []byte("\x92\x01"))...)}, "msgpack decode"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out samplesession.Session
			err := c.Decode("k", tt.av, &out)
			if err == nil {
				t.Fatal("Decode succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func zstdOf(t testing.TB, raw []byte) []byte {
	t.Helper()
	e, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	return e.EncodeAll(raw, nil)
}

// TestCompressedBomb checks that a small record that decompresses to more
// than the limit fails fast instead of allocating what it asks for.
func TestCompressedBomb(t *testing.T) {
	type blob struct {
		Data []byte `json:"data"`
	}
	tests := []struct {
		name     string
		maxBytes int
		raw      int
	}{
		{"1 MiB of zeros, default limit", 0, 1 << 20},
		{"just over the default limit", 0, wire.MaxDecompressedBytes + 1},
		{"64 KiB over a 32 KiB limit", 32 << 10, 64 << 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := codec.Compressed[blob](codec.Msgpack[blob](), func(o *codec.CompressOptions) { o.MaxBytes = tt.maxBytes })
			bomb := append([]byte("\xc1zmz"), zstdOf(t, make([]byte, tt.raw))...)
			if len(bomb) > 2048 {
				t.Fatalf("bomb is %d bytes, not much of a bomb", len(bomb))
			}
			var out blob
			err := c.Unmarshal(bomb, &out)
			if !errors.Is(err, codec.ErrTooLarge) {
				t.Fatalf("Unmarshal error = %v, want ErrTooLarge", err)
			}
		})
	}
	t.Run("Encode refuses what Decode would", func(t *testing.T) {
		c := codec.Compressed[blob](codec.Msgpack[blob](), func(o *codec.CompressOptions) { o.MaxBytes = 1024 })
		in := blob{Data: make([]byte, 2048)}
		if _, err := c.Encode("k", &in); !errors.Is(err, codec.ErrTooLarge) {
			t.Fatalf("Encode error = %v, want ErrTooLarge", err)
		}
	})
}

func TestCompressedNeedsABinaryFormatItCanName(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Compressed of a compressing codec did not panic")
		}
	}()
	codec.Compressed[samplesession.Session](codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]()))
}

// TestCompressedInReader checks what a repository needs: a Reader given
// the compressed codec decodes its records, and one without it names the format
// it cannot read.
func TestCompressedInReader(t *testing.T) {
	c := codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]())
	in := session2KB(3)
	av, err := c.Encode("k", &in)
	if err != nil {
		t.Fatal(err)
	}
	var out samplesession.Session
	f, err := reader.New[samplesession.Session](c).Decode("k", av, &out)
	if err != nil || f != codec.FormatCompressed {
		t.Fatalf("Reader with the compressed codec: format %q, error %v", f, err)
	}
	if diff := cmp.Diff(in, out, timeEqual); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	// Decompression needs no keys: every Reader reads compressed records.
	out = samplesession.Session{}
	if f, err := reader.New[samplesession.Session]().Decode("k", av, &out); err != nil || f != codec.FormatCompressed {
		t.Fatalf("default Reader: format %q, error %v", f, err)
	}
	if diff := cmp.Diff(in, out, timeEqual); diff != "" {
		t.Errorf("default Reader mismatch (-want +got):\n%s", diff)
	}
}

// TestCompressedWriteUnits measures what compression saves on the 2 KB
// session: the write units of the whole item as a repository stores it
// (key, expiry, data), for plain MessagePack and compressed.
func TestCompressedWriteUnits(t *testing.T) {
	item := func(data types.AttributeValue) map[string]types.AttributeValue {
		return map[string]types.AttributeValue{
			"id":      &types.AttributeValueMemberS{Value: "session#" + strings.Repeat("x", 32)},
			"expires": &types.AttributeValueMemberN{Value: "1795262400"},
			"sess":    data,
		}
	}
	type row struct {
		Bytes      int
		WriteUnits float64
	}
	measure := func(c codec.Codec[samplesession.Session]) row {
		s := session2KB(1)
		av, err := c.Encode("k", &s)
		if err != nil {
			t.Fatal(err)
		}
		n := capacity.ItemSize(item(av))
		return row{n, capacity.WriteUnits(n)}
	}
	plain := measure(codec.Msgpack[samplesession.Session]())
	packed := measure(codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]()))
	t.Logf("2 KB session item: msgpack %d bytes, %v WCU; compressed %d bytes, %v WCU", plain.Bytes, plain.WriteUnits, packed.Bytes, packed.WriteUnits)
	if diff := cmp.Diff(row{plain.Bytes, 2}, plain); diff != "" {
		t.Errorf("msgpack item (-want +got):\n%s", diff)
	}
	if packed.WriteUnits != 1 {
		t.Errorf("compressed item: %d bytes, %v write units, want 1", packed.Bytes, packed.WriteUnits)
	}
}

// fuzzCompressor is the codec of FuzzCompressedDecode. Its limit is lower
// than the default so that the fuzzer finds the limit quickly.
func fuzzCompressor() codec.Binary[samplesession.Session] {
	return codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session](), func(o *codec.CompressOptions) { o.MaxBytes = 64 << 10 })
}

// compressCorpus lists the checked-in seeds of FuzzCompressedDecode by
// file name: valid envelopes of both inner formats and both algorithms,
// and damaged ones. The valid ones double as a check that records written
// by an earlier build still read.
func compressCorpus(t testing.TB) map[string][]byte {
	marshal := func(c codec.Binary[samplesession.Session], jsonBytes int) []byte {
		s := sessionOf(jsonBytes)
		b, err := c.Marshal(&s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	mp := codec.Compressed[samplesession.Session](codec.Msgpack[samplesession.Session]())
	js := codec.Compressed[samplesession.Session](codec.JSON[samplesession.Session]())
	zstdMsgpack := marshal(mp, 2048)
	flipped := bytes.Clone(zstdMsgpack)
	flipped[len(flipped)/2] ^= 0x55
	return map[string][]byte{
		"valid-msgpack-zstd":   zstdMsgpack,
		"valid-msgpack-stored": marshal(mp, 512),
		"valid-json-zstd":      marshal(js, 2048),
		"valid-json-stored":    marshal(js, 512),
		"truncated":            zstdMsgpack[:len(zstdMsgpack)-7],
		"flipped":              flipped,
		"header-only":          zstdMsgpack[:4],
		"unknown-inner":        append([]byte{0xC1, 'z', '?'}, zstdMsgpack[3:]...),
		"unknown-algorithm":    append([]byte{0xC1, 'z', 'm', '?'}, zstdMsgpack[4:]...),
		"other-envelope":       append([]byte{0xC1, 'e'}, zstdMsgpack[2:]...),
		"bomb":                 append([]byte("\xc1zmz"), zstdOf(t, make([]byte, 1<<20))...),
		"plain-msgpack":        {0x81, 0xa4, 'u', 's', 'e', 'r', 0xa3, 'a', 'd', 'a'},
		// Found by the fuzzer: MessagePack nil for a time.Time field
		// makes vmihailenco/msgpack panic.
		"msgpack-nil-time": []byte("\xc1zmn\x81\xa8lastSeen\xc0"),
		"empty":            nil,
	}
}

// TestCompressedCorpus checks the checked-in seeds; -update writes the
// ones missing and never rewrites one (see golden.Seed).
func TestCompressedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzCompressedDecode")
	seeds := compressCorpus(t)
	for name, b := range seeds {
		golden.Seed(t, filepath.Join(dir, name), []byte(fmt.Sprintf("go test fuzz v1\n[]byte(%s)\n", strconv.Quote(string(b)))))
	}
	c := fuzzCompressor()
	for name := range seeds {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./codec -run TestCompressedCorpus -update)", err)
			}
			lines := strings.Split(strings.TrimSpace(string(data)), "\n")
			if len(lines) != 2 || lines[0] != "go test fuzz v1" {
				t.Fatalf("%s: not a one-value corpus file", path)
			}
			b, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(lines[1], "[]byte("), ")"))
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			var out samplesession.Session
			err = c.Unmarshal([]byte(b), &out)
			if valid := strings.HasPrefix(name, "valid-"); valid != (err == nil) {
				t.Fatalf("Unmarshal = %v; the seed is valid: %v", err, valid)
			}
		})
	}
}

// FuzzCompressedDecode feeds arbitrary bytes to the decoder: it must never
// panic, and whatever it accepts must survive another round trip. The seed
// corpus is testdata/fuzz/FuzzCompressedDecode (see TestCompressedCorpus).
func FuzzCompressedDecode(f *testing.F) {
	c := fuzzCompressor()
	f.Fuzz(func(t *testing.T, data []byte) {
		var v samplesession.Session
		if err := c.Unmarshal(data, &v); err != nil {
			if errors.Is(err, codec.ErrTooLarge) && len(data) > 64<<10+4 {
				t.Fatalf("a %d-byte input was refused as too large after decompression", len(data))
			}
			return
		}
		again, err := c.Marshal(&v)
		if err != nil {
			t.Fatalf("decoded value does not encode again: %v", err)
		}
		var w samplesession.Session
		if err := c.Unmarshal(again, &w); err != nil {
			t.Fatalf("re-encoded value does not decode: %v", err)
		}
		if !cmp.Equal(v, w, timeEqual) { // Equal first: Diff is slow, and minimizing runs this often
			t.Fatalf("second round trip mismatch (-first +second):\n%s", cmp.Diff(v, w, timeEqual))
		}
	})
}

// BenchmarkCompression is the measurement behind the choice of zstd: the
// 2 KB session's MessagePack payload through each candidate, with the
// compressed size reported as a metric. Flate writers and readers are
// pooled and reset, as a production codec would; without that, flate's
// ~600 KB writer allocation per call dominates.
func BenchmarkCompression(b *testing.B) {
	s := session2KB(1)
	raw, err := codec.Msgpack[samplesession.Session]().Marshal(&s)
	if err != nil {
		b.Fatal(err)
	}
	for _, a := range compressionCandidates() {
		packed := a.compress(nil, raw)
		if got, err := a.decompress(packed); err != nil || !bytes.Equal(got, raw) {
			b.Fatalf("%s does not round-trip: %v", a.name, err)
		}
		b.Run(a.name+"/compress", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			var dst []byte
			for b.Loop() {
				dst = a.compress(dst[:0], raw)
			}
			b.ReportMetric(float64(len(packed)), "out-B")
			b.ReportMetric(float64(len(packed))/float64(len(raw)), "ratio")
		})
		b.Run(a.name+"/decompress", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(raw)))
			for b.Loop() {
				if _, err := a.decompress(packed); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type compressionCandidate struct {
	name       string
	compress   func(dst, src []byte) []byte
	decompress func(src []byte) ([]byte, error)
}

func compressionCandidates() []compressionCandidate {
	zenc, _ := zstd.NewWriter(nil, zstd.WithLowerEncoderMem(true))
	zdec, _ := zstd.NewReader(nil, zstd.WithDecoderLowmem(true), zstd.WithDecoderConcurrency(0))
	var out []compressionCandidate
	for _, level := range []struct {
		name  string
		level int
	}{{"flate-bestspeed", flate.BestSpeed}, {"flate-default", flate.DefaultCompression}} {
		writers := sync.Pool{New: func() any { w, _ := flate.NewWriter(nil, level.level); return w }}
		readers := sync.Pool{New: func() any { return flate.NewReader(bytes.NewReader(nil)) }}
		out = append(out, compressionCandidate{
			name: level.name,
			compress: func(dst, src []byte) []byte {
				buf := bytes.NewBuffer(dst)
				w := writers.Get().(*flate.Writer)
				w.Reset(buf)
				_, _ = w.Write(src)
				_ = w.Close()
				writers.Put(w)
				return buf.Bytes()
			},
			decompress: func(src []byte) ([]byte, error) {
				r := readers.Get().(io.ReadCloser)
				defer readers.Put(r)
				if err := r.(flate.Resetter).Reset(bytes.NewReader(src), nil); err != nil {
					return nil, err
				}
				var buf bytes.Buffer
				buf.Grow(4 * len(src))
				_, err := buf.ReadFrom(r)
				return buf.Bytes(), err
			},
		})
	}
	out = append(out, compressionCandidate{
		name:       "zstd",
		compress:   func(dst, src []byte) []byte { return zenc.EncodeAll(src, dst) },
		decompress: func(src []byte) ([]byte, error) { return zdec.DecodeAll(src, nil) },
	})
	return out
}
