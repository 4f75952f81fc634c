package codec

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/attr"
)

// Numbers in interface values.
//
// A decoder filling an `any` has to pick a Go type for a number, and
// float64 (encoding/json's and attributevalue's default) rounds every
// integer beyond 2^53: int64(9007199254740993) read back as
// 9007199254740992, and the next Save wrote the rounded number for good.
// The codecs of this package decode numbers exactly (JSON with UseNumber,
// Map with attributevalue's UseNumber) and then give every number in an
// interface value one Go type by the same rule, whatever the format, so a
// session reads the same through every codec:
//
//	an integer in int64's range           int64
//	a larger integer in uint64's range    uint64
//	any other number                      float64, if that float64 is
//	                                      written back as the same number
//
// A number none of these holds exactly (more digits than a float64 keeps,
// such as 0.1000000000000000000001 or 2^70 spelled out in full) is an
// error wrapping ErrUnsupported: reading it as a float64 would round it,
// and the next Save would store the rounded number.

// exactNumber returns the Go value of the number text s by the rule above.
func exactNumber(s string) (any, error) {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i, nil
	}
	if u, err := strconv.ParseUint(strings.TrimPrefix(s, "+"), 10, 64); err == nil {
		return u, nil
	}
	d, ok := attr.ParseDecimal(s)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a number", ErrUnsupported, s)
	}
	if v, ok := integer(d); ok {
		return v, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err == nil && !math.IsInf(f, 0) {
		if back, _ := attr.ParseDecimal(strconv.FormatFloat(f, 'g', -1, 64)); back == d {
			return f, nil
		}
	}
	return nil, fmt.Errorf("%w: number %s has no exact Go value in an interface (int64, uint64 or float64); decode it into a typed field", ErrUnsupported, s)
}

// canonicalNumbers returns av with every number spelled as AWS stores it
// (attr.CanonicalNumber). DynamoDB Local keeps the spelling it was sent
// ("007", "2.0", "2.5e3") and attributevalue parses integers with
// strconv.ParseInt, which refuses "2.0" and "2.5e3": the Map codec decodes
// the canonical spelling, so no decode depends on how another program
// spelled a number. It returns av with every number respelled,
// copying only the maps and lists on the path to a number it respells (av
// itself is never changed: it is the stored value a conditional write
// compares against).
func canonicalNumbers(av types.AttributeValue) (types.AttributeValue, bool) {
	switch v := av.(type) {
	case *types.AttributeValueMemberN:
		if c, changed := attr.CanonicalNumber(v.Value); changed {
			return &types.AttributeValueMemberN{Value: c}, true
		}
	case *types.AttributeValueMemberNS:
		var out []string
		for i, n := range v.Value {
			if c, changed := attr.CanonicalNumber(n); changed {
				if out == nil {
					out = append([]string(nil), v.Value...)
				}
				out[i] = c
			}
		}
		if out != nil {
			return &types.AttributeValueMemberNS{Value: out}, true
		}
	case *types.AttributeValueMemberM:
		var out map[string]types.AttributeValue
		for k, e := range v.Value {
			if c, changed := canonicalNumbers(e); changed {
				if out == nil {
					out = maps.Clone(v.Value)
				}
				out[k] = c
			}
		}
		if out != nil {
			return &types.AttributeValueMemberM{Value: out}, true
		}
	case *types.AttributeValueMemberL:
		var out []types.AttributeValue
		for i, e := range v.Value {
			if c, changed := canonicalNumbers(e); changed {
				if out == nil {
					out = slices.Clone(v.Value)
				}
				out[i] = c
			}
		}
		if out != nil {
			return &types.AttributeValueMemberL{Value: out}, true
		}
	}
	return av, false
}

// integer returns d as an int64 or uint64 if it is an integer in their
// range.
func integer(d attr.Decimal) (any, bool) {
	if d.Digits == "" {
		return int64(0), true
	}
	if d.Exp < 0 || len(d.Digits)+d.Exp > 20 {
		return nil, false
	}
	text := d.Digits + strings.Repeat("0", d.Exp)
	if d.Neg {
		i, err := strconv.ParseInt("-"+text, 10, 64)
		return i, err == nil
	}
	if i, err := strconv.ParseInt(text, 10, 64); err == nil {
		return i, true
	}
	u, err := strconv.ParseUint(text, 10, 64)
	return u, err == nil
}

