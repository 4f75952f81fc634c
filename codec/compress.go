package codec

import (
	"bytes"
	"errors"
	"fmt"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/klauspost/compress/zstd"

	"github.com/dynamosession/dynamosession/internal/wire"
)

// The compressed envelope's layout, byte by byte:
//
//	0      wire.EnvelopeMarker (0xC1)
//	1      wire.CompressedKind ('z')
//	2      the inner format: innerMsgpack ('m') or innerJSON ('j')
//	3      the algorithm: algoStored ('n', payload as is) or algoZstd ('z')
//	4…     the payload
//
// The algorithm has its own byte so that records written today stay
// readable if a later version changes algorithm; the inner format has its
// own so that any compressed codec reads what any other wrote, whatever it
// wraps.
const (
	innerMsgpack byte = 'm'
	innerJSON    byte = 'j'
	algoStored   byte = 'n'
	algoZstd     byte = 'z'

	compressedHeaderLen = 4
)

// ErrTooLarge reports a payload above a [Compressed] codec's MaxBytes: refused
// when writing, so that nothing is written that could not be read back, and
// when reading, where it means a corrupt record or a decompression bomb.
var ErrTooLarge = errors.New("codec: payload exceeds the decompressed size limit")

// CompressOptions configures a [Compressed] codec. [Compressed] sets
// every field to its documented default before the option functions run.
type CompressOptions struct {
	// Threshold is the inner payload size, in bytes, from which Encode
	// compresses; smaller payloads are stored uncompressed, inside the
	// same envelope. Zero or a negative value compresses every payload.
	//
	// Default 896 (1024-128). DynamoDB bills a write per started KB of the
	// whole item, and the key, the expiry and the attribute names of a
	// session item take some 60 to 120 bytes besides the data: a payload
	// under 896 bytes therefore makes an item under 1 KB, one write unit
	// however small it gets, and compressing it would spend CPU to save
	// nothing but a few bytes of storage. From this size on, compressing
	// is what can move the item under a KB boundary. (On the 2 KB session
	// of the cost model, zstd makes the 1.5 KB MessagePack payload about
	// 0.8 KB: one write unit instead of two.)
	Threshold int

	// MaxBytes bounds the inner payload, in bytes, both ways: Encode
	// refuses a larger one and Decode stops decompressing past it, with
	// an error wrapping [ErrTooLarge]. A reader must allow at least what
	// the writer does.
	//
	// Default 409600 (400 KiB), which zero or a negative value also
	// means: DynamoDB's 400 KB item limit. A legitimate session larger
	// than an item is rare enough that the bound is better spent stopping
	// decompression bombs, which a few hundred stored bytes can otherwise
	// turn into gigabytes of memory on every read.
	MaxBytes int
}

// Compressed returns a codec that stores inner's payload compressed with
// zstd (Zstandard, github.com/klauspost/compress) in a B attribute, as
// configured by optFns, applied in order to the defaults of
// [CompressOptions].
// inner must be a [Msgpack] or [JSON] codec, the binary formats an envelope
// can name; anything else panics, as a programming error. (Compressing
// ciphertext would gain nothing: wrap compression in encryption, not the
// other way round.)
//
// Zstd was chosen over the standard library's flate by measurement on the
// 2 KB session of the cost model (cmd/dynamosession; a MessagePack payload
// of 1509 bytes;
// BenchmarkCompression in compress_test.go): both shrink it to 54% (818
// bytes against flate's 821 at its default level), but zstd compresses it
// about 3 times faster (over 2 times faster than flate.BestSpeed, which
// leaves 861 bytes) and decompresses it over 2 times faster, with one
// allocation instead of 30. Compression ratio decides the write units;
// speed is what each Save and Get pays.
//
// Every record is an envelope, also below Threshold, where the payload is
// stored as is behind the 4-byte header: a repository then detects
// [FormatCompressed] for everything the codec writes, which it relies on to
// tell that a stored record is already in the format it writes (New checks
// it, Save's no-change test and RewriteOnRead use it).
//
// Decode reads the envelope whatever inner format it names (MessagePack or
// JSON) and whatever threshold it was written with. It reads nothing else:
// plain MessagePack is the Msgpack codec's, and a repository routes each
// stored value to the codec of its format.
func Compressed[T any](inner Binary[T], optFns ...func(*CompressOptions)) Binary[T] {
	o := CompressOptions{Threshold: wire.DefaultCompressThreshold, MaxBytes: wire.MaxDecompressedBytes}
	for _, fn := range optFns {
		fn(&o)
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = wire.MaxDecompressedBytes
	}
	c := &compressor[T]{inner: inner, opts: o, decoder: sharedDecoder}
	if o.MaxBytes != wire.MaxDecompressedBytes {
		c.decoder = sync.OnceValue(func() *zstd.Decoder { return newDecoder(o.MaxBytes) })
	}
	switch f := inner.Format(); f {
	case FormatMsgpack:
		c.innerID = innerMsgpack
	case FormatJSON:
		c.innerID = innerJSON
	default:
		panic(fmt.Sprintf("codec: Compressed: cannot wrap a %q codec; wrap Msgpack or JSON", f))
	}
	return c
}

