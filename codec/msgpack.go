package codec

import (
	"bytes"
	"encoding"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/dynamosession/dynamosession/internal/wire"
)

// Msgpack returns a codec that stores a session as MessagePack bytes in a
// binary attribute (B), with vmihailenco/msgpack: the smallest and fastest
// format. Only this library writes it, so it needs no options.
//
// Struct fields are named by their `json` tags, like the other codecs.
// The keys of map[string]string, map[string]bool and map[string]any are
// written sorted; vmihailenco/msgpack writes other maps (map[string]int,
// maps with named key types, maps held in interfaces) in Go's random
// iteration order, so equal values can encode to different bytes. A
// repository compares stored and fresh MessagePack regardless of that
// order, so it skips saving unchanged sessions of any type.
// time.Time fields use MessagePack's timestamp extension: exact to the
// nanosecond, but they decode in the local time zone, so compare them with
// time.Time.Equal.
//
// Stored bytes are checked before they are decoded (see
// [ErrMalformedMsgpack]), so that no record can make a decode allocate
// more than the bound of the package documentation; a value whose
// encoding would not pass that check (arrays and maps nested deeper than
// 256 levels, or holding an extension type other than the timestamp) is
// refused when encoding, so nothing is written that could not be read
// back.
func Msgpack[T any]() Binary[T] { return msgpackCodec[T]{} }

type msgpackCodec[T any] struct{}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (msgpackCodec[T]) Format() Format { return FormatMsgpack }

func (msgpackCodec[T]) Marshal(v *T) (_ []byte, err error) {
	// vmihailenco/msgpack v5.4.1 panics on some session types (a field of
	// an unexported embedded type with a MarshalText method: it calls
	// reflect.Value.Interface on it). No session may end the process.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("codec: msgpack encode: %w: %T: %v", ErrUnsupported, v, p)
		}
	}()
	if err := checkEmbedded(reflect.TypeFor[T](), FormatMsgpack); err != nil {
		return nil, fmt.Errorf("codec: msgpack encode: %w", err)
	}
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	enc := msgpack.GetEncoder()
	enc.Reset(buf)
	enc.SetCustomStructTag("json")
	enc.SetSortMapKeys(true)
	enc.UseCompactInts(true)
	err = enc.Encode(v)
	msgpack.PutEncoder(enc)
	if err == nil {
		err = checkMsgpack(buf.Bytes())
	}
	if err != nil {
		bufPool.Put(buf)
		return nil, fmt.Errorf("codec: msgpack encode: %w", err)
	}
	out := bytes.Clone(buf.Bytes())
	bufPool.Put(buf)
	return out, nil
}

// Canonical reports whether equal values of T always encode to equal
// bytes: only this package writes MessagePack sessions, always with the
// same options, but vmihailenco/msgpack sorts the keys of only some map
// types (map[string]string, map[string]bool, map[string]any), so a T that
// holds another map type, an interface that could hold one, or a type
// that encodes itself (MarshalMsgpack, MarshalBinary, MarshalText; a
// time.Time excepted), is not. SameData needs no more than byte
// comparison when it is.
func (msgpackCodec[T]) Canonical() bool {
	t := reflect.TypeFor[T]()
	if v, ok := canonicalTypes.Load(t); ok {
		return v.(bool)
	}
	ok := sortedMapsOnly(t, map[reflect.Type]bool{})
	canonicalTypes.Store(t, ok)
	return ok
}

var canonicalTypes sync.Map // reflect.Type -> bool

func sortedMapsOnly(t reflect.Type, seen map[reflect.Type]bool) bool {
	if seen[t] {
		return true
	}
	seen[t] = true
	if t != reflect.TypeFor[time.Time]() && ownEncoding(t) {
		return false // whatever it writes, maps in any order included
	}
	switch t.Kind() {
	case reflect.Interface:
		return false
	case reflect.Map:
		if t.Key() != reflect.TypeFor[string]() { // the fast paths match the exact key type
			return false
		}
		switch t.Elem().Kind() {
		case reflect.String, reflect.Bool:
			return t.Elem().PkgPath() == "" // the library's fast paths match these exact types
		}
		return false
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return sortedMapsOnly(t.Elem(), seen)
	case reflect.Struct:
		if t == reflect.TypeFor[time.Time]() {
			return true
		}
		for i := range t.NumField() {
			if f := t.Field(i); encoded(f) && !sortedMapsOnly(f.Type, seen) {
				return false
			}
		}
	}
	return true
}