// exactFloat returns f by the same rule: an integral f in int64's or
// uint64's range as that integer, which is how Map and JSON, whose text
// does not tell 3.0 from 3, read it back.
func exactFloat(f float64) any {
	switch {
	case f != math.Trunc(f) || math.IsInf(f, 0):
		return f
	case f >= -(1<<63) && f < 1<<63:
		return int64(f)
	case f >= 0 && f < 1<<64:
		return uint64(f)
	}
	return f
}

// exactAny returns x with every number in it given its Go type by the rule
// above; maps and slices are changed in place. It knows the types the
// decoders of this package put in an interface: json.Number,
// attributevalue.Number (and []attributevalue.Number for an NS), and
// MessagePack's sized integers and float32.
func exactAny(x any) (any, error) {
	switch v := x.(type) {
	case map[string]any:
		for k, e := range v {
			n, err := exactAny(e)
			if err != nil {
				return nil, err
			}
			v[k] = n
		}
	case []any:
		for i, e := range v {
			n, err := exactAny(e)
			if err != nil {
				return nil, err
			}
			v[i] = n
		}
	case json.Number:
		return exactNumber(string(v))
	case attributevalue.Number:
		return exactNumber(string(v))
	case []attributevalue.Number:
		out := make([]any, len(v))
		for i, n := range v {
			e, err := exactNumber(string(n))
			if err != nil {
				return nil, err
			}
			out[i] = e
		}
		return out, nil
	case []float64:
		out := make([]any, len(v))
		for i, f := range v {
			out[i] = exactFloat(f)
		}
		return out, nil
	case float64:
		return exactFloat(v), nil
	case float32:
		return exactFloat(float64(v)), nil
	case int:
		return int64(v), nil
	case int8:
		return int64(v), nil
	case int16:
		return int64(v), nil
	case int32:
		return int64(v), nil
	case uint:
		return exactUint(uint64(v)), nil
	case uint8:
		return int64(v), nil
	case uint16:
		return int64(v), nil
	case uint32:
		return int64(v), nil
	case uint64:
		return exactUint(v), nil
	}
	return x, nil
}

func exactUint(u uint64) any {
	if u <= math.MaxInt64 {
		return int64(u)
	}
	return u
}

