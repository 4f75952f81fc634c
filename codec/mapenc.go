package codec

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// The Map codec's compiled encoder.
//
// attributevalue's Encoder rediscovers a value's type at every node
// (struct fields from a cache, a marshaler check with an interface
// conversion at each value, a map grown from empty), and the Map codec then
// walked the tree it made a second time to check and size it (checkAV).
// The compiled encoder builds, once per session type, a plan of the type
// (encoding/json's approach), and encodes a session with it in one walk
// that also checks and sizes what it writes. It produces the same
// types.AttributeValue tree as attributevalue configured as the Map codec
// configures it (mapEncoder: TagKey "json", EncodeTime encodeTime, after
// mapRewriter) and returns the errors checkAV and the encoder would have
// returned; mapenc_test.go proves both, against attributevalue itself.
// One number differs on purpose: a float32 of ±MaxFloat32, which
// attributevalue spells so that its own decoder cannot read it back, is
// spelled exactly (see encodeFloat32).
//
// Which types take which path, decided once per type (mapPlanFor):
//
//   - compiled: a struct or map type all of whose reachable types are
//     bool, the integer kinds but uintptr, float32 and float64, strings,
//     time.Time (and types defined from it), []byte and [N]byte, other
//     slices and arrays, maps with keys of a string, integer or bool kind
//     (without methods), pointers to any of these, and structs whose
//     encoded fields are not embedded and carry no tag option but
//     omitempty.
//   - attributevalue (the path before this file): everything else, among
//     them types that implement attributevalue.Marshaler (or whose pointer
//     does), interface types anywhere (mapRewriter must rewrite their
//     floats, and what they hold is only known per value), embedded struct
//     fields (attributevalue's promotion rules), the tag options string,
//     stringset, numberset, binaryset, unixtime, omitemptyelem, nullempty
//     and nullemptyelem, two fields of one name, names that are not valid
//     UTF-8 or longer than DynamoDB's 64 KB, [][]byte (a binary set),
//     number types such as json.Number (string kinds with Float64, Int64
//     and String methods: written as N), slices of a named byte type
//     (attributevalue panics on them), pointers to pointers or to
//     interfaces, map keys with methods (fmt.Sprint and MarshalText name
//     them) or of a float kind, uintptr (attributevalue drops it), and the
//     kinds checkEncodable refuses before either path runs.
//
// encoding.TextMarshaler and BinaryMarshaler are not consulted for values:
// attributevalue uses them only with UseEncodingMarshalers, which
// mapEncoder leaves off; a map key's MarshalText is, so key types with
// methods take attributevalue's path.
//
// Errors: what attributevalue fails on (an empty map key, a time encodeTime
// refuses) ends the walk, as it ends attributevalue's; of what checkAV
// refuses (maps and lists nested too deep, strings and keys that are not
// valid UTF-8, keys over 64 KB, numbers DynamoDB refuses) the first one
// found is kept and the walk goes on, so that an encoder failure later in
// the value wins, as it did when attributevalue encoded the whole value
// before checkAV looked. A value that contains itself, on which
// attributevalue recursed until the stack overflowed, fails with the
// nesting error once the walk has entered maxTooDeep containers nested
// too deep; a value whose encoding passes capacity.MaxItemBytes (which
// attributevalue encoded whole, however large: see encState.value) fails
// with errOverItemLimit once it passes. These bounds are the differences
// (an encoder failure beyond them is not seen; all these errors wrap
// ErrUnsupported).

// mapField is a struct field as attributevalue encodes it with TagKey
// "json" (its field.go and tag.go): Name is the `json` tag's name, else the
// `dynamodbav` tag's, else the Go name; a `-` in the tag read last hides
// the field. The decoder may share it: attributevalue decodes into the
// fields it encodes, under the same names.
type mapField struct {
	Name      string
	Index     int     // in the struct
	Offset    uintptr // of the field in the struct
	Type      reflect.Type
	OmitEmpty bool
}