type compressor[T any] struct {
	inner   Binary[T]
	innerID byte
	opts    CompressOptions
	decoder func() *zstd.Decoder // the shared one unless MaxBytes is not the default
}

func (c *compressor[T]) Format() Format { return FormatCompressed }

// Marshal returns v as an envelope: inner's payload, compressed if it is at
// least Threshold bytes and compressing makes it smaller.
func (c *compressor[T]) Marshal(v *T) ([]byte, error) {
	raw, err := c.EncodePayload(v)
	if err != nil {
		return nil, err
	}
	return c.envelope(raw), nil
}

// EncodePayload returns v's inner payload, uncompressed, as Marshal
// would compress it: a repository compares it with the payload it kept
// from the read (see DecodePayload) and compresses it only when the data
// changed, so a Save decompresses nothing.
func (c *compressor[T]) EncodePayload(v *T) ([]byte, error) {
	raw, err := c.inner.Marshal(v)
	if err != nil {
		return nil, err
	}
	if len(raw) > c.opts.MaxBytes {
		return nil, fmt.Errorf("codec: compress: %w: %d bytes, limit %d", ErrTooLarge, len(raw), c.opts.MaxBytes)
	}
	return raw, nil
}

// WrapPayload returns the attribute value Encode returns for a payload
// from EncodePayload. The session key is the sealed codec's business; a
// compressed envelope does not depend on it.
func (c *compressor[T]) WrapPayload(_ string, raw []byte) types.AttributeValue {
	return &types.AttributeValueMemberB{Value: c.envelope(raw)}
}

// SamePayload reports whether two payloads of this codec's inner format
// (from EncodePayload or DecodePayload) hold the same data, as SameData
// compares them once decompressed.
func (c *compressor[T]) SamePayload(a, b []byte) bool {
	if c.innerID == innerMsgpack {
		return msgpackCodec[T]{}.samePayload(a, b)
	}
	return bytes.Equal(a, b)
}

// DecodePayload is Decode, and also returns the envelope's payload,
// decompressed, when its inner format is the one this codec writes (nil
// otherwise): what a repository keeps with a session so that its Save
// compares payloads instead of decompressing the stored envelope. The
// payload is a copy exactly as long as it, or a slice of av's bytes when
// they hold it uncompressed.
func (c *compressor[T]) DecodePayload(_ string, av types.AttributeValue, v *T) ([]byte, error) {
	b, ok := av.(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("codec: decompress: %w", wrongType("B", av))
	}
	var kept []byte
	err := c.unmarshal(b.Value, v, func(kind byte, raw []byte, pooled bool) {
		switch {
		case kind != c.innerID:
		case pooled:
			kept = bytes.Clone(raw)
		default:
			kept = raw[:len(raw):len(raw)]
		}
	})
	if err != nil {
		return nil, err
	}
	return kept, nil
}

// envelope returns raw in an envelope: compressed if it is at least
// Threshold bytes and compressing makes it smaller.
func (c *compressor[T]) envelope(raw []byte) []byte {
	if len(raw) >= c.opts.Threshold { // always, for a Threshold of zero or less
		// zstd output is rarely more than half of a session; the slice
		// grows if it has to.
		out := make([]byte, compressedHeaderLen, compressedHeaderLen+len(raw)/2+64)
		c.header(out, algoZstd)
		out = encoder().EncodeAll(raw, out)
		if len(out) < compressedHeaderLen+len(raw) {
			return out
		}
		// Incompressible (random tokens, already compressed blobs):
		// storing is smaller and cheaper to read.
	}
	out := make([]byte, compressedHeaderLen+len(raw))
	c.header(out, algoStored)
	copy(out[compressedHeaderLen:], raw)
	return out
}

