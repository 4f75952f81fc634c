package codec

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// ErrUnsupported reports a session a codec cannot store faithfully, so
// nothing is written: a value of a kind the format cannot hold (a channel,
// a function, NaN for JSON), a number DynamoDB refuses, maps and lists
// nested deeper than DynamoDB allows, a string or map key that is not
// valid UTF-8 (the SDK and encoding/json would store U+FFFD in place of
// the bad bytes, so what DynamoDB holds would differ from the session, and
// every later Save of the same data would be seen as a change and written
// again), or a stored field the session type does not declare that cannot
// be carried into the format written (see the package documentation). The
// error's message names the value and its path in the session.
var ErrUnsupported = errors.New("codec: unsupported value")

// checked caches checkEncodable's verdict per type: the walk is by type, so
// it runs once per type, not once per session.
var checked sync.Map // reflect.Type -> error (nil stored as errOK)

var errOK = errors.New("ok")

// checkEncodable rejects types holding channels, functions, complex numbers
// or unsafe pointers. attributevalue silently drops such fields, which
// would lose session data without a word; the other codecs already fail on
// them.
func checkEncodable(t reflect.Type) error {
	if v, ok := checked.Load(t); ok {
		if v.(error) == errOK {
			return nil
		}
		return v.(error)
	}
	err := walkType(t, map[reflect.Type]bool{}, "")
	if err == nil {
		checked.Store(t, errOK)
	} else {
		checked.Store(t, err)
	}
	return err
}