// avTag is a struct tag as attributevalue parses it (tag.go): the
// `dynamodbav` tag first, then the `json` tag; a non-empty tag sets the
// name (or hides the field), and every option either one names stays set.
type avTag struct {
	name      string
	ignore    bool
	omitEmpty bool
	other     bool // an option attributevalue acts on besides omitempty
	// asString and unixTime are the options attributevalue's decoder
	// reads (AsString, AsUnixTime); the others only change the encoding.
	asString, unixTime bool
}

func parseAVTag(st reflect.StructTag) avTag {
	var t avTag
	t.parse(st.Get("dynamodbav"))
	t.parse(st.Get("json"))
	return t
}

func (t *avTag) parse(s string) {
	if s == "" {
		return
	}
	parts := strings.Split(s, ",")
	if parts[0] == "-" {
		t.name, t.ignore = "", true
	} else {
		t.name, t.ignore = parts[0], false
	}
	for _, opt := range parts[1:] {
		switch opt {
		case "omitempty":
			t.omitEmpty = true
		case "string":
			t.other, t.asString = true, true
		case "unixtime":
			t.other, t.unixTime = true, true
		case "omitemptyelem", "nullempty", "nullemptyelem", "binaryset", "numberset", "stringset":
			t.other = true
		}
	}
}

// mapStructFields returns the fields attributevalue encodes for struct
// type t with TagKey "json", in field order, and ok true when that is all
// it does with them: false when t has an embedded field that is not
// hidden (attributevalue promotes its fields by encoding/json's rules), a
// tag option other than omitempty, or two fields of one name
// (attributevalue drops or prefers fields then).
func mapStructFields(t reflect.Type) (fields []mapField, ok bool) {
	seen := make(map[string]bool, t.NumField())
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() && !sf.Anonymous {
			continue
		}
		tag := parseAVTag(sf.Tag)
		if tag.ignore {
			continue
		}
		if sf.Anonymous || tag.other {
			return nil, false
		}
		name := tag.name
		if name == "" {
			name = sf.Name
		}
		if seen[name] {
			return nil, false
		}
		seen[name] = true
		fields = append(fields, mapField{Name: name, Index: i, Offset: sf.Offset, Type: sf.Type, OmitEmpty: tag.omitEmpty})
	}
	return fields, true
}

// A mapPlan encodes a value of one struct or map type.
type mapPlan struct {
	root *avEnc
	// hints are how many nodes of each kind, and bytes of text, the last
	// encoding used: the next one (sessions of a type are much alike)
	// takes its blocks in one allocation each, of about the right size.
	hints [slabKinds + 1]atomic.Int32
}

// mapPlans caches mapPlanFor's verdict per type.
var mapPlans sync.Map // reflect.Type -> *mapPlan, nil for attributevalue's path

// mapPlanFor returns the compiled encoder for values of type t, or nil
// when t takes attributevalue's path (see the list above).
func mapPlanFor(t reflect.Type) *mapPlan {
	if p, ok := mapPlans.Load(t); ok {
		return p.(*mapPlan)
	}
	var plan *mapPlan
	// checkEncodable's verdict is part of the plan's: it also walks fields
	// attributevalue skips (`json:"-,"`), and its error must still be
	// returned for them.
	if (t.Kind() == reflect.Struct && !t.ConvertibleTo(timeType) || t.Kind() == reflect.Map) && checkEncodable(reflect.PointerTo(t)) == nil {
		c := planCompiler{encs: map[reflect.Type]*avEnc{}}
		if root := c.compile(t); !c.unsupported {
			plan = &mapPlan{root: root}
		}
	}
	p, _ := mapPlans.LoadOrStore(t, plan)
	return p.(*mapPlan)
}