// exactNumbers applies exactAny to every interface value in v, which must
// be addressable (a decoded *T's Elem). skip reports types whose own
// unmarshaler filled them: their contents are theirs, not a decoder's
// choice. It walks only where T can hold an interface, so it costs nothing
// for the many session types that cannot.
func exactNumbers(v reflect.Value, skip func(reflect.Type) bool) error {
	t := v.Type()
	if !holdsInterface(t) || skip(t) {
		return nil
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return nil
		}
		x, err := exactAny(v.Interface())
		if err != nil {
			return err
		}
		if v.CanSet() {
			v.Set(reflect.ValueOf(x))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			return exactNumbers(v.Elem(), skip)
		}
	case reflect.Struct:
		for i := range t.NumField() {
			if f := t.Field(i); encoded(f) {
				if err := exactNumbers(v.Field(i), skip); err != nil {
					return err
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if err := exactNumbers(v.Index(i), skip); err != nil {
				return err
			}
		}
	case reflect.Map:
		if m, ok := v.Interface().(map[string]any); ok {
			_, err := exactAny(m)
			return err
		}
		for it := v.MapRange(); it.Next(); {
			e := reflect.New(t.Elem()).Elem()
			e.Set(it.Value())
			if err := exactNumbers(e, skip); err != nil {
				return err
			}
			v.SetMapIndex(it.Key(), e)
		}
	}
	return nil
}

// Times.
//
// Map and JSON store a time.Time as RFC 3339 text, which writes a zone
// offset in whole minutes: an offset with seconds (Europe/Amsterdam until
// 1937 was +00:19:32; most places before 1900 kept local mean time, New
// York's -04:56:02) was truncated, and the time read back 32 s (2 s) away
// from the instant stored. Such a time, and one whose offset is a day or
// more (RFC 3339 allows up to 23:59), is written in UTC: the instant is
// kept to the nanosecond; the location is not stored by either codec in
// any case, and a time reads back with a fixed offset (time.UTC for "Z",
// time.Local when the offset is the local zone's).

// rfc3339Offset reports whether t's zone offset can be written in RFC 3339.
func rfc3339Offset(t time.Time) bool {
	_, off := t.Zone()
	return off%60 == 0 && off > -24*3600 && off < 24*3600
}

// storableTime returns t as Map and JSON should write it, or an error for
// a year RFC 3339 cannot hold (encoding/json refuses those; Map wrote text
// its own decoder then refused, a record no read could decode again).
func storableTime(t time.Time) (time.Time, error) {
	if y := t.Year(); y < 0 || y > 9999 {
		return t, fmt.Errorf("%w: time %s: year %d is outside RFC 3339's 0000 to 9999", ErrUnsupported, t.UTC().Format(time.RFC3339), y)
	}
	if !rfc3339Offset(t) {
		return t.UTC(), nil
	}
	return t, nil
}

var timeType = reflect.TypeFor[time.Time]()

// A rewriter returns a value, or a copy of it in which leaf replaced some
// values, for encoders that offer no hook for them. leaf sees every value
// the walk reaches, with inIface set for the value an interface holds; the
// walk enters only types for which enter is true (it must be true for a
// type that is, or can hold, a value leaf replaces). Only the containers on
// the path to a replaced value are copied: the caller's value is never
// changed, and when nothing is replaced nothing is allocated.
type rewriter struct {
	enter func(reflect.Type) bool
	leaf  func(v reflect.Value, inIface bool) (reflect.Value, bool)
	plans sync.Map // struct reflect.Type -> []int, the fields to walk
}

func (r *rewriter) rewrite(v reflect.Value) (reflect.Value, bool) { return r.value(v, false) }

// fields returns the indexes of struct type t's fields the walk enters,
// computed once per type.
func (r *rewriter) fields(t reflect.Type) []int {
	if p, ok := r.plans.Load(t); ok {
		return p.([]int)
	}
	var plan []int
	for i := range t.NumField() {
		if f := t.Field(i); encoded(f) && r.enter(f.Type) {
			plan = append(plan, i)
		}
	}
	r.plans.Store(t, plan)
	return plan
}

func (r *rewriter) value(v reflect.Value, inIface bool) (reflect.Value, bool) {
	if w, changed := r.leaf(v, inIface); changed {
		return w, true
	}
	t := v.Type()
	if t == timeType {
		return v, false // nothing to walk in it: its fields are unexported
	}
	switch v.Kind() {
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		e, changed := r.value(v.Elem(), true)
		if !changed {
			return v, false
		}
		out := reflect.New(t).Elem()
		out.Set(e)
		return out, true
	case reflect.Pointer:
		if v.IsNil() || !r.enter(t.Elem()) {
			return v, false
		}
		e, changed := r.value(v.Elem(), false)
		if !changed {
			return v, false
		}
		p := reflect.New(t.Elem())
		p.Elem().Set(e)
		return p.Convert(t), true
	case reflect.Struct:
		return r.structValue(v, r.fields(t))
	case reflect.Slice, reflect.Array:
		et := t.Elem()
		if !r.enter(et) {
			return v, false
		}
		// The elements' plan, looked up once rather than once per
		// element (half of the walk of a cart of structs was lookups).
		var plan []int
		structs := et.Kind() == reflect.Struct && et != timeType
		if structs {
			plan = r.fields(et)
		}
		var out reflect.Value
		for i := range v.Len() {
			e, changed := v.Index(i), false
			if !structs {
				e, changed = r.value(e, false)
			} else if e, changed = r.leaf(e, false); !changed {
				e, changed = r.structValue(e, plan)
			}
			if !changed {
				continue
			}
			if !out.IsValid() {
				if v.Kind() == reflect.Slice {
					out = reflect.MakeSlice(t, v.Len(), v.Len())
				} else {
					out = reflect.New(t).Elem()
				}
				reflect.Copy(out, v)
			}
			out.Index(i).Set(e)
		}
		if out.IsValid() {
			return out, true
		}
	case reflect.Map:
		keys, elems := r.enter(t.Key()), r.enter(t.Elem())
		if !keys && !elems {
			return v, false
		}
		var out reflect.Value
		for it := v.MapRange(); it.Next(); {
			k, kc := it.Key(), false
			if keys {
				k, kc = r.value(k, false)
			}
			e, ec := it.Value(), false
			if elems {
				e, ec = r.value(e, false)
			}
			if !kc && !ec {
				continue
			}
			if !out.IsValid() {
				out = reflect.MakeMapWithSize(t, v.Len())
				for c := v.MapRange(); c.Next(); {
					out.SetMapIndex(c.Key(), c.Value())
				}
			}
			if kc {
				out.SetMapIndex(it.Key(), reflect.Value{})
			}
			out.SetMapIndex(k, e)
		}
		if out.IsValid() {
			return out, true
		}
	}
	return v, false
}

// structValue is value's walk of struct v, of the fields plan lists.
func (r *rewriter) structValue(v reflect.Value, plan []int) (reflect.Value, bool) {
	var out reflect.Value
	for _, i := range plan {
		e, changed := r.value(v.Field(i), false)
		if !changed {
			continue
		}
		if !out.IsValid() {
			out = reflect.New(v.Type()).Elem()
			out.Set(v)
		}
		out.Field(i).Set(e)
	}
	if out.IsValid() {
		return out, true
	}
	return v, false
}

// pointerTo returns a pointer to a copy of v, to encode a rewritten value
// as the *T it replaces (a marshaler with a pointer receiver is called
// only through a pointer).
func pointerTo(v reflect.Value) any {
	p := reflect.New(v.Type())
	p.Elem().Set(v)
	return p.Interface()
}

// utcTime is a rewrite leaf for encoding/json: a time.Time whose zone
// offset RFC 3339 cannot write becomes the same instant in UTC.
func utcTime(v reflect.Value, _ bool) (reflect.Value, bool) {
	if v.Type() != timeType {
		return v, false
	}
	var t time.Time
	if v.CanAddr() {
		t = *v.Addr().Interface().(*time.Time) // no copy to the heap, as v.Interface() would make
	} else {
		t = v.Interface().(time.Time)
	}
	if !rfc3339Offset(t) {
		return reflect.ValueOf(t.UTC()), true
	}
	return v, false
}

// exactFloatIn is a rewrite leaf for Map and JSON: a float an interface
// holds is written as the value it reads back as (see exactFloat). Map and
// JSON write a float64 in its shortest spelling, which for an integral
// float beyond 2^53 is another integer (float64(1213256496744785152) is
// written 1213256496744785200, read back as that int64), and a float32 in
// float32's shortest spelling, which reads back as another float64
// (float32(0.1) is written 0.1).
func exactFloatIn(v reflect.Value, inIface bool) (reflect.Value, bool) {
	if !inIface || (v.Kind() != reflect.Float64 && v.Kind() != reflect.Float32) {
		return v, false
	}
	f := v.Float()
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return v, false // refused by the encoder, as it is
	}
	x := exactFloat(f)
	if v.Kind() == reflect.Float64 && reflect.TypeOf(x) == v.Type() {
		return v, false
	}
	return reflect.ValueOf(x), true
}