func walkType(t reflect.Type, seen map[reflect.Type]bool, path string) error {
	if t == nil || seen[t] {
		return nil
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		where := strings.TrimPrefix(path, ".")
		if where == "" {
			where = "value"
		}
		return fmt.Errorf("%w: %s has kind %s", ErrUnsupported, where, t.Kind())
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return walkType(t.Elem(), seen, path+"[]")
	case reflect.Map:
		if err := walkType(t.Key(), seen, path+"{key}"); err != nil {
			return err
		}
		return walkType(t.Elem(), seen, path+"{}")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" || f.Tag.Get("dynamodbav") == "-" {
				continue
			}
			if err := walkType(f.Type, seen, path+"."+f.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkEncodableValue is checkEncodable and, for types that can hold
// interface values (map[string]any, []any, a field of type any), a walk of
// the value itself. The type cannot tell what an interface holds, and
// attributevalue silently drops the channels, functions and complex
// numbers it finds there (a list then loses the element and shifts the
// rest), which would lose session data without a word.
//
// It also refuses ±math.MaxFloat32 where a float32 is decoded back into a
// float32 (see holdsFloat32).
func checkEncodableValue(v reflect.Value) error {
	if err := checkEncodable(v.Type()); err != nil {
		return err
	}
	if err := checkMaxFloat32(v); err != nil {
		return err
	}
	if !holdsInterface(v.Type()) {
		return nil
	}
	return walkValue(v, map[visit]bool{}, "")
}

// checkMaxFloat32 refuses ±math.MaxFloat32 where v holds a float32 that
// is decoded back into a float32 (see holdsFloat32); it walks only values
// of types that can hold one.
func checkMaxFloat32(v reflect.Value) error {
	if !holdsFloat32(v.Type()) {
		return nil
	}
	path, found := maxFloat32(v, 0)
	if !found {
		return nil
	}
	where := strings.TrimPrefix(path, ".")
	if where == "" {
		where = "value"
	}
	return fmt.Errorf("%w: %s is float32 %g (math.MaxFloat32), which attributevalue writes as a number its decoder refuses for a float32; use a float64", ErrUnsupported, where, math.MaxFloat32)
}

// float32s caches holdsFloat32's verdict per type.
var float32s sync.Map // reflect.Type -> bool

// holdsFloat32 reports whether a value of type t can hold a float32 that
// attributevalue encodes itself and decodes back into a float32: not in
// an interface (there it is written as the float64 it is, see
// exactFloatIn, and read back into the interface) and not in a type that
// encodes itself. attributevalue v1.21.19 writes a float32 in float32's
// shortest spelling (strconv.FormatFloat(f, 'f', -1, 32)) and reads it
// with strconv.ParseFloat(s, 64) and an overflow check: ±math.MaxFloat32
// is written 340282350000000000000000000000000000000, more than
// MaxFloat32 as a float64, which its decoder refuses as an overflow; a
// Put of it succeeded, and every Get of the record failed.
func holdsFloat32(t reflect.Type) bool {
	return typeHolds(&float32s, t, func(t reflect.Type) (bool, bool) {
		if t.Kind() == reflect.Interface || implements(t, avMarshaler) {
			return false, true
		}
		return t.Kind() == reflect.Float32, false
	})
}

// maxFloat32 returns the path in v, whose type holdsFloat32, of a float32
// ±math.MaxFloat32 (a value or a map key), built only when there is one:
// the walk itself allocates nothing. depth bounds it for a value that
// contains itself (attributevalue nests no deeper than maxNesting maps
// and lists that DynamoDB stores).
func maxFloat32(v reflect.Value, depth int) (string, bool) {
	if depth > 2*maxNesting {
		return "", false
	}
	switch v.Kind() {
	case reflect.Float32:
		return "", math.Abs(v.Float()) == math.MaxFloat32
	case reflect.Pointer:
		if !v.IsNil() {
			return maxFloat32(v.Elem(), depth+1)
		}
	case reflect.Slice, reflect.Array:
		if !holdsFloat32(v.Type().Elem()) {
			break
		}
		for i := range v.Len() {
			if p, ok := maxFloat32(v.Index(i), depth+1); ok {
				return "[" + strconv.Itoa(i) + "]" + p, true
			}
		}
	case reflect.Map:
		// A key is a string, bool or number to attributevalue.
		kt := v.Type().Key()
		keys := kt.Kind() == reflect.Float32 && holdsFloat32(kt)
		elems := holdsFloat32(v.Type().Elem())
		if !keys && !elems {
			break
		}
		for it := v.MapRange(); it.Next(); {
			if keys && math.Abs(it.Key().Float()) == math.MaxFloat32 {
				return "{key}", true
			}
			if !elems {
				continue
			}
			if p, ok := maxFloat32(it.Value(), depth+1); ok {
				return "." + fmt.Sprint(it.Key()) + p, true
			}
		}
	case reflect.Struct:
		t := v.Type()
		for i := range t.NumField() {
			if f := t.Field(i); encoded(f) && holdsFloat32(f.Type) {
				if p, ok := maxFloat32(v.Field(i), depth+1); ok {
					return "." + f.Name + p, true
				}
			}
		}
	}
	return "", false
}

// interfaces caches holdsInterface's verdict per type.
var interfaces sync.Map // reflect.Type -> bool

// holdsInterface reports whether a value of type t can hold an interface
// value anywhere a codec encodes.
func holdsInterface(t reflect.Type) bool {
	return typeHolds(&interfaces, t, func(t reflect.Type) (bool, bool) {
		return t.Kind() == reflect.Interface, false
	})
}

// typeHolds reports whether a value of type t can hold, anywhere a codec
// encodes (through pointers, slices, arrays, maps and encoded struct
// fields), a type for which leaf reports found; leaf's stop keeps the walk
// out of a type. The verdict is cached per type in cache: the walk is by
// type, so it runs once per type, not once per session.
func typeHolds(cache *sync.Map, t reflect.Type, leaf func(reflect.Type) (found, stop bool)) bool {
	if v, ok := cache.Load(t); ok {
		return v.(bool)
	}
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type) bool
	walk = func(t reflect.Type) bool {
		if seen[t] {
			return false
		}
		seen[t] = true
		if found, stop := leaf(t); found || stop {
			return found
		}
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			return walk(t.Elem())
		case reflect.Map:
			return walk(t.Key()) || walk(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				if f := t.Field(i); encoded(f) && walk(f.Type) {
					return true
				}
			}
		}
		return false
	}
	found := walk(t)
	cache.Store(t, found)
	return found
}

// encoded reports whether the codecs encode struct field f.
func encoded(f reflect.StructField) bool {
	return f.IsExported() && f.Tag.Get("json") != "-" && f.Tag.Get("dynamodbav") != "-"
}

// visit identifies a map, pointer or slice already walked, so that a
// value that contains itself does not walk forever.
type visit struct {
	ptr uintptr
	typ reflect.Type
	len int
}

