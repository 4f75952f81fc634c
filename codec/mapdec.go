package codec

import (
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/attr"
)

// The Map codec's compiled decoder.
//
// The Map codec's reference decode is decodeMapReference: canonicalNumbers
// (respelling every number), attributevalue's Decoder (TagKey "json",
// UseNumber), then exactNumbers (giving numbers in interface values their
// Go type). It walks the stored value three times and attributevalue
// rediscovers the Go type at every value (field tables from a sync.Map,
// unmarshaler checks through reflect). decodeMapFast instead follows a plan
// built once per Go type (a mapDecNode per type) and does the three steps
// in one walk.
//
// It must produce exactly what the reference produces, so it covers only
// what it reproduces step by step from attributevalue v1.21.19's decode.go
// and field.go (the rules are cited where they are applied), and gives up
// on anything else: on the first surprise (a stored type the plan does not
// take for that Go type, text that does not parse as the Go kind, a value
// reaching a Go type the plan does not cover) it resets the target to its
// zero value and reports false, and decodeMap runs the reference. Errors
// therefore always come from the reference, word for word.
//
// It starts only from a zero target (a repository decodes into a fresh T,
// as DecodeAs and decodeValue do): attributevalue merges into what a
// target already holds (maps gain entries, slices are reused), which the
// plan does not reproduce, and resetting to zero before the fallback is
// only right when zero is where it started. From a zero target every
// value the plan reaches is zero when reached (a fresh slice element, map
// element or pointee, a struct field written once), so NULL, which
// attributevalue decodes as "set to zero", needs no work.
//
// Covered: bool, string, int and uint kinds (not uintptr), float kinds,
// time.Time, pointers, slices, arrays, maps with string, bool or number
// keys, structs, and empty interfaces. Not covered, so always decoded by
// the reference: types implementing attributevalue.Unmarshaler (or whose
// pointer does), types convertible to time.Time other than time.Time,
// non-empty interfaces, structs with embedded (anonymous) fields, fields
// with a tag option that attributevalue's decoder reads (`string`,
// `unixtime`; the others, omitempty and the set and null options, only
// change encoding), fields tagged `dynamodbav:"-"` that a `json` name
// brings back (exactNumbers skips them), map keys implementing
// encoding.TextUnmarshaler, and binary (B) values into arrays (a length
// mismatch makes attributevalue panic, which the reference reports as an
// error). encoding.TextUnmarshaler is otherwise not consulted: the Map
// codec leaves attributevalue's UseEncodingUnmarshalers off. In an empty
// interface, decodeAny builds what attributevalue would and types its
// numbers as exactNumbers would, in the same step.

// mapDecOp is what a plan node does with a stored value.
type mapDecOp uint8

const (
	decUnsupported mapDecOp = iota // every stored value, NULL included, falls back
	decBool
	decString
	decInt
	decUint
	decFloat
	decTime
	decPointer
	decSlice
	decArray
	decMap
	decStruct
	decAny // an empty interface
)

// mapDecNode is the plan for one Go type.
type mapDecNode struct {
	op     mapDecOp
	typ    reflect.Type
	elem   *mapDecNode                                         // decPointer, decSlice, decArray, decMap: the element's plan
	bytes  bool                                                // decSlice: elements of kind uint8, which also read B
	key    reflect.Kind                                        // decMap: the key's kind
	fields *mapDecFields                                       // decStruct
	direct func(av types.AttributeValue, v reflect.Value) bool // decMap and decSlice of `any`: built without reflect
}

// mapDecFields are a struct's fields as attributevalue names them for
// decoding (unionStructFields with TagKey "json"), in field order.
type mapDecFields struct {
	list   []mapDecField
	byName map[string]int // exact name -> index in list
}

type mapDecField struct {
	name  string
	index int // in the struct (no embedded fields: one level)
	node  *mapDecNode
}

var mapDecPlans sync.Map // reflect.Type -> *mapDecNode

// mapDecPlan returns t's plan, built once per type.
func mapDecPlan(t reflect.Type) *mapDecNode {
	if n, ok := mapDecPlans.Load(t); ok {
		return n.(*mapDecNode)
	}
	n, _ := mapDecPlans.LoadOrStore(t, buildMapDec(t, map[reflect.Type]*mapDecNode{}))
	return n.(*mapDecNode)
}

var (
	anyMapType   = reflect.TypeFor[map[string]any]()
	anySliceType = reflect.TypeFor[[]any]()
)

