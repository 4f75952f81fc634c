package codec

import (
	"errors"
	"fmt"
	"reflect"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Map stores a session as a native DynamoDB map (M), field by field, with
// attributevalue. It is the format @pwrdrvr/dynamodb-session-store writes.
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
// empty map keys and keys over 64 KB, and strings or keys that are not
// valid UTF-8 ([ErrInvalidUTF8]).
//
// T must be a struct or a map type: a T that does not encode to a DynamoDB
// map is an error, so a Map record can never be mistaken for another format.
// The zero value is ready to use.
type Map[T any] struct {
	// Exclusive declares that only this library writes the table's Map
	// records (no Node.js app shares it any more). The encoding is then
	// trusted as canonical: a repository's Save compares bytes only and
	// skips decoding the stored value, a third of the cost of saving
	// changed data. Leave it false while a Node.js store writes the table,
	// or a session it wrote would be rewritten by a request that only read
	// it (its map holds keys our struct does not, in another order).
	Exclusive bool
}

// Canonical reports Exclusive: attributevalue's encoding of a value is
// deterministic, and maps compare by key.
func (c Map[T]) Canonical() bool { return c.Exclusive }

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

// Format reports [FormatMap].
func (Map[T]) Format() Format { return FormatMap }

// Encode returns v as an M attribute.
func (Map[T]) Encode(_ string, v *T) (types.AttributeValue, error) {
	if err := checkEncodableValue(reflect.ValueOf(v)); err != nil {
		return nil, fmt.Errorf("codec: map encode: %w", err)
	}
	var x any = v
	if w, changed := mapRewriter.rewrite(reflect.ValueOf(v).Elem()); changed {
		x = pointerTo(w)
	}
	av, err := mapEncoder.Encode(x)
	if err != nil {
		var invalid *attributevalue.InvalidMarshalError
		if errors.As(err, &invalid) { // an empty map key, refused by attributevalue
			return nil, fmt.Errorf("codec: map encode: %w: %w", ErrUnsupported, err)
		}
		return nil, fmt.Errorf("codec: map encode: %w", err)
	}
	if err := checkStorable(reflect.TypeOf(v), av); err != nil {
		return nil, fmt.Errorf("codec: map encode: %w", err)
	}
	if _, ok := av.(*types.AttributeValueMemberM); !ok {
		return nil, fmt.Errorf("codec: map encode: %T encodes to %s, not a map (use a struct or map type)", v, typeName(av))
	}
	return av, nil
}

// Decode fills v from an M attribute.
func (Map[T]) Decode(_ string, av types.AttributeValue, v *T) error {
	if _, ok := av.(*types.AttributeValueMemberM); !ok {
		return fmt.Errorf("codec: map decode: %w", wrongType("M", av))
	}
	if err := decodeMap(av, v); err != nil {
		return fmt.Errorf("codec: map decode: %w", err)
	}
	return nil
}

// decodeMap fills ptr, a non-nil pointer, from av as the Map codec reads:
// numbers in their canonical spelling, and exact in interface values.
func decodeMap(av types.AttributeValue, ptr any) error {
	av, _ = canonicalNumbers(av)
	if err := mapDecoder.Decode(av, ptr); err != nil {
		return err
	}
	return exactNumbers(reflect.ValueOf(ptr).Elem(), ownsMapDecoding)
}