// timeTypes caches mayHoldTime's verdict per type.
var timeTypes sync.Map // reflect.Type -> bool

var jsonMarshaler = reflect.TypeFor[json.Marshaler]()

// mayHoldTime reports whether a value of type t can hold a time.Time that
// encoding/json writes with time.Time's own MarshalJSON.
func mayHoldTime(t reflect.Type) bool {
	return typeHolds(&timeTypes, t, func(t reflect.Type) (bool, bool) {
		if t == timeType || t.Kind() == reflect.Interface {
			return true, false
		}
		// A type that writes itself is left alone; *time.Time is walked
		// to its time.
		return false, t.Kind() != reflect.Pointer && t.Implements(jsonMarshaler)
	})
}

// A timeScan is a compiled check that a value holds no time.Time the JSON
// rewriter would replace (utcTime: an offset RFC 3339 cannot write), so
// that Marshal skips the reflective walk, most of what the codec added to
// encoding/json's own cost (8% of a JSON Save of the 2 KB session). It
// reads the times where the walk would go (the same field plans), by
// offset. A type where the walk could replace anything else, or whose
// times sit where a compiled check does not reach (an interface, a map,
// a type that contains itself), has no scan: Marshal walks it as before.
type timeScan struct {
	times  []uintptr    // offsets of time.Time values
	nested []nestedScan // pointers, slices and arrays to look into
}