func walkValue(v reflect.Value, seen map[visit]bool, path string) error {
	switch v.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		where := strings.TrimPrefix(path, ".")
		if where == "" {
			where = "value"
		}
		return fmt.Errorf("%w: %s holds a %s", ErrUnsupported, where, v.Type())
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return walkValue(v.Elem(), seen, path)
	case reflect.Pointer, reflect.Map, reflect.Slice:
		if v.IsNil() {
			return nil
		}
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return nil // []byte: binary
		}
		k := visit{ptr: uintptr(v.UnsafePointer()), typ: v.Type()}
		if v.Kind() == reflect.Slice {
			k.len = v.Len()
		}
		if seen[k] {
			return nil
		}
		seen[k] = true
		switch v.Kind() {
		case reflect.Pointer:
			return walkValue(v.Elem(), seen, path)
		case reflect.Map:
			for it := v.MapRange(); it.Next(); {
				if err := walkValue(it.Value(), seen, path+"."+fmt.Sprint(it.Key())); err != nil {
					return err
				}
			}
			return nil
		}
		fallthrough
	case reflect.Array:
		for i := range v.Len() {
			if err := walkValue(v.Index(i), seen, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if f := v.Type().Field(i); encoded(f) {
				if err := walkValue(v.Field(i), seen, path+"."+f.Name); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// maxNesting is how deep maps and lists may nest in a stored attribute,
// the attribute itself counting as the first level: DynamoDB documents
// "nested attributes up to 32 levels deep", counting the item as the
// first, and refuses more with a ValidationException ("Nesting Levels have
// exceeded supported limits"). Measured on DynamoDB Local 3.1.0: an
// attribute of 31 nested maps (or lists) is stored, 32 are refused.
const maxNesting = 31

// maxNameBytes is the longest map key DynamoDB stores, in UTF-8 bytes: an
// attribute name is 1 byte to 64 KB ("Service, account, and table quotas
// in Amazon DynamoDB"). An empty one is refused ("Empty attribute name").
const maxNameBytes = 65535

// checkAttribute rejects what DynamoDB would refuse in a stored attribute,
// or store otherwise than sent, so that the error names the problem before
// any request is made:
//
//   - maps and lists nested deeper than [maxNesting];
//   - map keys that are empty or longer than [maxNameBytes];
//   - strings, string-set members and map keys that are not valid UTF-8,
//     which the SDK sends with U+FFFD in place of the bad bytes;
//   - with numbers set, numbers DynamoDB refuses (see checkNumber).
//
// It returns an error wrapping [ErrUnsupported] whose message gives the
// path of the value inside the session.
func checkAttribute(av types.AttributeValue, numbers bool) error {
	_, err := checkSized(av, numbers)
	return err
}

// checkSized is checkAttribute, and also returns av's size as
// capacity.AttributeSize counts it, measured by the same walk: a write's
// size check then need not walk the data again (a second walk was 5% of
// a Map Put).
func checkSized(av types.AttributeValue, numbers bool) (int, error) {
	size := 0
	if err := checkAV(av, 1, numbers, &size); err != nil {
		return 0, err.withPath()
	}
	return size, nil
}

// attrError is a problem found by checkAV, with the path to it gathered
// on the way back up (so the walk builds no path while all is well).
type attrError struct {
	err  error
	path []string // innermost first
}

func (e *attrError) withPath() error {
	var b strings.Builder
	for i := len(e.path) - 1; i >= 0; i-- {
		b.WriteString(e.path[i])
	}
	where := strings.TrimPrefix(b.String(), ".")
	if where == "" {
		return e.err
	}
	return fmt.Errorf("at %s: %w", where, e.err)
}

func (e *attrError) in(step string) *attrError {
	e.path = append(e.path, step)
	return e
}

func checkAV(av types.AttributeValue, level int, numbers bool, size *int) *attrError {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		if !utf8.ValidString(v.Value) {
			return &attrError{err: invalidUTF8("string", v.Value)}
		}
		*size += len(v.Value)
	case *types.AttributeValueMemberSS:
		for _, s := range v.Value {
			if !utf8.ValidString(s) {
				return &attrError{err: invalidUTF8("string set member", s)}
			}
			*size += len(s)
		}
	case *types.AttributeValueMemberN:
		if numbers {
			if err := checkNumber(v.Value); err != nil {
				return &attrError{err: err}
			}
		}
		*size += capacity.NumberSize(v.Value)
	case *types.AttributeValueMemberNS:
		for _, n := range v.Value {
			if numbers {
				if err := checkNumber(n); err != nil {
					return &attrError{err: err}
				}
			}
			*size += capacity.NumberSize(n)
		}
	case *types.AttributeValueMemberM:
		if level > maxNesting {
			return &attrError{err: tooDeep()}
		}
		*size += capacity.DocumentOverhead + len(v.Value)*capacity.ElementOverhead
		for k, e := range v.Value {
			*size += len(k)
			switch {
			case k == "":
				return &attrError{err: fmt.Errorf("%w: empty map key (DynamoDB refuses an empty attribute name)", ErrUnsupported)}
			case len(k) > maxNameBytes:
				return &attrError{err: keyTooLong(k)}
			case !utf8.ValidString(k):
				return &attrError{err: invalidUTF8("map key", k)}
			}
			if err := checkAV(e, level+1, numbers, size); err != nil {
				return err.in("." + k)
			}
		}
	case *types.AttributeValueMemberL:
		if level > maxNesting {
			return &attrError{err: tooDeep()}
		}
		*size += capacity.DocumentOverhead + len(v.Value)*capacity.ElementOverhead
		for i, e := range v.Value {
			if err := checkAV(e, level+1, numbers, size); err != nil {
				return err.in("[" + strconv.Itoa(i) + "]")
			}
		}
	default: // B, BS, BOOL, NULL: nothing to check
		*size += capacity.AttributeSize(av)
	}
	return nil
}

func tooDeep() error {
	return fmt.Errorf("%w: maps and lists nested more than %d levels deep (DynamoDB refuses it: nesting levels exceeded)", ErrUnsupported, maxNesting)
}

func keyTooLong(k string) error {
	return fmt.Errorf("%w: map key of %d bytes (DynamoDB stores at most %d)", ErrUnsupported, len(k), maxNameBytes)
}

func invalidUTF8(what, s string) error {
	return fmt.Errorf("%w: %s %q is not valid UTF-8", ErrUnsupported, what, s)
}

// checkNumber rejects numbers DynamoDB refuses: NaN and infinities,
// which attributevalue formats as numbers anyway, and finite ones outside
// DynamoDB's range (more than 38 significant digits, a magnitude above
// 9.9999999999999999999999999999999999999E+125 or below 1E-130), which a
// float64 can hold and a session read back through an `any` can carry.
func checkNumber(s string) error {
	if n := strings.TrimLeft(s, "+-"); n == "NaN" || n == "Inf" {
		return fmt.Errorf("%w: number %s cannot be stored in DynamoDB", ErrUnsupported, s)
	}
	mantissa, exp := s, 0
	if i := strings.IndexAny(s, "eE"); i >= 0 {
		e, err := strconv.Atoi(s[i+1:])
		if err != nil {
			return nil // not a form attributevalue writes: DynamoDB will judge it
		}
		mantissa, exp = s[:i], e
	}
	whole, frac, _ := strings.Cut(strings.TrimLeft(mantissa, "+-"), ".")
	digits := whole + frac
	significant := strings.Trim(digits, "0")
	if significant == "" {
		return nil // zero
	}
	leadingZeros := len(digits) - len(strings.TrimLeft(digits, "0"))
	magnitude := len(whole) - 1 - leadingZeros + exp // the power of ten of the first significant digit
	switch {
	case len(significant) > 38:
		return fmt.Errorf("%w: number %s has %d significant digits, DynamoDB stores 38", ErrUnsupported, s, len(significant))
	case magnitude > 125 || magnitude < -130:
		return fmt.Errorf("%w: number %s is outside DynamoDB's range (1E-130 to 9.99…E+125)", ErrUnsupported, s)
	}
	return nil
}

// checkStorable is checkSized for a value of type t, with the number
// check skipped when t can only produce numbers DynamoDB holds: integers
// of at most 20 digits. Only floats, interfaces and custom marshalers can
// produce others.
func checkStorable(t reflect.Type, av types.AttributeValue) (int, error) {
	return checkSized(av, mayHoldWildNumbers(t))
}

// wildNumbers caches mayHoldWildNumbers' verdict per type.
var wildNumbers sync.Map // reflect.Type -> bool

var avMarshaler = reflect.TypeFor[attributevalue.Marshaler]()

func mayHoldWildNumbers(t reflect.Type) bool {
	return typeHolds(&wildNumbers, t, func(t reflect.Type) (bool, bool) {
		switch t.Kind() {
		case reflect.Float32, reflect.Float64, reflect.Interface:
			return true, false
		}
		return t.Implements(avMarshaler) || reflect.PointerTo(t).Implements(avMarshaler), false
	})
}