func buildMapDec(t reflect.Type, building map[reflect.Type]*mapDecNode) *mapDecNode {
	if n, ok := building[t]; ok {
		return n // a recursive type: the node being built
	}
	n := &mapDecNode{typ: t}
	building[t] = n
	// attributevalue's indirect calls an Unmarshaler on the value or its
	// address before anything else; decodeString and decodeNumber give
	// anything convertible to time.Time the time rules.
	if implements(t, avUnmarshaler) {
		return n
	}
	if t == timeType {
		n.op = decTime
		return n
	}
	if t.ConvertibleTo(timeType) {
		return n
	}
	switch t.Kind() {
	case reflect.Bool:
		n.op = decBool
	case reflect.String:
		n.op = decString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n.op = decInt
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n.op = decUint // not Uintptr: decodeNumber refuses it
	case reflect.Float32, reflect.Float64:
		n.op = decFloat
	case reflect.Pointer:
		n.op, n.elem = decPointer, buildMapDec(t.Elem(), building)
	case reflect.Slice:
		n.op, n.elem = decSlice, buildMapDec(t.Elem(), building)
		n.bytes = t.Elem().Kind() == reflect.Uint8
		if t == anySliceType {
			n.direct = decodeAnySlice
		}
	case reflect.Array:
		n.op, n.elem = decArray, buildMapDec(t.Elem(), building)
	case reflect.Map:
		// getMapKeyDecoder: a TextUnmarshaler key, else bool, string and
		// number kinds; any other key fails every decode of an M.
		k := t.Key()
		switch k.Kind() {
		case reflect.Bool, reflect.String,
			reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
			reflect.Float32, reflect.Float64:
			if implements(k, textUnmarshaler) {
				return n
			}
		default:
			return n
		}
		n.op, n.key, n.elem = decMap, k.Kind(), buildMapDec(t.Elem(), building)
		if t == anyMapType {
			n.direct = decodeAnyMap
		}
	case reflect.Struct:
		if fields, ok := mapDecStructFields(t, building); ok {
			n.op, n.fields = decStruct, fields
		}
	case reflect.Interface:
		if t.NumMethod() == 0 {
			n.op = decAny
		}
	}
	return n
}

// mapDecStructFields lists the fields attributevalue decodes for struct
// type t (enumFields, visibleFields and dominantField in its field.go),
// or reports false for a struct it does not cover (embedded fields).
func mapDecStructFields(t reflect.Type, building map[reflect.Type]*mapDecNode) (*mapDecFields, bool) {
	type candidate struct {
		mapDecField
		tagged bool
	}
	var all []candidate
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			return nil, false
		}
		if !sf.IsExported() {
			continue
		}
		tag := parseAVTag(sf.Tag)
		if tag.ignore {
			continue
		}
		f := candidate{mapDecField: mapDecField{name: tag.name, index: i}, tagged: tag.name != ""}
		if tag.name == "" {
			f.name = sf.Name
		}
		f.node = buildMapDec(sf.Type, building)
		// decode reads the `string` and `unixtime` options (AsString,
		// AsUnixTime); exactNumbers skips fields encoded reports false
		// (`dynamodbav:"-"` with a `json` name), leaving attributevalue's
		// Number in their interface values.
		if tag.asString || tag.unixTime || !encoded(sf) {
			f.node = &mapDecNode{typ: sf.Type}
		}
		all = append(all, f)
	}
	// Of several fields with one name (all at depth one here, so only
	// tags can make two), the one named by a tag wins over a Go name, and
	// two tagged hide each other; two untagged would too (dominantField),
	// were it possible.
	slices.SortStableFunc(all, func(a, b candidate) int { return strings.Compare(a.name, b.name) })
	var visible []mapDecField
	for i := 0; i < len(all); {
		j := i + 1
		for j < len(all) && all[j].name == all[i].name {
			j++
		}
		tagged := -1
		for k := i; k < j; k++ {
			if all[k].tagged {
				if tagged >= 0 {
					tagged = -2 // a conflict
					break
				}
				tagged = k
			}
		}
		switch {
		case j-i == 1:
			visible = append(visible, all[i].mapDecField)
		case tagged >= 0:
			visible = append(visible, all[tagged].mapDecField)
		}
		i = j
	}
	slices.SortFunc(visible, func(a, b mapDecField) int { return a.index - b.index })
	fs := &mapDecFields{list: visible, byName: make(map[string]int, len(visible))}
	for i, f := range visible {
		fs.byName[f.name] = i
	}
	return fs, true
}