// encode encodes the value of the plan's type at p (never nil), checked
// and sized as checkStorable does.
func (pl *mapPlan) encode(p unsafe.Pointer) (types.AttributeValue, int, error) {
	st := &encState{}
	st.hint(pl)
	av, _ := pl.root.body(st, p, 1)
	st.keepHints(pl)
	switch {
	case st.abort != nil:
		return nil, 0, st.abort
	case st.check != nil:
		return nil, 0, fmt.Errorf("codec: map encode: %w", st.check.withPath())
	case st.overLimit || st.size > capacity.MaxItemBytes:
		return nil, 0, errOverItemLimit
	}
	return av, st.size, nil
}

// encFn encodes the value at p, which is not one its container writes as
// NULL or omits, at nesting level level (the session's map is 1), adding
// its size to st.size. It returns stop true when the walk must end: on a
// failure of attributevalue's own (kept in st.abort), or when too many
// containers were nested too deep (see encState.deep).
type encFn func(st *encState, p unsafe.Pointer, level int) (types.AttributeValue, bool)

// avEnc encodes values of one type.
type avEnc struct {
	kind     reflect.Kind
	arrayLen int // for arrays: attributevalue's zero is an empty array
	body     encFn
}

// nilable reports kinds whose zero value is nil and is written as NULL
// (attributevalue's isNullableZeroValue; interfaces take its own path).
func (e *avEnc) nilable() bool {
	return e.kind == reflect.Map || e.kind == reflect.Slice || e.kind == reflect.Pointer
}

// isZero is attributevalue's isZeroValue, the test of omitempty: structs
// are never empty, -0.0 is.
func (e *avEnc) isZero(p unsafe.Pointer) bool {
	switch e.kind {
	case reflect.String:
		return len(*(*string)(p)) == 0
	case reflect.Bool:
		return !*(*bool)(p)
	case reflect.Int8, reflect.Uint8:
		return *(*uint8)(p) == 0
	case reflect.Int16, reflect.Uint16:
		return *(*uint16)(p) == 0
	case reflect.Int32, reflect.Uint32:
		return *(*uint32)(p) == 0
	case reflect.Int64, reflect.Uint64:
		return *(*uint64)(p) == 0
	case reflect.Int, reflect.Uint:
		return *(*uint)(p) == 0
	case reflect.Float32:
		return *(*float32)(p) == 0
	case reflect.Float64:
		return *(*float64)(p) == 0
	case reflect.Map, reflect.Slice, reflect.Pointer:
		return *(*unsafe.Pointer)(p) == nil
	case reflect.Array:
		return e.arrayLen == 0
	}
	return false
}

// value encodes a list element, map value or field that omitempty keeps:
// a nil map, slice or pointer is NULL, anything else its encoding. It
// stops the walk once the value is larger than any item DynamoDB stores:
// a value that shares its parts (two pointers to one struct, a map whose
// values are one slice) encodes each share again, so a few hundred bytes
// of Go value can make a tree of gigabytes, and ended the process when it
// was encoded whole.
func (st *encState) value(e *avEnc, p unsafe.Pointer, level int) (types.AttributeValue, bool) {
	if st.size > capacity.MaxItemBytes {
		st.overLimit = true
		return nil, true
	}
	if e.nilable() && *(*unsafe.Pointer)(p) == nil {
		st.size++ // capacity.AttributeSize of NULL
		n := st.nulls.get()
		n.Value = true
		return n, false
	}
	return e.body(st, p, level)
}

// planCompiler builds the encoders of one type and the types it reaches.
type planCompiler struct {
	encs        map[reflect.Type]*avEnc // built or being built: recursive types refer to themselves
	unsupported bool                    // some type reached takes attributevalue's path
}

var numberType = reflect.TypeFor[interface {
	Float64() (float64, error)
	Int64() (int64, error)
	String() string
}]()

