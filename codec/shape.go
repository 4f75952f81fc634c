package codec

import (
	"encoding"
	"encoding/json"
	"reflect"
	"sort"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/dynamosession/dynamosession/internal/jsontag"
)

// A shape is what a codec makes of a Go type when it decodes a stored
// value into it: which names of a stored object become fields, and which
// parts are nested objects, maps and lists whose own fields are known.
// KeepUnknown walks a stored value and a fresh encoding along it.
type shape struct {
	kind   shapeKind
	typ    reflect.Type      // the Go type, to decode list elements when matching them
	fields map[string]*shape // object: the encoded name of every field
	elem   *shape            // list and dict: the shape of the elements
}

type shapeKind uint8

const (
	// opaque: the type holds whatever is stored there (a scalar, an
	// interface value, []byte, time.Time, a type with its own marshaler):
	// nothing in it is unknown.
	opaque shapeKind = iota
	object           // a struct: names that are not fields are unknown
	list             // a slice or array of a non-opaque shape
	dict             // a map with string keys, of a non-opaque shape
)

// known reports whether the decoder reads the stored name into a field: a
// field of that exact name, or else one whose name matches it ignoring
// case, as encoding/json and attributevalue both match.
func (s *shape) known(name string) (*shape, bool) {
	if f, ok := s.fields[name]; ok {
		return f, true
	}
	for n := range s.fields {
		if strings.EqualFold(n, name) {
			return nil, true // read into a field the fresh encoding names otherwise
		}
	}
	return nil, false
}

// tagRules names struct fields as one codec does.
type tagRules struct {
	// tag returns the struct tag the codec reads for f ("" for none).
	tag func(f reflect.StructField) string
	// self reports types that encode and decode themselves.
	self func(t reflect.Type) bool
	// anyName: the codec takes any tag name (attributevalue); encoding/json
	// ignores a name with characters it does not accept.
	anyName bool
}

var (
	textMarshaler   = reflect.TypeFor[encoding.TextMarshaler]()
	textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()
	avMarshalerType = reflect.TypeFor[attributevalue.Marshaler]()
	jsonMarshalerT  = reflect.TypeFor[json.Marshaler]()
)

func implements(t reflect.Type, ifaces ...reflect.Type) bool {
	for _, i := range ifaces {
		if t.Implements(i) || t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(i) {
			return true
		}
	}
	return false
}

// jsonRules are encoding/json's: the `json` tag.
var jsonRules = tagRules{
	tag: func(f reflect.StructField) string { return f.Tag.Get("json") },
	self: func(t reflect.Type) bool {
		return implements(t, jsonMarshalerT, jsonUnmarshaler, textMarshaler, textUnmarshaler)
	},
}

// mapRules are attributevalue's with TagKey "json", as the Map codec
// configures it: the `json` tag when a field has one, else `dynamodbav`
// (attributevalue parses both, the custom key last, and a non-empty custom
// tag replaces everything the other said). time.Time and its conversions
// are written as text.
var mapRules = tagRules{
	tag: func(f reflect.StructField) string {
		if j := f.Tag.Get("json"); j != "" {
			return j
		}
		return f.Tag.Get("dynamodbav")
	},
	self: func(t reflect.Type) bool {
		return t.ConvertibleTo(timeType) || implements(t, avMarshalerType, avUnmarshaler)
	},
	anyName: true,
}

type shapeKey struct {
	t    reflect.Type
	json bool
}

var shapes sync.Map // shapeKey -> *shape

// shapeOf returns t's shape under the JSON codec's rules (json true) or
// the Map codec's, computed once per type.
func shapeOf(t reflect.Type, json bool) *shape {
	key := shapeKey{t, json}
	if s, ok := shapes.Load(key); ok {
		return s.(*shape)
	}
	rules := mapRules
	if json {
		rules = jsonRules
	}
	s := buildShape(t, rules, map[reflect.Type]*shape{})
	shapes.Store(key, s)
	return s
}

var opaqueShape = &shape{kind: opaque}

