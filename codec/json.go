package codec

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/wire"
)

// JSON returns a codec that stores a session as JSON text in a string
// attribute (S), with encoding/json, and writes `type: connect-session`
// beside it: the record format of connect-dynamodb, so a connect-dynamodb
// app and a Go service can share one table (use the prefix `sess:` there).
// optFns configure it, applied in order to the default [Options]. Its
// Marshal and Unmarshal read and write the JSON text itself, which
// [Compressed] can wrap.
//
// time.Time fields are RFC 3339 strings with nanoseconds, the same text
// JavaScript's JSON.stringify writes for a Date (which keeps milliseconds);
// see the package documentation for zones and for numbers in interface
// values. Encode refuses strings and map keys that are not valid UTF-8
// (an error wrapping [ErrUnsupported]), which encoding/json would store as
// U+FFFD.
func JSON[T any](optFns ...func(*Options)) Binary[T] {
	return jsonCodec[T]{exclusive: options(optFns).Exclusive}
}

type jsonCodec[T any] struct{ exclusive bool }

// Canonical reports Options.Exclusive: a repository then takes different
// bytes for different data.
func (c jsonCodec[T]) Canonical() bool { return c.exclusive }

var connectTypeAttrs = map[string]types.AttributeValue{
	"type": &types.AttributeValueMemberS{Value: wire.ConnectSessionType},
}

func (jsonCodec[T]) Format() Format { return FormatJSON }

func (jsonCodec[T]) Marshal(v *T) ([]byte, error) {
	if err := checkEmbedded(reflect.TypeFor[T](), FormatJSON); err != nil {
		return nil, fmt.Errorf("codec: json encode: %w", err)
	}
	var x any = v
	// The walk only where the compiled check cannot tell that it would
	// replace nothing.
	if s := jsonTimeScan(reflect.TypeFor[T]()); s == nil || s.needsUTC(unsafe.Pointer(v)) {
		if w, changed := jsonRewriter.rewrite(reflect.ValueOf(v).Elem()); changed {
			x = pointerTo(w)
		}
	}
	b, err := json.Marshal(x)
	if unsupportedJSON(err) {
		return nil, fmt.Errorf("codec: json encode: %w: %w", ErrUnsupported, err)
	}
	if err != nil {
		return nil, fmt.Errorf("codec: json encode: %w", err)
	}
	if replacedInvalidUTF8(b) || mayWriteRawJSON(reflect.TypeFor[T]()) && !utf8.Valid(b) {
		return nil, fmt.Errorf("codec: json encode: %w: a string or map key is not valid UTF-8 (encoding/json would store U+FFFD in its place)", ErrUnsupported)
	}
	return b, nil
}

// rawJSONTypes caches mayWriteRawJSON's verdict per type.
var rawJSONTypes sync.Map // reflect.Type -> bool

// mayWriteRawJSON reports whether a value of type t can hold a
// json.Marshaler (json.RawMessage is one) other than time.Time, or an
// interface that could: encoding/json copies what a MarshalJSON method
// returns without checking its UTF-8, while everything it writes itself
// is valid UTF-8 (a bad byte in a string or map key, and in what a
// MarshalText method returns, becomes \ufffd). Only then must Marshal
// scan the whole text for invalid UTF-8 (2% of a JSON Put).
func mayWriteRawJSON(t reflect.Type) bool {
	return typeHolds(&rawJSONTypes, t, func(t reflect.Type) (bool, bool) {
		switch {
		case t.Kind() == reflect.Interface:
			return true, false
		case t == timeType:
			return false, true // RFC 3339 text: ASCII
		}
		return t.Implements(jsonMarshaler) || reflect.PointerTo(t).Implements(jsonMarshaler), false
	})
}

// jsonRewriter rewrites what encoding/json would write inexactly: times
// whose offset RFC 3339 cannot write, floats in interface values.
var jsonRewriter = &rewriter{enter: mayHoldTime, leaf: jsonLeaf}

func jsonLeaf(v reflect.Value, inIface bool) (reflect.Value, bool) {
	if w, changed := utcTime(v, inIface); changed {
		return w, true
	}
	return exactFloatIn(v, inIface)
}