// lookup returns the index in list of the field a stored member name
// decodes into, or -1: the field of that name, else the first in field
// order whose name equals it ignoring case (cachedFields.FieldByName).
func (fs *mapDecFields) lookup(name string) int {
	if i, ok := fs.byName[name]; ok {
		return i
	}
	for i, f := range fs.list {
		if strings.EqualFold(f.name, name) {
			return i
		}
	}
	return -1
}

// decodeMapFast decodes av into ptr, a pointer to a zero value, by the
// plan of its type, and reports whether it did. When it reports false,
// *ptr is zero again and decodeMapReference must decode.
func decodeMapFast(av types.AttributeValue, ptr any) bool {
	p := reflect.ValueOf(ptr)
	if p.Kind() != reflect.Pointer || p.IsNil() {
		return false
	}
	v := p.Elem()
	n := mapDecPlan(v.Type())
	if n.op == decUnsupported || !v.IsZero() {
		return false
	}
	if n.decode(av, v) {
		return true
	}
	v.SetZero()
	return false
}

// canonical returns number text as canonicalNumbers respells it before
// attributevalue reads it.
func canonical(n string) string {
	c, _ := attr.CanonicalNumber(n)
	return c
}

// decode fills v, a zero settable value of n's type, from av, as
// attributevalue's decode does.
func (n *mapDecNode) decode(av types.AttributeValue, v reflect.Value) bool {
	if n.op == decUnsupported {
		return false
	}
	switch a := av.(type) {
	case nil, *types.AttributeValueMemberNULL:
		return true // decodeNull sets the zero value v already holds
	case *types.AttributeValueMemberS:
		return a != nil && n.str(a.Value, v)
	case *types.AttributeValueMemberN:
		return a != nil && n.number(canonical(a.Value), v)
	case *types.AttributeValueMemberBOOL:
		return a != nil && n.boolean(a.Value, v)
	case *types.AttributeValueMemberB:
		return a != nil && n.binary(a.Value, v)
	}
	if n.op == decPointer {
		// indirect: allocate the pointee, then decode into it.
		e := reflect.New(n.elem.typ)
		if !n.elem.decode(av, e.Elem()) {
			return false
		}
		v.Set(e)
		return true
	}
	if n.op == decAny {
		x, ok := decodeAny(av)
		if ok {
			v.Set(reflect.ValueOf(x))
		}
		return ok
	}
	if n.direct != nil {
		return n.direct(av, v)
	}
	switch a := av.(type) {
	case *types.AttributeValueMemberM:
		if a == nil {
			return false
		}
		switch n.op {
		case decStruct:
			return n.decodeStruct(a.Value, v)
		case decMap:
			return n.decodeMap(a.Value, v)
		}
	case *types.AttributeValueMemberL:
		if a == nil {
			return false
		}
		return n.decodeList(len(a.Value), v, func(i int, e reflect.Value) bool { return n.elem.decode(a.Value[i], e) })
	case *types.AttributeValueMemberNS:
		if a == nil {
			return false
		}
		return n.decodeList(len(a.Value), v, func(i int, e reflect.Value) bool { return n.elem.number(canonical(a.Value[i]), e) })
	case *types.AttributeValueMemberSS:
		if a == nil {
			return false
		}
		return n.decodeList(len(a.Value), v, func(i int, e reflect.Value) bool { return n.elem.str(a.Value[i], e) })
	case *types.AttributeValueMemberBS:
		if a == nil {
			return false
		}
		return n.decodeList(len(a.Value), v, func(i int, e reflect.Value) bool { return n.elem.binary(a.Value[i], e) })
	}
	return false
}

// decodeList fills a slice of length size (decodeList and the set
// decoders: a new slice, non-nil even when empty) or the first elements
// of an array (at most its length; the rest stay zero, extra stored
// elements are ignored), decoding element i with elem.
func (n *mapDecNode) decodeList(size int, v reflect.Value, elem func(i int, e reflect.Value) bool) bool {
	switch n.op {
	case decSlice:
		s := reflect.MakeSlice(n.typ, size, size)
		for i := range size {
			if !elem(i, s.Index(i)) {
				return false
			}
		}
		v.Set(s)
		return true
	case decArray:
		for i := range min(size, v.Len()) {
			if !elem(i, v.Index(i)) {
				return false
			}
		}
		return true
	}
	return false
}