func buildShape(t reflect.Type, rules tagRules, building map[reflect.Type]*shape) *shape {
	for t.Kind() == reflect.Pointer {
		if rules.self(t) {
			return opaqueShape
		}
		t = t.Elem()
	}
	if s, ok := building[t]; ok {
		return s // a recursive type: the shape being built
	}
	if rules.self(t) {
		return opaqueShape
	}
	s := &shape{typ: t}
	building[t] = s
	switch t.Kind() {
	case reflect.Struct:
		s.kind = object
		s.fields = map[string]*shape{}
		for _, f := range structFields(t, rules) {
			s.fields[f.name] = buildShape(f.typ, rules, building)
		}
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			s.kind = opaque // bytes
			break
		}
		if e := buildShape(t.Elem(), rules, building); e.kind != opaque || e == s {
			s.kind, s.elem = list, e
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			break
		}
		if e := buildShape(t.Elem(), rules, building); e.kind != opaque || e == s {
			s.kind, s.elem = dict, e
		}
	}
	if s.kind == opaque {
		building[t] = opaqueShape
		return opaqueShape
	}
	return s
}

// field is a struct field as a codec names it.
type field struct {
	name   string
	typ    reflect.Type
	index  []int
	tagged bool
}

// structFields lists the fields a codec encodes for struct type t, with
// the names it gives them: encoding/json's rules (typeFields in
// encoding/json/encode.go), which attributevalue copies (enumFields in its
// field.go): embedded structs without a name in their tag are flattened,
// and of several fields with one name the shallowest wins, then the one
// named by a tag; a tie hides them all.
func structFields(t reflect.Type, rules tagRules) []field {
	type queued struct {
		typ   reflect.Type
		index []int
	}
	var fields []field
	next := []queued{{typ: t}}
	visited := map[reflect.Type]bool{}
	for len(next) > 0 {
		current := next
		next = nil
		count := map[reflect.Type]int{}
		for _, q := range current {
			count[q.typ]++
		}
		for _, q := range current {
			if visited[q.typ] {
				continue
			}
			visited[q.typ] = true
			for i := range q.typ.NumField() {
				sf := q.typ.Field(i)
				ft := sf.Type
				if sf.Anonymous {
					if ft.Kind() == reflect.Pointer {
						ft = ft.Elem()
					}
					if !sf.IsExported() && ft.Kind() != reflect.Struct {
						continue
					}
				} else if !sf.IsExported() {
					continue
				}
				tag := rules.tag(sf)
				if tag == "-" {
					continue
				}
				name, _, _ := strings.Cut(tag, ",")
				if !rules.anyName && !jsontag.ValidName(name) {
					name = ""
				}
				index := append(append([]int(nil), q.index...), i)
				if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct && !rules.self(ft) {
					next = append(next, queued{typ: ft, index: index})
					continue
				}
				f := field{name: name, typ: sf.Type, index: index, tagged: name != ""}
				if f.name == "" {
					f.name = sf.Name
				}
				fields = append(fields, f)
				if count[q.typ] > 1 {
					fields = append(fields, f) // reached twice at one depth: a tie
				}
			}
		}
	}
	sort.SliceStable(fields, func(i, j int) bool {
		if fields[i].name != fields[j].name {
			return fields[i].name < fields[j].name
		}
		if len(fields[i].index) != len(fields[j].index) {
			return len(fields[i].index) < len(fields[j].index)
		}
		return fields[i].tagged && !fields[j].tagged
	})
	var out []field
	for i := 0; i < len(fields); {
		j := i + 1
		for j < len(fields) && fields[j].name == fields[i].name {
			j++
		}
		if f, ok := dominant(fields[i:j]); ok {
			out = append(out, f)
		}
		i = j
	}
	return out
}

// dominant picks the field that wins among fields of one name, sorted by
// depth and then tagged first, as encoding/json's dominantField does.
func dominant(fields []field) (field, bool) {
	if len(fields) == 1 {
		return fields[0], true
	}
	if len(fields[0].index) == len(fields[1].index) && fields[0].tagged == fields[1].tagged {
		return field{}, false
	}
	return fields[0], true
}