// compile returns the encoder of t; it sets c.unsupported when t, or a
// type t reaches, takes attributevalue's path.
func (c *planCompiler) compile(t reflect.Type) *avEnc {
	if e, ok := c.encs[t]; ok {
		return e
	}
	e := &avEnc{kind: t.Kind()}
	c.encs[t] = e
	if t.Kind() != reflect.Interface && implements(t, avMarshalerType) {
		c.unsupported = true
		return e
	}
	switch t.Kind() {
	case reflect.Bool:
		e.body = encodeBool
	case reflect.String:
		if implements(t, numberType) {
			c.unsupported = true // json.Number and kin: attributevalue writes N
		}
		e.body = encodeString
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.body = intEncoder(t.Kind())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		e.body = uintEncoder(t.Kind())
	case reflect.Float32:
		e.body = encodeFloat32
	case reflect.Float64:
		e.body = encodeFloat64
	case reflect.Struct:
		if t.ConvertibleTo(timeType) {
			e.body = encodeTimeAt
			break
		}
		e.body = c.structEncoder(t)
	case reflect.Map:
		e.body = c.mapEncoder(t)
	case reflect.Slice:
		e.body = c.sliceEncoder(t)
	case reflect.Array:
		e.arrayLen = t.Len()
		e.body = c.arrayEncoder(t)
	case reflect.Pointer:
		switch t.Elem().Kind() {
		case reflect.Pointer, reflect.Interface:
			c.unsupported = true // attributevalue applies omitempty again through a second pointer
		}
		elem := c.compile(t.Elem())
		e.body = func(st *encState, p unsafe.Pointer, level int) (types.AttributeValue, bool) {
			// Non-nil (the container wrote NULL for nil); attributevalue
			// does not test what it points to for emptiness.
			return elem.body(st, *(*unsafe.Pointer)(p), level)
		}
	default: // interfaces, uintptr, and what checkEncodable refuses
		c.unsupported = true
	}
	return e
}

func encodeBool(st *encState, p unsafe.Pointer, _ int) (types.AttributeValue, bool) {
	st.size++
	b := st.bools.get()
	b.Value = *(*bool)(p)
	return b, false
}

func encodeString(st *encState, p unsafe.Pointer, _ int) (types.AttributeValue, bool) {
	s := *(*string)(p)
	if !utf8.ValidString(s) {
		if st.check == nil {
			st.fail(invalidUTF8("string", s))
		}
	}
	st.size += len(s)
	m := st.strs.get()
	m.Value = s
	return m, false
}

func intEncoder(k reflect.Kind) encFn {
	return func(st *encState, p unsafe.Pointer, _ int) (types.AttributeValue, bool) {
		var buf [24]byte
		return st.number(strconv.AppendInt(buf[:0], loadInt(k, p), 10)), false
	}
}

func uintEncoder(k reflect.Kind) encFn {
	return func(st *encState, p unsafe.Pointer, _ int) (types.AttributeValue, bool) {
		var buf [24]byte
		return st.number(strconv.AppendUint(buf[:0], loadUint(k, p), 10)), false
	}
}

// loadInt reads the integer of kind k at p.
func loadInt(k reflect.Kind, p unsafe.Pointer) int64 {
	switch k {
	case reflect.Int8:
		return int64(*(*int8)(p))
	case reflect.Int16:
		return int64(*(*int16)(p))
	case reflect.Int32:
		return int64(*(*int32)(p))
	case reflect.Int64:
		return *(*int64)(p)
	}
	return int64(*(*int)(p))
}

// loadUint reads the unsigned integer of kind k at p.
func loadUint(k reflect.Kind, p unsafe.Pointer) uint64 {
	switch k {
	case reflect.Uint8:
		return uint64(*(*uint8)(p))
	case reflect.Uint16:
		return uint64(*(*uint16)(p))
	case reflect.Uint32:
		return uint64(*(*uint32)(p))
	case reflect.Uint64:
		return *(*uint64)(p)
	}
	return uint64(*(*uint)(p))
}