// ownEncoding reports whether vmihailenco/msgpack encodes t (or *t) with
// one of t's own methods rather than by its shape.
func ownEncoding(t reflect.Type) bool {
	for _, m := range []reflect.Type{
		reflect.TypeFor[msgpack.CustomEncoder](), reflect.TypeFor[msgpack.Marshaler](),
		reflect.TypeFor[encoding.BinaryMarshaler](), reflect.TypeFor[encoding.TextMarshaler](),
	} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

// Unmarshal fills v from MessagePack. Bytes that are not exactly one
// MessagePack value within this package's limits (trailing bytes, a
// length header that promises more than remains, nesting deeper than
// 256 levels, an extension other than the timestamp) are
// refused with an error wrapping [ErrMalformedMsgpack] before anything is
// decoded.
func (msgpackCodec[T]) Unmarshal(data []byte, v *T) error { return unmarshalMsgpack(data, v) }

func (msgpackCodec[T]) unmarshalInto(data []byte, ptr any) error { return unmarshalMsgpack(data, ptr) }

// unmarshalMsgpack is Unmarshal into ptr, a non-nil pointer to any type.
func unmarshalMsgpack(data []byte, v any) (err error) {
	// vmihailenco/msgpack v5.4.1 panics on some malformed input (a nil
	// where a time.Time is expected: "reflect: call of reflect.Value.IsNil
	// on struct Value", found by fuzzing). Stored records are untrusted
	// input: turn that into an error.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("codec: msgpack decode: malformed input: %v", p)
		}
	}()
	if len(data) > 0 && data[0] == wire.EnvelopeMarker {
		return fmt.Errorf("codec: msgpack decode: payload is an envelope (0x%02x), not MessagePack", data[0])
	}
	// vmihailenco/msgpack v5.4.1 trusts length headers: it preallocates
	// a []T, []any or map for as many elements as an array or map header
	// claims, and a []byte for as many bytes as a bin header claims,
	// before reading any of them (decodeSliceValue's limit check,
	// `flags&disableAllocLimitFlag != 1`, is always true). Twelve bytes
	// claiming 2^32-1 elements end the process with "fatal error: out of
	// memory", which no recover catches. Checking every header against
	// the bytes that remain first bounds what the library can allocate.
	if err := checkMsgpack(data); err != nil {
		return fmt.Errorf("codec: msgpack decode: %w", err)
	}
	r := bytes.NewReader(data)
	dec := msgpack.GetDecoder()
	dec.Reset(r)
	dec.SetCustomStructTag("json")
	err = dec.Decode(v)
	msgpack.PutDecoder(dec)
	if err != nil {
		return fmt.Errorf("codec: msgpack decode: %w", err)
	}
	if r.Len() != 0 {
		return fmt.Errorf("codec: msgpack decode: %d trailing bytes", r.Len())
	}
	// Numbers in interface values come back as the same Go types as from
	// the Map and JSON codecs (see the package documentation), not as
	// MessagePack's own widths (int8, float32, uint64 for a positive int).
	if err := exactNumbers(reflect.ValueOf(v).Elem(), ownsMsgpackDecoding); err != nil {
		return fmt.Errorf("codec: msgpack decode: %w", err)
	}
	return nil
}

var (
	msgpackCustomDecoder = reflect.TypeFor[msgpack.CustomDecoder]()
	msgpackUnmarshaler   = reflect.TypeFor[msgpack.Unmarshaler]()
)

// ownsMsgpackDecoding reports a type that decodes MessagePack itself
// (such as anyvalue.Value): its numbers are its own business.
func ownsMsgpackDecoding(t reflect.Type) bool {
	for _, i := range []reflect.Type{msgpackCustomDecoder, msgpackUnmarshaler} {
		if t.Implements(i) || reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

// SameData reports whether two B attributes hold the same MessagePack
// value, map entries in any order: what a repository asks before it saves
// a session whose encoding has other bytes than the stored one.
func (c msgpackCodec[T]) SameData(_ string, stored, encoded types.AttributeValue) bool {
	a, b, ok := bothBinary(stored, encoded)
	return ok && c.samePayload(a, b)
}

func (c msgpackCodec[T]) samePayload(a, b []byte) bool {
	if !bytes.Equal(a, b) && c.Canonical() {
		return false // one value, one encoding: other bytes are other data
	}
	return sameMsgpack(a, b)
}

func (c msgpackCodec[T]) Encode(_ string, v *T) (types.AttributeValue, error) {
	b, err := c.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &types.AttributeValueMemberB{Value: b}, nil
}

func (c msgpackCodec[T]) Decode(key string, av types.AttributeValue, v *T) error {
	return c.DecodeInto(key, av, v)
}

// DecodeInto is Decode into ptr, a non-nil pointer to any type; see
// [mapCodec.DecodeInto].
func (msgpackCodec[T]) DecodeInto(_ string, av types.AttributeValue, ptr any) error {
	b, ok := av.(*types.AttributeValueMemberB)
	if !ok {
		return fmt.Errorf("codec: msgpack decode: %w", wrongType("B", av))
	}
	return unmarshalMsgpack(b.Value, ptr)
}