func (c *compressor[T]) header(b []byte, algo byte) {
	b[0], b[1], b[2], b[3] = wire.EnvelopeMarker, wire.CompressedKind, c.innerID, algo
}

// Unmarshal fills v from an envelope Marshal wrote. Corrupt input is an
// error, never a panic. A MessagePack payload is checked as [Msgpack]
// checks it, so the allocation bound of the package documentation holds
// with n the decompressed size, which is at most MaxBytes.
func (c *compressor[T]) Unmarshal(data []byte, v *T) error {
	return c.unmarshal(data, v, nil)
}

// unmarshal is Unmarshal; after a successful decode it shows keep the
// inner format and the payload, and whether the payload is in a pooled
// buffer (which goes back to the pool when unmarshal returns).
func (c *compressor[T]) unmarshal(data []byte, v *T, keep func(kind byte, raw []byte, pooled bool)) error {
	kind, raw, buf, err := c.open(data)
	if buf != nil {
		// The inner codecs copy what they keep (strings, byte slices), so
		// the buffer can go back to the pool afterwards.
		defer putBuf(buf)
	}
	if err != nil {
		return err
	}
	var inner Binary[T]
	switch kind {
	case c.innerID:
		inner = c.inner
	case innerMsgpack:
		inner = msgpackCodec[T]{}
	default:
		inner = jsonCodec[T]{}
	}
	if err := checkForeign(inner, raw); err != nil {
		return fmt.Errorf("codec: decompress: %w", err)
	}
	if err := unmarshalSafely(inner, raw, v); err != nil {
		return err
	}
	if keep != nil {
		keep(kind, raw, buf != nil)
	}
	return nil
}

// open checks an envelope and returns the inner format it names and its
// payload, decompressed into buf (from the pool; nil when the payload was
// stored as is) if it was compressed. The caller returns buf to the pool.
func (c *compressor[T]) open(data []byte) (kind byte, raw []byte, buf *[]byte, err error) {
	if len(data) < compressedHeaderLen || data[0] != wire.EnvelopeMarker || data[1] != wire.CompressedKind {
		return 0, nil, nil, fmt.Errorf("codec: decompress: not a compressed envelope")
	}
	kind = data[2]
	if kind != innerMsgpack && kind != innerJSON {
		return 0, nil, nil, fmt.Errorf("codec: decompress: unknown inner format 0x%02x", kind)
	}
	payload := data[compressedHeaderLen:]
	switch data[3] {
	case algoStored:
		if len(payload) > c.opts.MaxBytes {
			return 0, nil, nil, fmt.Errorf("codec: decompress: %w", ErrTooLarge)
		}
		return kind, payload, nil, nil
	case algoZstd:
		buf := getBuf()
		raw, err := c.decoder().DecodeAll(payload, (*buf)[:0])
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || (err == nil && len(raw) > c.opts.MaxBytes) {
			return 0, nil, buf, fmt.Errorf("codec: decompress: %w (limit %d bytes)", ErrTooLarge, c.opts.MaxBytes)
		}
		if err != nil {
			return 0, nil, buf, fmt.Errorf("codec: decompress: %w", err)
		}
		*buf = raw
		return kind, raw, buf, nil
	default:
		return 0, nil, nil, fmt.Errorf("codec: decompress: unknown algorithm 0x%02x", data[3])
	}
}

// SameData reports whether two compressed envelopes hold the same data:
// the same inner format and, decompressed, the same payload (for
// MessagePack, the same value with map entries in any order), however
// each was compressed: what a repository asks before it saves a session
// whose encoding has other bytes than the stored one.
func (c *compressor[T]) SameData(_ string, stored, encoded types.AttributeValue) bool {
	a, b, ok := bothBinary(stored, encoded)
	return ok && c.samePayload(a, b)
}