// nestedScan is a pointer (n == scanPointer), a slice (n == scanSlice) or
// an array of n elements at off, whose elements, size bytes apart, scan
// checks.
type nestedScan struct {
	off, size uintptr
	n         int
	scan      *timeScan
}

const (
	scanPointer = -1
	scanSlice   = -2
)

// sliceHeader is the layout of every slice (reflect.SliceHeader's,
// without its deprecation).
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// needsUTC reports whether the value at p, of the type s was compiled
// for, holds a time.Time whose zone offset RFC 3339 cannot write.
func (s *timeScan) needsUTC(p unsafe.Pointer) bool {
	for _, off := range s.times {
		if !rfc3339Offset(*(*time.Time)(unsafe.Add(p, off))) {
			return true
		}
	}
	for _, n := range s.nested {
		q := unsafe.Add(p, n.off)
		count := n.n
		switch n.n {
		case scanPointer:
			q, count = *(*unsafe.Pointer)(q), 1
			if q == nil {
				continue
			}
		case scanSlice:
			h := (*sliceHeader)(q)
			q, count = h.data, h.len
		}
		for i := range count {
			if n.scan.needsUTC(unsafe.Add(q, uintptr(i)*n.size)) {
				return true
			}
		}
	}
	return false
}

// jsonTimeScans caches jsonTimeScan per type.
var jsonTimeScans sync.Map // reflect.Type -> *timeScan (nil: walk)

// jsonTimeScan returns the compiled check of type t for jsonRewriter, or
// nil when Marshal must walk t by reflection.
func jsonTimeScan(t reflect.Type) *timeScan {
	if s, ok := jsonTimeScans.Load(t); ok {
		return s.(*timeScan)
	}
	s := compileTimeScan(jsonRewriter, t, map[reflect.Type]bool{})
	jsonTimeScans.Store(t, s)
	return s
}

// compileTimeScan compiles the check of type t, or returns nil; building
// holds the types being compiled, to refuse a type that contains itself.
func compileTimeScan(r *rewriter, t reflect.Type, building map[reflect.Type]bool) *timeScan {
	if building[t] {
		return nil
	}
	building[t] = true
	defer delete(building, t)
	s := &timeScan{}
	if !s.add(r, t, 0, building) {
		return nil
	}
	return s
}

// add adds to s the checks of a value of type t at offset off, mirroring
// where rewriter.value goes; false when it cannot.
func (s *timeScan) add(r *rewriter, t reflect.Type, off uintptr, building map[reflect.Type]bool) bool {
	switch {
	case t == timeType:
		s.times = append(s.times, off)
		return true
	case !r.enter(t):
		return true // the walk does not go there
	}
	switch t.Kind() {
	case reflect.Struct:
		for _, i := range r.fields(t) {
			f := t.Field(i)
			if !s.add(r, f.Type, off+f.Offset, building) {
				return false
			}
		}
		return true
	case reflect.Pointer, reflect.Slice, reflect.Array:
		e := compileTimeScan(r, t.Elem(), building)
		if e == nil {
			return false
		}
		n := nestedScan{off: off, size: t.Elem().Size(), scan: e}
		switch t.Kind() {
		case reflect.Pointer:
			n.n = scanPointer
		case reflect.Slice:
			n.n = scanSlice
		default:
			n.n = t.Len()
		}
		s.nested = append(s.nested, n)
		return true
	}
	return false // an interface or a map: walked by reflection
}