// unsupportedJSON reports encoding/json's refusals of a value JSON cannot
// hold: NaN and infinities, channels and functions, and time.Time's own
// refusal of a year outside 0000 to 9999 (or an offset of a day or more,
// which Marshal writes in UTC before it gets there).
func unsupportedJSON(err error) bool {
	if err == nil {
		return false
	}
	var value *json.UnsupportedValueError
	var typ *json.UnsupportedTypeError
	var marshaler *json.MarshalerError
	return errors.As(err, &value) || errors.As(err, &typ) ||
		errors.As(err, &marshaler) && (marshaler.Type == timeType || marshaler.Type == reflect.PointerTo(timeType))
}

// replacedInvalidUTF8 reports whether encoding/json replaced invalid UTF-8
// in its output: it writes the escape \ufffd for each bad byte, and a
// valid U+FFFD as the character itself, so the escape not preceded by an
// escaping backslash is the trace of a bad byte.
func replacedInvalidUTF8(b []byte) bool {
	const esc = `\ufffd`
	for i := bytes.Index(b, []byte(esc)); i >= 0; {
		n := 0
		for j := i - 1; j >= 0 && b[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return true
		}
		next := bytes.Index(b[i+len(esc):], []byte(esc))
		if next < 0 {
			break
		}
		i += len(esc) + next
	}
	return false
}

var jsonUnmarshaler = reflect.TypeFor[json.Unmarshaler]()

// ownsJSONDecoding reports types that decode themselves from JSON:
// exactNumbers leaves what they hold alone.
func ownsJSONDecoding(t reflect.Type) bool {
	return t.Implements(jsonUnmarshaler) || reflect.PointerTo(t).Implements(jsonUnmarshaler)
}

// Unmarshal fills v from JSON text. Numbers in interface values are read
// exactly (see the package documentation).
func (c jsonCodec[T]) Unmarshal(data []byte, v *T) error {
	return c.unmarshalInto(data, v)
}

func (jsonCodec[T]) unmarshalInto(data []byte, ptr any) (err error) {
	// encoding/json calls a type's own UnmarshalJSON, which may panic on
	// what it is given (a struct embedding *time.Time has time's method
	// promoted, called on the nil pointer). No stored value may end the
	// process: it is an error like any undecodable one.
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("codec: json decode: %T panicked decoding the stored value: %v", ptr, p)
		}
	}()
	if err := decodeJSON(data, ptr); err != nil {
		return fmt.Errorf("codec: json decode: %w", err)
	}
	return nil
}

// decodeJSON fills ptr, a non-nil pointer, from JSON text as the JSON codec
// reads: numbers in interface values exact.
func decodeJSON(data []byte, ptr any) error {
	if !holdsInterface(reflect.TypeOf(ptr).Elem()) {
		return json.Unmarshal(data, ptr)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(ptr); err != nil {
		return err
	}
	if rest := bytes.TrimLeft(data[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return fmt.Errorf("invalid character %q after top-level value", rest[0])
	}
	return exactNumbers(reflect.ValueOf(ptr).Elem(), ownsJSONDecoding)
}

func (c jsonCodec[T]) Encode(_ string, v *T) (types.AttributeValue, error) {
	b, err := c.Marshal(v)
	if err != nil {
		return nil, err
	}
	// b is json.Marshal's own copy of its buffer, which nothing else holds
	// or changes: the string can share it. string(b) copied a session's
	// text once more (about 4% of a JSON Put).
	return &types.AttributeValueMemberS{Value: unsafe.String(unsafe.SliceData(b), len(b))}, nil
}

// Deterministic reports whether Encode writes the same text for equal
// data, every time: T holds no interface and no type that writes itself
// (a MarshalJSON or MarshalText method) other than time.Time, so all of
// its text is encoding/json's own, which writes struct fields in
// declaration order and sorts map keys (encoding/json's documentation).
// A repository then tells from the bytes alone whether data it wrote
// itself has changed.
func (jsonCodec[T]) Deterministic() bool {
	return !writesItself(reflect.TypeFor[T]())
}

// selfWritingTypes caches writesItself's verdict per type.
var selfWritingTypes sync.Map // reflect.Type -> bool

var jsonTextMarshaler = reflect.TypeFor[encoding.TextMarshaler]()

// writesItself reports whether a value of type t can hold an interface,
// or a type other than time.Time whose MarshalJSON or MarshalText method
// encoding/json calls (for a value or, addressable, through a pointer;
// for a map key, MarshalText): code this package does not know, which may
// write equal data differently each time.
func writesItself(t reflect.Type) bool {
	return typeHolds(&selfWritingTypes, t, func(t reflect.Type) (bool, bool) {
		switch {
		case t.Kind() == reflect.Interface:
			return true, false
		case t == timeType:
			return false, true
		case t.Kind() == reflect.Pointer:
			return false, false // its element tells, for both receivers
		}
		for _, m := range []reflect.Type{jsonMarshaler, jsonTextMarshaler} {
			if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
				return true, false
			}
		}
		return false, false
	})
}

func (c jsonCodec[T]) Decode(key string, av types.AttributeValue, v *T) error {
	return c.DecodeInto(key, av, v)
}

// DecodeInto is Decode into ptr, a non-nil pointer to any type; see
// [mapCodec.DecodeInto].
func (c jsonCodec[T]) DecodeInto(_ string, av types.AttributeValue, ptr any) error {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("codec: json decode: %w", wrongType("S", av))
	}
	return c.unmarshalInto([]byte(s.Value), ptr)
}

