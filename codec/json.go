package codec

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// JSON stores a session as JSON text in a string attribute (S), with
// encoding/json, and writes `type: connect-session` beside it: the record
// format of connect-dynamodb, so a connect-dynamodb app and a Go service can
// share one table (use the prefix `sess:` there).
//
// time.Time fields are RFC 3339 strings with nanoseconds, the same text
// JavaScript's JSON.stringify writes for a Date (which keeps milliseconds);
// see the package documentation for zones and for numbers in interface
// values. Encode refuses strings and map keys that are not valid UTF-8
// ([ErrInvalidUTF8]), which encoding/json would store as U+FFFD.
// The zero value is ready to use.
type JSON[T any] struct {
	// Exclusive declares that only this library writes the table's JSON
	// records (no connect-dynamodb app shares it any more). The encoding is
	// then trusted as canonical: a repository's Save compares bytes only
	// and skips decoding the stored text, which is most of the cost of
	// saving changed data. Leave it false while connect-dynamodb writes the
	// table: its JSON has other key orders and fields.
	Exclusive bool
}

// Canonical reports Exclusive: encoding/json is deterministic (struct
// fields in order, map keys sorted).
func (c JSON[T]) Canonical() bool { return c.Exclusive }

// ConnectSessionType is the value connect-dynamodb writes in its `type`
// attribute.
const ConnectSessionType = "connect-session"

var connectTypeAttrs = map[string]types.AttributeValue{
	"type": &types.AttributeValueMemberS{Value: ConnectSessionType},
}

// Format reports [FormatJSON].
func (JSON[T]) Format() Format { return FormatJSON }

// Marshal returns v as JSON text.
func (JSON[T]) Marshal(v *T) ([]byte, error) {
	var x any = v
	if w, changed := jsonRewriter.rewrite(reflect.ValueOf(v).Elem()); changed {
		x = pointerTo(w)
	}
	b, err := json.Marshal(x)
	if unsupportedJSON(err) {
		return nil, fmt.Errorf("codec: json encode: %w: %w", ErrUnsupported, err)
	}
	if err != nil {
		return nil, fmt.Errorf("codec: json encode: %w", err)
	}
	if replacedInvalidUTF8(b) || !utf8.Valid(b) {
		return nil, fmt.Errorf("codec: json encode: %w: %w: a string or map key (encoding/json would store U+FFFD in its place)", ErrUnsupported, ErrInvalidUTF8)
	}
	return b, nil
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
func (JSON[T]) Unmarshal(data []byte, v *T) error {
	if err := decodeJSON(data, v); err != nil {
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

// Encode returns v as an S attribute holding JSON text.
func (c JSON[T]) Encode(_ string, v *T) (types.AttributeValue, error) {
	b, err := c.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &types.AttributeValueMemberS{Value: string(b)}, nil
}

// Decode fills v from an S attribute holding JSON text.
func (c JSON[T]) Decode(_ string, av types.AttributeValue, v *T) error {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("codec: json decode: %w", wrongType("S", av))
	}
	return c.Unmarshal([]byte(s.Value), v)
}

// ExtraAttributes returns `type: connect-session`, which connect-dynamodb
// writes with every session. The returned map must not be modified.
func (JSON[T]) ExtraAttributes() map[string]types.AttributeValue { return connectTypeAttrs }

// ErrLossy reports a stored value that decodes, but not exactly: writing
// the decoded value back would change the stored data although nobody
// changed the session.
var ErrLossy = errors.New("codec: stored value does not decode exactly")

// Lossy returns an error wrapping [ErrLossy] when a session read from
// stored cannot be written back with codec to exactly as it is stored, and
// nil when it can. It is what a rewrite that nobody asked for (a
// repository's RewriteOnRead, the migration tool) checks first, so that it
// never changes data:
//
//   - JSON text (an S attribute) holding an unpaired UTF-16 surrogate
//     escape such as \ud800: JavaScript's JSON.stringify writes one for a
//     string cut between the halves of a surrogate pair (a nickname
//     truncated in the middle of an emoji), and encoding/json decodes it
//     as U+FFFD, which Go strings hold where the escape stood;
//   - a Map or JSON value holding fields T does not declare, when to does
//     not keep them (only [Map] and [JSON] do; see [KeepUnknown]).
func Lossy[T any](to Codec[T], stored types.AttributeValue) error {
	if s, ok := stored.(*types.AttributeValueMemberS); ok && hasLoneSurrogate(s.Value) {
		return fmt.Errorf("%w: JSON holds an unpaired UTF-16 surrogate escape, which Go decodes as U+FFFD", ErrLossy)
	}
	if _, keeps := to.(unknownKeeper); keeps || to == nil {
		return nil
	}
	v, ok := asValue(stored)
	if !ok {
		return nil
	}
	_, isJSON := stored.(*types.AttributeValueMemberS)
	if sh := shapeOf(reflect.TypeFor[T](), isJSON); sh.kind != opaque && hasUnknown(sh, v) {
		return fmt.Errorf("%w: the stored session holds fields %v does not declare, which the %s format cannot keep", ErrLossy, reflect.TypeFor[T](), to.Format())
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