// decodeStruct decodes the members of an M into the fields they name;
// members that name no field are ignored. Two members naming one field
// (keys equal ignoring case) fall back: attributevalue decodes both, in
// Go's random map order, and the one decoded last wins.
func (n *mapDecNode) decodeStruct(m map[string]types.AttributeValue, v reflect.Value) bool {
	fs := n.fields
	var seen [4]uint64
	var more []bool
	if len(fs.list) > len(seen)*64 {
		more = make([]bool, len(fs.list))
	}
	for name, av := range m {
		i := fs.lookup(name)
		if i < 0 {
			continue
		}
		if more != nil {
			if more[i] {
				return false
			}
			more[i] = true
		} else {
			if seen[i/64]&(1<<(i%64)) != 0 {
				return false
			}
			seen[i/64] |= 1 << (i % 64)
		}
		f := &fs.list[i]
		if !f.node.decode(av, v.Field(f.index)) {
			return false
		}
	}
	return true
}

// decodeMap decodes an M into a new map (MakeMap, non-nil even when
// empty). Keys are read from the member names as they are, not respelled:
// canonicalNumbers respells only values.
func (n *mapDecNode) decodeMap(m map[string]types.AttributeValue, v reflect.Value) bool {
	out := reflect.MakeMapWithSize(n.typ, len(m))
	key := reflect.New(n.typ.Key()).Elem()
	elem := reflect.New(n.elem.typ).Elem()
	for name, av := range m {
		if !setMapKey(n.key, name, key) {
			return false
		}
		elem.SetZero()
		if !n.elem.decode(av, elem) {
			return false
		}
		out.SetMapIndex(key, elem)
	}
	v.Set(out)
	return true
}

// setMapKey sets key from a member name as getMapKeyDecoder's decoders
// do: the name for strings, strconv.ParseBool for bools, decodeNumber's
// parsing for numbers.
func setMapKey(kind reflect.Kind, name string, key reflect.Value) bool {
	switch kind {
	case reflect.String:
		key.SetString(name)
		return true
	case reflect.Bool:
		b, err := strconv.ParseBool(name)
		if err != nil {
			return false
		}
		key.SetBool(b)
		return true
	}
	return setNumber(name, key)
}

// setNumber sets v, of an int, uint or float kind, from number text as
// decodeNumber does: strconv in 64 bits, then a check that the value fits
// v's kind.
func setNumber(s string, v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil || v.OverflowInt(i) {
			return false
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		u, err := strconv.ParseUint(s, 10, 64)
		if err != nil || v.OverflowUint(u) {
			return false
		}
		v.SetUint(u)
	case reflect.Float32, reflect.Float64:
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || v.OverflowFloat(f) {
			return false
		}
		v.SetFloat(f)
	default:
		return false
	}
	return true
}

// str decodes an S (or an SS element), as decodeString does.
func (n *mapDecNode) str(s string, v reflect.Value) bool {
	switch n.op {
	case decString:
		v.SetString(s)
	case decTime:
		// DecodeTime.S's default, defaultDecodeTimeS.
		t, err := time.Parse(time.RFC3339, s)
		if err != nil {
			return false
		}
		*v.Addr().Interface().(*time.Time) = t
	case decAny:
		v.Set(reflect.ValueOf(s))
	case decPointer:
		return n.pointee(v, func(e reflect.Value) bool { return n.elem.str(s, e) })
	default:
		return false
	}
	return true
}

// number decodes an N (or an NS element) already respelled by canonical,
// as decodeNumber does, and exactNumbers after it in an interface.
func (n *mapDecNode) number(s string, v reflect.Value) bool {
	switch n.op {
	case decString:
		v.SetString(s)
	case decInt, decUint, decFloat:
		return setNumber(s, v)
	case decTime:
		// DecodeTime.N's default, decodeUnixTime: whole seconds.
		i, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return false
		}
		*v.Addr().Interface().(*time.Time) = time.Unix(i, 0)
	case decAny:
		x, err := exactNumber(s)
		if err != nil {
			return false
		}
		v.Set(reflect.ValueOf(x))
	case decPointer:
		return n.pointee(v, func(e reflect.Value) bool { return n.elem.number(s, e) })
	default:
		return false
	}
	return true
}

// boolean decodes a BOOL, as decodeBool does.
func (n *mapDecNode) boolean(b bool, v reflect.Value) bool {
	switch n.op {
	case decBool:
		v.SetBool(b)
	case decAny:
		v.Set(reflect.ValueOf(b))
	case decPointer:
		return n.pointee(v, func(e reflect.Value) bool { return n.elem.boolean(b, e) })
	default:
		return false
	}
	return true
}

