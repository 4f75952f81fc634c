package dynamosession

import (
	"bytes"
	"encoding"
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/jsontag"
)

// A JSON Save usually changes a scalar or two (a counter, a flag): the
// members that differ are then compared field by field, each pair of
// value texts decoded as encoding/json decodes them into that field of a
// T, instead of decoding both sides into a zero T (a fifth of a JSON
// Save's CPU). The two agree because encoding/json decodes an object
// member by member, each into the field of the member's key, and a zero
// T's other fields compare equal on both sides.
//
// Only what is certainly the same is taken this way; anything else falls
// back to the zero-T decode: a key that names no field by exactly its
// name (encoding/json then matches ignoring case, or ignores it), a T with
// embedded fields (promotion rules) or that decodes itself, two fields of
// one name, a `,string` field, a field whose type is not a bool, integer,
// float or string kind, or that decodes itself (json.Unmarshaler,
// encoding.TextUnmarshaler, json.Number), time.Time excepted: a time
// field's two texts are decoded into two time.Time values (sameTime).

// jsonField is a top-level field of T a member can be compared with.
type jsonField struct {
	typ reflect.Type
	// plain: a bool, integer, float or string kind whose decoding is
	// encoding/json's own (no method, no `,string`, one field of its
	// name); other fields fall back.
	plain bool
	// isTime: a time.Time (exactly that type, one field of its name),
	// compared by decoding both texts into time.Time values (sameTime).
	isTime bool
}

// jsonFieldTables caches jsonFieldsOf per type: the walk is by type.
var jsonFieldTables sync.Map // reflect.Type -> map[string]jsonField (nil: no table)

// jsonFieldsOf returns the top-level fields of struct type t by the name
// encoding/json gives them (encode.go typeFields: the `json` tag's name if
// jsontag.ValidName, else the Go name; `-` and unexported fields ignored), or
// nil when t is not a struct, decodes itself, or embeds a field.
func jsonFieldsOf(t reflect.Type) map[string]jsonField {
	if m, ok := jsonFieldTables.Load(t); ok {
		return m.(map[string]jsonField)
	}
	m := buildJSONFields(t)
	jsonFieldTables.Store(t, m)
	return m
}

func buildJSONFields(t reflect.Type) map[string]jsonField {
	if t.Kind() != reflect.Struct || decodesItself(t) {
		return nil
	}
	m := make(map[string]jsonField, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil // promoted fields and their conflicts: not worth replicating
		}
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !jsontag.ValidName(name) {
			name = ""
		}
		if name == "" {
			name = sf.Name
		}
		if _, dup := m[name]; dup {
			m[name] = jsonField{} // encoding/json's dominance rules decide: fall back
			continue
		}
		m[name] = jsonField{
			typ:    sf.Type,
			plain:  plainScalar(sf.Type) && !hasOption(opts, "string"),
			isTime: sf.Type == timeType && !hasOption(opts, "string"),
		}
	}
	return m
}

var (
	jsonUnmarshalerType = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
	jsonNumberType      = reflect.TypeFor[json.Number]()
)

// decodesItself reports a type encoding/json hands its text to
// (UnmarshalJSON, or UnmarshalText for a string).
func decodesItself(t reflect.Type) bool {
	for _, m := range []reflect.Type{jsonUnmarshalerType, textUnmarshalerType} {
		if t.Implements(m) || reflect.PointerTo(t).Implements(m) {
			return true
		}
	}
	return false
}

// plainScalar reports a bool, integer, float or string kind that
// encoding/json decodes itself (literalStore), json.Number excepted.
func plainScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.String,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64:
		return t != jsonNumberType && !decodesItself(t)
	}
	return false
}

// hasOption reports whether the comma-separated tag options opts hold o.
func hasOption(opts, o string) bool {
	for opts != "" {
		var next string
		next, opts, _ = strings.Cut(opts, ",")
		if next == o {
			return true
		}
	}
	return false
}

// samePairs reports whether the differing members pairs (a diff made in
// step, so every key is one the fresh encoding holds) hold the same data;
// ok is false when it cannot tell this way (see above).
func (r *Repo[T]) samePairs(pairs []jsonPair) (same, ok bool) {
	if !r.decodesJSONWithEncodingJSON() {
		return false, false
	}
	fields := jsonFieldsOf(reflect.TypeFor[T]())
	if fields == nil {
		return false, false
	}
	for _, p := range pairs {
		f, found := fields[string(p.key)]
		var eq, ok bool
		switch {
		case found && f.plain:
			eq, ok = sameScalar(f.typ, p.stored, p.fresh)
		case found && f.isTime:
			eq, ok = sameTime(p.stored, p.fresh)
		}
		switch {
		case !ok:
			return false, false
		case !eq:
			return false, true // a field differs: the data changed
		}
	}
	return true, true
}

// decodesJSONWithEncodingJSON reports whether the repository reads JSON
// with codec.JSON, which decodes with encoding/json (other types than
// interfaces as json.Unmarshal does): the comparison above is that one.
func (r *Repo[T]) decodesJSONWithEncodingJSON() bool {
	c, ok := r.reader.Codec(codec.FormatJSON)
	return ok && reflect.TypeOf(c) == reflect.TypeOf(codec.JSON[T]())
}