// ExtraAttributes returns `type: connect-session`, which connect-dynamodb
// writes with every session: a repository writes it beside the data. The
// returned map must not be modified.
func (jsonCodec[T]) ExtraAttributes() map[string]types.AttributeValue { return connectTypeAttrs }

// Lossy reports, as an error wrapping [ErrUnsupported], what decoding
// stored (an S attribute) into a T loses that writing the session back
// would not restore: an unpaired UTF-16 surrogate escape such as \ud800
// (JavaScript's JSON.stringify writes one for a string cut between the
// halves of a surrogate pair, a nickname truncated in the middle of an
// emoji, and encoding/json decodes it as U+FFFD), and, unless keepsUnknown
// (the writing codec puts them back, as Map and JSON do), fields T does not
// declare. internal/codecs.Lossy calls it.
func (jsonCodec[T]) Lossy(stored types.AttributeValue, keepsUnknown bool) error {
	s, ok := stored.(*types.AttributeValueMemberS)
	if !ok {
		return nil
	}
	if hasLoneSurrogate(s.Value) {
		return fmt.Errorf("%w: the stored JSON holds an unpaired UTF-16 surrogate escape, which Go decodes as U+FFFD", ErrUnsupported)
	}
	if keepsUnknown {
		return nil
	}
	return unknownFields[T](stored, true)
}

// unknownFields reports a stored Map or JSON value that holds fields T
// does not declare, under the naming rules of JSON (isJSON) or Map.
func unknownFields[T any](stored types.AttributeValue, isJSON bool) error {
	v, ok := asValue(stored)
	if !ok {
		return nil
	}
	if sh := shapeOf(reflect.TypeFor[T](), isJSON); sh.kind != opaque && hasUnknown(sh, v) {
		return fmt.Errorf("%w: the stored session holds fields %v does not declare", ErrUnsupported, reflect.TypeFor[T]())
	}
	return nil
}

// hasLoneSurrogate reports a \uD800-\uDFFF escape in JSON text that is not
// a high surrogate followed by a low one.
func hasLoneSurrogate(b string) bool {
	hex := func(i int) (uint64, bool) {
		if i+6 > len(b) || b[i] != '\\' || b[i+1] != 'u' {
			return 0, false
		}
		r, err := strconv.ParseUint(b[i+2:i+6], 16, 16)
		return r, err == nil
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		r, ok := hex(i)
		if !ok {
			i++ // an escaped character such as \\ or \"
			continue
		}
		switch {
		case r >= 0xDC00 && r <= 0xDFFF:
			return true
		case r >= 0xD800 && r <= 0xDBFF:
			lo, ok := hex(i + 6)
			if !ok || lo < 0xDC00 || lo > 0xDFFF {
				return true
			}
			i += 6
		}
		i += 5
	}
	return false
}