func encodeFloat32(st *encState, p unsafe.Pointer, _ int) (types.AttributeValue, bool) {
	f := *(*float32)(p)
	if f == math.MaxFloat32 || f == -math.MaxFloat32 {
		// Its shortest float32 spelling, 340282350000000000000000000000000000000
		// (attributevalue's), read as a float64 exceeds MaxFloat32, and
		// attributevalue's decoder (ParseFloat in 64 bits, then
		// OverflowFloat) refuses it for a float32: every Get of the session
		// would fail. Its exact value, spelled as a float64, reads back.
		return st.float(float64(f), 64), false
	}
	return st.float(float64(f), 32), false
}

func encodeFloat64(st *encState, p unsafe.Pointer, _ int) (types.AttributeValue, bool) {
	return st.float(*(*float64)(p), 64), false
}

// Finite floats whose magnitude is in [minStorable, maxStorable) are
// numbers DynamoDB stores as attributevalue spells them ('f', shortest):
// the shortest decimal that reads back as f is at least 1E-130 exactly
// when f is at least the float64 nearest 1E-130 (reading decimals is
// monotonic), and below 1E+126 exactly when f is below the float64
// nearest 1E+126; it has at most 17 significant digits. Only the others
// go through checkNumber, which words the error.
const (
	minStorable = 1e-130
	maxStorable = 1e126
)

// float writes f as attributevalue does, strconv 'f' with the fewest
// digits that read back as f at bitSize, and checks it as checkNumber.
func (st *encState) float(f float64, bitSize int) types.AttributeValue {
	var buf [32]byte
	text := strconv.AppendFloat(buf[:0], f, 'f', -1, bitSize)
	if a := math.Abs(f); a != 0 && !(a >= minStorable && a < maxStorable) {
		if err := checkNumber(string(text)); err != nil && st.check == nil {
			st.fail(err)
		}
	}
	return st.number(text)
}

// encodeTimeAt writes the time.Time (or a type defined from it) at p as
// encodeTime does.
func encodeTimeAt(st *encState, p unsafe.Pointer, _ int) (types.AttributeValue, bool) {
	t, err := storableTime(*(*time.Time)(p))
	if err != nil {
		return nil, st.stop(fmt.Errorf("codec: map encode: %w", err))
	}
	var buf [64]byte
	s := st.text(t.AppendFormat(buf[:0], time.RFC3339Nano))
	st.size += len(s) // ASCII: RFC 3339 text has no zone names
	m := st.strs.get()
	m.Value = s
	return m, false
}

// encField is a struct field and its encoder.
type encField struct {
	mapField
	seg string // "." + Name: its step in an error's path
	enc *avEnc
}

func (c *planCompiler) structEncoder(t reflect.Type) encFn {
	fs, ok := mapStructFields(t)
	if !ok {
		c.unsupported = true
		return nil
	}
	fields := make([]encField, len(fs))
	for i, f := range fs {
		if len(f.Name) > maxNameBytes || !utf8.ValidString(f.Name) {
			c.unsupported = true // checkAV's error, with its path: rare enough for attributevalue's path
		}
		fields[i] = encField{mapField: f, seg: "." + f.Name, enc: c.compile(f.Type)}
	}
	return func(st *encState, p unsafe.Pointer, level int) (types.AttributeValue, bool) {
		if st.tooDeep(level) {
			return nil, true
		}
		m := st.maps.get()
		m.Value = make(map[string]types.AttributeValue, len(fields))
		st.size += capacity.DocumentOverhead
		for i := range fields {
			f := &fields[i]
			fp := unsafe.Add(p, f.Offset)
			if f.OmitEmpty && f.enc.isZero(fp) {
				continue
			}
			before := st.check
			av, stop := st.value(f.enc, fp, level+1)
			if before == nil && st.check != nil {
				st.check.in(f.seg)
			}
			if stop {
				return nil, true
			}
			st.size += len(f.Name) + capacity.ElementOverhead
			m.Value[f.Name] = av
		}
		return m, false
	}
}

// mapKeyFn writes the map key at p as attributevalue's mapKeyAsString does
// for a key type without methods: fmt.Sprint's text.
type mapKeyFn func(st *encState, p unsafe.Pointer) string