// sameScalar reports whether the JSON value texts a and b decode to equal
// values of t, a plainScalar type, as encoding/json decodes them; ok is
// false when either does not decode. Plain literals are read here as
// encoding/json's literalStore reads them (strconv with the type's bits;
// a string without escapes or bytes beyond ASCII is its bytes); others
// (null, escapes, a type mismatch) go through json.Unmarshal itself.
func sameScalar(t reflect.Type, a, b []byte) (same, ok bool) {
	if same, ok := sameLiteral(t, a, b); ok {
		return same, true
	}
	x, y := reflect.New(t), reflect.New(t)
	if json.Unmarshal(a, x.Interface()) != nil || json.Unmarshal(b, y.Interface()) != nil {
		return false, false
	}
	return x.Elem().Equal(y.Elem()), true
}

// timeType is time.Time's type.
var timeType = reflect.TypeFor[time.Time]()

// sameTime reports whether the JSON value texts a and b decode to the
// same time.Time field of a zero T, as the zero-T decode would compare
// them (reflect.DeepEqual: the same instant in the same location, so
// "…Z" and "…+00:00" differ there as here); ok is false when either does
// not decode. json.Unmarshal into a time.Time is what decoding the member
// into the field does: time.Time's UnmarshalJSON with the member's text
// (RFC 3339 with any fraction; null leaves the zero time, as in a zero T).
// A Node app writes milliseconds ("…12:00:00.000Z") where Go writes
// none: both decode the same, and Save of such a record sends nothing
// without decoding two Ts.
func sameTime(a, b []byte) (same, ok bool) {
	var xy [2]time.Time
	if json.Unmarshal(a, &xy[0]) != nil || json.Unmarshal(b, &xy[1]) != nil {
		return false, false
	}
	return reflect.DeepEqual(xy[0], xy[1]), true
}

// sameLiteral is sameScalar for the literals it reads as encoding/json
// does without its help; ok is false for any other.
func sameLiteral(t reflect.Type, a, b []byte) (same, ok bool) {
	switch t.Kind() {
	case reflect.Bool:
		x, ok1 := jsonBool(a)
		y, ok2 := jsonBool(b)
		return x == y, ok1 && ok2
	case reflect.String:
		x, ok1 := plainString(a)
		y, ok2 := plainString(b)
		return bytes.Equal(x, y), ok1 && ok2
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		x, ok1 := jsonInt(t, a)
		y, ok2 := jsonInt(t, b)
		return x == y, ok1 && ok2
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		x, ok1 := jsonUint(t, a)
		y, ok2 := jsonUint(t, b)
		return x == y, ok1 && ok2
	case reflect.Float32, reflect.Float64:
		x, ok1 := jsonFloat(t, a)
		y, ok2 := jsonFloat(t, b)
		return x == y, ok1 && ok2
	}
	return false, false
}

func jsonBool(text []byte) (v, ok bool) {
	switch string(text) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// plainString returns what the JSON string text stands for when it is
// its own bytes: quoted, no escape, only printable ASCII (encoding/json
// replaces invalid UTF-8, which a byte beyond ASCII may begin).
func plainString(text []byte) ([]byte, bool) {
	if len(text) < 2 || text[0] != '"' || text[len(text)-1] != '"' {
		return nil, false
	}
	inner := text[1 : len(text)-1]
	for _, c := range inner {
		if c < 0x20 || c >= 0x80 || c == '\\' || c == '"' {
			return nil, false
		}
	}
	return inner, true
}

// isNumber reports text of JSON's number grammar (RFC 8259 section 6,
// as encoding/json's isValidNumber): what literalStore hands strconv.
// strconv takes more ("+1", "0x1p-2", "inf", "1_0" with base 0), which
// JSON that decoded never holds; checked all the same, so that this
// comparison never reads a text otherwise than encoding/json would.
func isNumber(text []byte) bool {
	i := 0
	digits := func() int {
		start := i
		for i < len(text) && '0' <= text[i] && text[i] <= '9' {
			i++
		}
		return i - start
	}
	if i < len(text) && text[i] == '-' {
		i++
	}
	switch {
	case i < len(text) && text[i] == '0':
		i++
	case digits() == 0:
		return false
	}
	if i < len(text) && text[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
		i++
		if i < len(text) && (text[i] == '+' || text[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(text)
}

func jsonInt(t reflect.Type, text []byte) (int64, bool) {
	if !isNumber(text) {
		return 0, false
	}
	n, err := strconv.ParseInt(string(text), 10, 64)
	return n, err == nil && !t.OverflowInt(n)
}

func jsonUint(t reflect.Type, text []byte) (uint64, bool) {
	if !isNumber(text) {
		return 0, false
	}
	n, err := strconv.ParseUint(string(text), 10, 64)
	return n, err == nil && !t.OverflowUint(n)
}

func jsonFloat(t reflect.Type, text []byte) (float64, bool) {
	if !isNumber(text) {
		return 0, false
	}
	n, err := strconv.ParseFloat(string(text), t.Bits())
	return n, err == nil && !t.OverflowFloat(n)
}