// binary decodes a B (or a BS element), as decodeBinary does: a copy,
// non-nil even when empty, into a slice of uint8-kind elements.
func (n *mapDecNode) binary(b []byte, v reflect.Value) bool {
	switch n.op {
	case decSlice:
		if !n.bytes || n.elem.op == decUnsupported {
			return false
		}
		v.SetBytes(append(make([]byte, 0, len(b)), b...))
	case decAny:
		v.Set(reflect.ValueOf(append(make([]byte, 0, len(b)), b...)))
	case decPointer:
		return n.pointee(v, func(e reflect.Value) bool { return n.elem.binary(b, e) })
	default:
		return false
	}
	return true
}

// pointee allocates a pointer's target and decodes into it with fill.
func (n *mapDecNode) pointee(v reflect.Value, fill func(reflect.Value) bool) bool {
	e := reflect.New(n.elem.typ)
	if !fill(e.Elem()) {
		return false
	}
	v.Set(e)
	return true
}

// decodeAny returns what attributevalue puts in an empty interface, with
// every number given its Go type as exactNumbers does (exactNumber):
// string, exact number, bool, []byte (a copy), []any, map[string]any,
// []any of numbers for an NS, []string, [][]byte; nil for NULL.
func decodeAny(av types.AttributeValue) (any, bool) {
	switch a := av.(type) {
	case nil, *types.AttributeValueMemberNULL:
		return nil, true
	case *types.AttributeValueMemberS:
		if a == nil {
			return nil, false
		}
		return a.Value, true
	case *types.AttributeValueMemberN:
		if a == nil {
			return nil, false
		}
		x, err := exactNumber(canonical(a.Value))
		return x, err == nil
	case *types.AttributeValueMemberBOOL:
		if a == nil {
			return nil, false
		}
		return a.Value, true
	case *types.AttributeValueMemberB:
		if a == nil {
			return nil, false
		}
		return append(make([]byte, 0, len(a.Value)), a.Value...), true
	case *types.AttributeValueMemberL:
		if a == nil {
			return nil, false
		}
		return anyList(a.Value)
	case *types.AttributeValueMemberM:
		if a == nil {
			return nil, false
		}
		return anyMap(a.Value)
	case *types.AttributeValueMemberNS:
		if a == nil {
			return nil, false
		}
		out := make([]any, len(a.Value))
		for i, s := range a.Value {
			x, err := exactNumber(canonical(s))
			if err != nil {
				return nil, false
			}
			out[i] = x
		}
		return out, true
	case *types.AttributeValueMemberSS:
		if a == nil {
			return nil, false
		}
		return append(make([]string, 0, len(a.Value)), a.Value...), true
	case *types.AttributeValueMemberBS:
		if a == nil {
			return nil, false
		}
		out := make([][]byte, len(a.Value))
		for i, b := range a.Value {
			out[i] = append(make([]byte, 0, len(b)), b...)
		}
		return out, true
	}
	return nil, false
}

func anyList(l []types.AttributeValue) ([]any, bool) {
	out := make([]any, len(l))
	for i, e := range l {
		x, ok := decodeAny(e)
		if !ok {
			return nil, false
		}
		out[i] = x
	}
	return out, true
}

func anyMap(m map[string]types.AttributeValue) (map[string]any, bool) {
	out := make(map[string]any, len(m))
	for k, e := range m {
		x, ok := decodeAny(e)
		if !ok {
			return nil, false
		}
		out[k] = x
	}
	return out, true
}

// decodeAnyMap is decMap's decode for map[string]any, without reflect per
// member; decodeAnySlice is decSlice's for []any.
func decodeAnyMap(av types.AttributeValue, v reflect.Value) bool {
	a, ok := av.(*types.AttributeValueMemberM)
	if !ok || a == nil {
		return false
	}
	m, ok := anyMap(a.Value)
	if ok {
		*v.Addr().Interface().(*map[string]any) = m
	}
	return ok
}

func decodeAnySlice(av types.AttributeValue, v reflect.Value) bool {
	var out []any
	switch a := av.(type) {
	case *types.AttributeValueMemberL:
		if a == nil {
			return false
		}
		l, ok := anyList(a.Value)
		if !ok {
			return false
		}
		out = l
	case *types.AttributeValueMemberNS, *types.AttributeValueMemberSS, *types.AttributeValueMemberBS:
		// A set into []any: each element decodes into a nil interface.
		x, ok := decodeAny(av)
		if !ok {
			return false
		}
		switch x := x.(type) {
		case []any:
			out = x
		case []string:
			out = make([]any, len(x))
			for i, s := range x {
				out[i] = s
			}
		case [][]byte:
			out = make([]any, len(x))
			for i, b := range x {
				out[i] = b
			}
		}
	default:
		return false
	}
	*v.Addr().Interface().(*[]any) = out
	return true
}