func (c *compressor[T]) samePayload(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	ka, ra, bufA, errA := c.open(a)
	if bufA != nil {
		defer putBuf(bufA)
	}
	kb, rb, bufB, errB := c.open(b)
	if bufB != nil {
		defer putBuf(bufB)
	}
	if errA != nil || errB != nil || ka != kb {
		return false
	}
	if ka == innerMsgpack {
		return msgpackCodec[T]{}.samePayload(ra, rb)
	}
	// encoding/json writes one value as one text (struct fields in
	// order, map keys sorted), and only this package writes envelopes.
	return bytes.Equal(ra, rb)
}

// unmarshalSafely is inner.Unmarshal, with a panic turned into an error:
// vmihailenco/msgpack v5.4.1 panics on some malformed input (nil where a
// time.Time field is: "reflect: call of reflect.Value.IsNil on struct
// Value"), and a stored record is untrusted input: a read must fail, not
// take the server down. The recovery covers the inner codec alone, so it
// cannot strand a zstd decoder outside its pool.
func unmarshalSafely[T any](inner Binary[T], data []byte, v *T) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("codec: decompress: malformed payload: %v", p)
		}
	}()
	return inner.Unmarshal(data, v)
}

func (c *compressor[T]) Encode(_ string, v *T) (types.AttributeValue, error) {
	b, err := c.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &types.AttributeValueMemberB{Value: b}, nil
}

func (c *compressor[T]) Decode(_ string, av types.AttributeValue, v *T) error {
	b, ok := av.(*types.AttributeValueMemberB)
	if !ok {
		return fmt.Errorf("codec: decompress: %w", wrongType("B", av))
	}
	return c.Unmarshal(b.Value, v)
}

// DecodeInto is Decode into ptr, a non-nil pointer to any type; see
// [mapCodec.DecodeInto]. The payload is read by this package's codec of
// the inner format the envelope names, so a compressed codec around an
// inner codec of another package cannot decode into another type.
func (c *compressor[T]) DecodeInto(_ string, av types.AttributeValue, ptr any) error {
	b, ok := av.(*types.AttributeValueMemberB)
	if !ok {
		return fmt.Errorf("codec: decompress: %w", wrongType("B", av))
	}
	return c.unmarshalInto(b.Value, ptr)
}

func (c *compressor[T]) unmarshalInto(data []byte, ptr any) error {
	if _, ok := c.inner.(intoUnmarshaler); !ok {
		return fmt.Errorf("codec: decompress: the inner codec %T cannot decode into %T", c.inner, ptr)
	}
	kind, raw, buf, err := c.open(data)
	if buf != nil {
		defer putBuf(buf)
	}
	if err != nil {
		return err
	}
	var inner intoUnmarshaler = msgpackCodec[T]{}
	if kind == innerJSON {
		inner = jsonCodec[T]{}
	}
	return inner.unmarshalInto(raw, ptr) // which recovers from the library's panics itself
}

// The zstd encoder and decoder are shared: EncodeAll and DecodeAll are
// safe for concurrent use, and each holds tables worth building once, on
// first use, rather than at start-up in programs that never compress. The
// decoder enforces the size limit itself, as it decodes, so a bomb never
// gets to allocate; a compressed codec with another MaxBytes than the default has
// its own decoder for that reason. Low-memory mode keeps the state small:
// sessions are small.
var (
	encoder = sync.OnceValue(func() *zstd.Encoder {
		e, err := zstd.NewWriter(nil, zstd.WithLowerEncoderMem(true))
		if err != nil {
			panic(err) // only bad options fail, and these are constant
		}
		return e
	})
	sharedDecoder = sync.OnceValue(func() *zstd.Decoder { return newDecoder(wire.MaxDecompressedBytes) })
)

func newDecoder(maxBytes int) *zstd.Decoder {
	d, err := zstd.NewReader(nil,
		zstd.WithDecoderLowmem(true),
		zstd.WithDecoderConcurrency(0), // GOMAXPROCS decoders for concurrent DecodeAll
		zstd.WithDecoderMaxMemory(uint64(maxBytes)),
	)
	if err != nil {
		panic(err) // only bad options fail; maxBytes is positive
	}
	return d
}

// decompPool recycles decompression buffers; one session's worth each.
var decompPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func getBuf() *[]byte { return decompPool.Get().(*[]byte) }

func putBuf(b *[]byte) {
	if cap(*b) > 64*1024 {
		return // keep the pool from pinning the odd huge session
	}
	decompPool.Put(b)
}