func (c *planCompiler) mapEncoder(t reflect.Type) encFn {
	kt := t.Key()
	var key mapKeyFn
	if kt.NumMethod() == 0 && reflect.PointerTo(kt).NumMethod() == 0 {
		switch kt.Kind() {
		case reflect.String:
			key = func(_ *encState, p unsafe.Pointer) string { return *(*string)(p) }
		case reflect.Bool:
			key = func(_ *encState, p unsafe.Pointer) string { return strconv.FormatBool(*(*bool)(p)) }
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
			key = intKey(kt)
		case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			key = uintKey(kt)
		}
	}
	if key == nil {
		c.unsupported = true
		return nil
	}
	elem := c.compile(t.Elem())
	if kt == stringType && t.Elem() == stringType {
		return encodeStringMap // the common map[string]string, without reflect
	}
	return func(st *encState, p unsafe.Pointer, level int) (types.AttributeValue, bool) {
		if st.tooDeep(level) {
			return nil, true
		}
		mv := reflect.NewAt(t, p).Elem()
		n := mv.Len()
		m := st.maps.get()
		m.Value = make(map[string]types.AttributeValue, n)
		st.size += capacity.DocumentOverhead + n*capacity.ElementOverhead
		if n == 0 {
			return m, false
		}
		kv, vv := reflect.New(kt).Elem(), reflect.New(t.Elem()).Elem()
		kp, vp := kv.Addr().UnsafePointer(), vv.Addr().UnsafePointer()
		var it reflect.MapIter
		it.Reset(mv)
		for it.Next() {
			kv.SetIterKey(&it)
			vv.SetIterValue(&it)
			k := key(st, kp)
			if st.mapKey(k) {
				return nil, true
			}
			before := st.check
			av, stop := st.value(elem, vp, level+1)
			if before == nil && st.check != nil {
				st.check.in("." + k)
			}
			if stop {
				return nil, true
			}
			m.Value[k] = av
		}
		return m, false
	}
}

var stringType = reflect.TypeFor[string]()

func encodeStringMap(st *encState, p unsafe.Pointer, level int) (types.AttributeValue, bool) {
	if st.tooDeep(level) {
		return nil, true
	}
	src := *(*map[string]string)(p)
	m := st.maps.get()
	m.Value = make(map[string]types.AttributeValue, len(src))
	st.size += capacity.DocumentOverhead + len(src)*capacity.ElementOverhead
	for k, v := range src {
		if st.mapKey(k) {
			return nil, true
		}
		before := st.check
		av, _ := encodeString(st, unsafe.Pointer(&v), level+1)
		if before == nil && st.check != nil {
			st.check.in("." + k)
		}
		m.Value[k] = av
	}
	return m, false
}

// mapKey checks a map key as attributevalue (an empty key fails the
// encoding: stop) and checkAV do, and counts its size.
func (st *encState) mapKey(k string) (stop bool) {
	st.size += len(k)
	switch {
	case k == "":
		st.stop(errEmptyMapKey)
		return true
	case st.check != nil:
	case len(k) > maxNameBytes:
		st.fail(keyTooLong(k))
	case !utf8.ValidString(k):
		st.fail(invalidUTF8("map key", k))
	}
	return false
}

func intKey(t reflect.Type) mapKeyFn {
	k := t.Kind()
	return func(_ *encState, p unsafe.Pointer) string { return strconv.FormatInt(loadInt(k, p), 10) }
}

func uintKey(t reflect.Type) mapKeyFn {
	k := t.Kind()
	return func(_ *encState, p unsafe.Pointer) string { return strconv.FormatUint(loadUint(k, p), 10) }
}

var byteType = reflect.TypeFor[byte]()

