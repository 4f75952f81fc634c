package codec

import (
	"errors"
	"fmt"
	"reflect"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// Options configures the [Map] and [JSON] codecs, the two formats that
// Node.js stores also write. The zero Options is the default.
type Options struct {
	// Exclusive declares that only this library writes the table's records
	// of this format (no Node.js app shares the table any more). The
	// encoding is then trusted as canonical (attributevalue and
	// encoding/json encode one value as one text: struct fields in order,
	// map keys sorted): a repository's Save compares bytes only and skips
	// decoding the stored value, a third of the cost of saving changed Map
	// data and most of the cost for JSON. Default false. Leave it false
	// while a Node.js store writes the table, or a session it wrote would
	// be rewritten by a request that only read it (its map or JSON holds
	// keys our struct does not, in another order).
	Exclusive bool
}

func options(optFns []func(*Options)) Options {
	var o Options
	for _, fn := range optFns {
		fn(&o)
	}
	return o
}

// Map returns a codec that stores a session as a native DynamoDB map (M),
// field by field: the format @pwrdrvr/dynamodb-session-store writes.
// optFns configure it, applied in order to the default [Options].
//
// The values are attributevalue's (feature/dynamodb/attributevalue, with
// the `json` tag as its tag key): the codec encodes and decodes by plans
// compiled once per type that give the same items, values and errors in a
// fraction of the time, and leaves the types they do not cover (custom
// marshalers, embedded structs, tag options other than omitempty) to
// attributevalue itself.
//
// Struct fields are named by their `json` tag (so the same struct reads what
// a Node.js app wrote); a field without one is named by its `dynamodbav`
// tag, and then by its Go name. time.Time fields are stored as RFC 3339
// strings with nanoseconds, which is also how JavaScript's Date.toJSON
// strings read back (see the package documentation for zones and numbers).
//
// Encode refuses, with an error wrapping [ErrUnsupported], what DynamoDB
// would refuse or store otherwise than sent: numbers outside DynamoDB's
// range, maps and lists nested more than 31 levels (32 counting the item),
// empty map keys and keys over 64 KB, strings or keys that are not
// valid UTF-8, and values larger than the 400 KB DynamoDB stores in an
// item (encoding stops there, so a value that shares its parts, whose
// tree can be far larger than itself, fails fast). A float32 of
// ±math.MaxFloat32 is written as its exact value, which reads back;
// attributevalue's own spelling of it does not, so in a type left to
// attributevalue it is refused (use a float64).
//
// T must be a struct or a map type: a T that does not encode to a DynamoDB
// map is an error, so a Map record can never be mistaken for another format.
func Map[T any](optFns ...func(*Options)) Codec[T] {
	return mapCodec[T]{exclusive: options(optFns).Exclusive}
}

type mapCodec[T any] struct{ exclusive bool }

// Canonical reports Options.Exclusive: a repository then takes different
// bytes for different data.
func (c mapCodec[T]) Canonical() bool { return c.exclusive }

var (
	mapEncoder = attributevalue.NewEncoder(func(o *attributevalue.EncoderOptions) {
		o.TagKey = "json"
		o.EncodeTime = encodeTime
	})
	// UseNumber: numbers in interface values are decoded exactly, then
	// given their Go type by exactNumbers.
	mapDecoder = attributevalue.NewDecoder(func(o *attributevalue.DecoderOptions) {
		o.TagKey = "json"
		o.UseNumber = true
	})
)

// encodeTime writes t as attributevalue does by default, RFC 3339 with
// nanoseconds, in UTC when its zone offset has seconds (see storableTime).
func encodeTime(t time.Time) (types.AttributeValue, error) {
	t, err := storableTime(t)
	if err != nil {
		return nil, err
	}
	return &types.AttributeValueMemberS{Value: t.Format(time.RFC3339Nano)}, nil
}

var avUnmarshaler = reflect.TypeFor[attributevalue.Unmarshaler]()

// mapRewriter writes floats in interface values exactly. It walks the
// types that can hold an interface value, except types that marshal
// themselves.
var mapRewriter = &rewriter{
	enter: func(t reflect.Type) bool { return holdsInterface(t) && !implements(t, avMarshalerType) },
	leaf:  exactFloatIn,
}

// ownsMapDecoding reports types that decode themselves from an attribute
// value: exactNumbers leaves what they hold alone.
func ownsMapDecoding(t reflect.Type) bool {
	return t.Implements(avUnmarshaler) || reflect.PointerTo(t).Implements(avUnmarshaler)
}

func (mapCodec[T]) Format() Format { return FormatMap }

func (c mapCodec[T]) Encode(key string, v *T) (types.AttributeValue, error) {
	av, _, err := c.EncodeSized(key, v)
	return av, err
}

// EncodeSized is Encode, and also returns the value's size as DynamoDB
// counts it (internal/capacity.AttributeSize), measured by the walk that
// checks the value: a repository's size check of the item then need not
// walk the data a second time.
//
// Types the compiled encoder supports (see mapenc.go) are encoded, checked
// and sized in one walk; the others by attributevalue, then checked and
// sized by checkStorable. Both give the same value and the same errors.
func (mapCodec[T]) EncodeSized(_ string, v *T) (types.AttributeValue, int, error) {
	// A compiled type passed checkEncodable and holds no interface, so
	// checkEncodableValue has nothing to say about its values.
	if plan := mapPlanFor(reflect.TypeFor[T]()); plan != nil && v != nil {
		return plan.encode(unsafe.Pointer(v))
	}
	if err := checkEncodableValue(reflect.ValueOf(v)); err != nil {
		return nil, 0, fmt.Errorf("codec: map encode: %w", err)
	}
	// Embedded fields never take the compiled path (mapenc.go).
	if err := checkEmbedded(reflect.TypeFor[T](), FormatMap); err != nil {
		return nil, 0, fmt.Errorf("codec: map encode: %w", err)
	}
	return encodeMapAV(v)
}

// encodeMapAV is EncodeSized by attributevalue, for every type.
func encodeMapAV[T any](v *T) (types.AttributeValue, int, error) {
	var x any = v
	if w, changed := mapRewriter.rewrite(reflect.ValueOf(v).Elem()); changed {
		x = pointerTo(w)
	}
	av, err := mapEncoder.Encode(x)
	if err != nil {
		var invalid *attributevalue.InvalidMarshalError
		if errors.As(err, &invalid) { // an empty map key, refused by attributevalue
			return nil, 0, fmt.Errorf("codec: map encode: %w: %w", ErrUnsupported, err)
		}
		return nil, 0, fmt.Errorf("codec: map encode: %w", err)
	}
	size, err := checkStorable(reflect.TypeOf(v), av)
	if err != nil {
		return nil, 0, fmt.Errorf("codec: map encode: %w", err)
	}
	if size > capacity.MaxItemBytes {
		return nil, 0, errOverItemLimit
	}
	if _, ok := av.(*types.AttributeValueMemberM); !ok {
		return nil, 0, fmt.Errorf("codec: map encode: %T encodes to %s, not a map (use a struct or map type)", v, typeName(av))
	}
	return av, size, nil
}

func (c mapCodec[T]) Decode(key string, av types.AttributeValue, v *T) error {
	return c.DecodeInto(key, av, v)
}

// DecodeInto is Decode into ptr, a non-nil pointer to any type: what
// internal/codecs.DecodeAs calls to read a session stored for a T as the
// shape it had before a deploy changed it.
func (mapCodec[T]) DecodeInto(_ string, av types.AttributeValue, ptr any) error {
	if _, ok := av.(*types.AttributeValueMemberM); !ok {
		return fmt.Errorf("codec: map decode: %w", wrongType("M", av))
	}
	if err := decodeMap(av, ptr); err != nil {
		return fmt.Errorf("codec: map decode: %w", err)
	}
	return nil
}

// decodeMap fills ptr, a non-nil pointer, from av as the Map codec reads:
// numbers in their canonical spelling, and exact in interface values. The
// compiled decoder (decodeMapFast) decodes what it covers, into a zero
// value; everything else, errors included, is decodeMapReference's.
func decodeMap(av types.AttributeValue, ptr any) error {
	if decodeMapFast(av, ptr) {
		return nil
	}
	return decodeMapReference(av, ptr)
}

// decodeMapReference is the Map codec's decode by definition:
// canonicalNumbers, attributevalue's Decoder, exactNumbers.
func decodeMapReference(av types.AttributeValue, ptr any) (err error) {
	// attributevalue v1.21.19 panics on some stored values: a B whose
	// length differs from a byte array's (decodeBinary calls
	// reflect.Value.SetLen on the array), a typed nil member. No stored
	// value may end the process: it is an error like any undecodable one.
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("attributevalue cannot decode the stored value into %T: %v", ptr, r)
		}
	}()
	av, _ = canonicalNumbers(av)
	if err := mapDecoder.Decode(av, ptr); err != nil {
		return err
	}
	return exactNumbers(reflect.ValueOf(ptr).Elem(), ownsMapDecoding)
}