func (c *planCompiler) sliceEncoder(t reflect.Type) encFn {
	if t.Elem().Kind() == reflect.Uint8 {
		if t.Elem() != byteType {
			c.unsupported = true // attributevalue's reflect.Copy panics on a named byte type
		}
		return func(st *encState, p unsafe.Pointer, _ int) (types.AttributeValue, bool) {
			return st.binary(*(*[]byte)(p)), false
		}
	}
	if t == byteSlicesType {
		c.unsupported = true // a binary set
	}
	elem := c.compile(t.Elem())
	size := t.Elem().Size()
	return func(st *encState, p unsafe.Pointer, level int) (types.AttributeValue, bool) {
		// A slice header: data pointer, then length.
		data, n := *(*unsafe.Pointer)(p), *(*int)(unsafe.Add(p, unsafe.Sizeof(uintptr(0))))
		return st.list(elem, data, n, size, level)
	}
}

var byteSlicesType = reflect.TypeFor[[][]byte]()

func (c *planCompiler) arrayEncoder(t reflect.Type) encFn {
	n := t.Len()
	if t.Elem().Kind() == reflect.Uint8 {
		if t.Elem() != byteType {
			c.unsupported = true
		}
		return func(st *encState, p unsafe.Pointer, _ int) (types.AttributeValue, bool) {
			return st.binary(unsafe.Slice((*byte)(p), n)), false
		}
	}
	elem := c.compile(t.Elem())
	size := t.Elem().Size()
	return func(st *encState, p unsafe.Pointer, level int) (types.AttributeValue, bool) {
		return st.list(elem, p, n, size, level)
	}
}

// list writes the n elements of size bytes from data as an L.
func (st *encState) list(elem *avEnc, data unsafe.Pointer, n int, size uintptr, level int) (types.AttributeValue, bool) {
	if st.tooDeep(level) {
		return nil, true
	}
	l := st.lists.get()
	l.Value = make([]types.AttributeValue, 0, n)
	st.size += capacity.DocumentOverhead + n*capacity.ElementOverhead
	for i := range n {
		before := st.check
		av, stop := st.value(elem, unsafe.Add(data, uintptr(i)*size), level+1)
		if before == nil && st.check != nil {
			st.check.in("[" + strconv.Itoa(i) + "]")
		}
		if stop {
			return nil, true
		}
		l.Value = append(l.Value, av)
	}
	return l, false
}

// binary writes b as attributevalue does: a copy, never nil.
func (st *encState) binary(b []byte) types.AttributeValue {
	st.size += len(b)
	m := st.bins.get()
	m.Value = append([]byte{}, b...)
	return m
}

// errOverItemLimit is the Map codec's error for a value larger than
// DynamoDB stores in an item, on either path.
var errOverItemLimit = fmt.Errorf("codec: map encode: %w: %w (%d bytes)", ErrUnsupported, capacity.ErrTooLarge, capacity.MaxItemBytes)

// errEmptyMapKey is attributevalue's own error for an empty map key, so
// that errors.As finds the *attributevalue.InvalidMarshalError it found.
var errEmptyMapKey = func() error {
	_, err := mapEncoder.Encode(map[string]int{"": 0})
	return fmt.Errorf("codec: map encode: %w: %w", ErrUnsupported, err)
}()

// encState is one encoding's walk: the size so far, the first error
// checkAV would have returned, and the blocks the tree is allocated from.
type encState struct {
	size  int
	check *attrError
	abort error // attributevalue's own failure, which ended the walk
	deep  int   // containers entered beyond maxNesting
	// overLimit: the walk stopped once the size passed
	// capacity.MaxItemBytes (see value).
	overLimit bool

	// The tree's nodes come from blocks, a few allocations for a session
	// where attributevalue makes one per node. A node keeps its block
	// alive; nothing writes to a node after the walk.
	strs  slab[types.AttributeValueMemberS]
	nums  slab[types.AttributeValueMemberN]
	maps  slab[types.AttributeValueMemberM]
	lists slab[types.AttributeValueMemberL]
	bools slab[types.AttributeValueMemberBOOL]
	nulls slab[types.AttributeValueMemberNULL]
	bins  slab[types.AttributeValueMemberB]
	// buf holds the text of numbers and times: strings point into it, so
	// bytes once written are never written again (a full buffer is
	// replaced, not grown).
	buf      []byte
	bufHint  int // the size of the first buf
	textUsed int
}

// fail keeps err, a problem checkAV would have reported, if it is the
// first; the walk goes on.
func (st *encState) fail(err error) {
	if st.check == nil {
		st.check = &attrError{err: err}
	}
}

// stop records err, a failure of attributevalue's own, as what the
// encoding returns, and returns true: the walk ends.
func (st *encState) stop(err error) bool {
	st.abort = err
	return true
}

// maxTooDeep is how many containers nested beyond maxNesting a walk
// enters before it stops. It goes on after the first so that a failure
// of attributevalue's own further on (in them too) is still the error
// returned, as it was when attributevalue encoded the whole value before
// checkAV looked; it stops so that a value that contains itself (which
// attributevalue recursed into until the stack overflowed) fails in
// bounded time.
const maxTooDeep = 4096

// tooDeep reports nesting at level as checkAV does (a container beyond
// maxNesting), and whether the walk must stop.
func (st *encState) tooDeep(level int) (stop bool) {
	if level <= maxNesting {
		return false
	}
	if st.check == nil {
		st.fail(tooDeep())
	}
	st.deep++
	return st.deep > maxTooDeep
}

// number returns an N of the digits in text, sized as checkAV sizes it.
func (st *encState) number(text []byte) types.AttributeValue {
	s := st.text(text)
	st.size += capacity.NumberSize(s)
	n := st.nums.get()
	n.Value = s
	return n
}

// text returns b as a string kept in st.buf.
func (st *encState) text(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if cap(st.buf)-len(st.buf) < len(b) {
		n := max(len(b), min(2*cap(st.buf), 16<<10), 64)
		if st.buf == nil && st.bufHint > 0 {
			n = max(len(b), st.bufHint)
		}
		st.buf = make([]byte, 0, n)
	}
	st.textUsed += len(b)
	start := len(st.buf)
	st.buf = append(st.buf, b...)
	return unsafe.String(&st.buf[start], len(b))
}

// slab hands out Ts from blocks: the first of the size hinted, the next
// ones of growing size.
type slab[T any] struct {
	free []T
	next int // the size of the next block
	used int
}

func (s *slab[T]) get() *T {
	if len(s.free) == 0 {
		n := max(s.next, 8)
		s.free = make([]T, n)
		s.next = min(2*n, 1024)
	}
	s.used++
	p := &s.free[0]
	s.free = s.free[1:]
	return p
}

// slabKinds is how many slabs an encState has.
const slabKinds = 7

// A hint is capped: a large session must not make the blocks of a small
// one that follows large (its tree keeps them alive); blocks after the
// first grow, so a large session still takes few.
const (
	maxHintNodes = 256
	maxHintText  = 4096
)

// hint sizes st's first blocks as pl's last encoding used.
func (st *encState) hint(pl *mapPlan) {
	for i, n := range st.counts() {
		*n = int(pl.hints[i].Load())
	}
	st.bufHint = int(pl.hints[slabKinds].Load())
}

// keepHints records what st used, for the next encoding with pl.
func (st *encState) keepHints(pl *mapPlan) {
	used := [slabKinds]int{st.strs.used, st.nums.used, st.maps.used, st.lists.used, st.bools.used, st.nulls.used, st.bins.used}
	for i, n := range used {
		pl.hints[i].Store(int32(min(n, maxHintNodes)))
	}
	pl.hints[slabKinds].Store(int32(min(st.textUsed, maxHintText)))
}

// counts returns where each slab keeps the size of its next block.
func (st *encState) counts() [slabKinds]*int {
	return [slabKinds]*int{&st.strs.next, &st.nums.next, &st.maps.next, &st.lists.next, &st.bools.next, &st.nulls.next, &st.bins.next}
}
