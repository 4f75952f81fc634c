package codec

import (
	"encoding"
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/vmihailenco/msgpack/v5"
)

// A struct that embeds a type inherits its methods. When one of them is a
// method a codec's library calls to write a value, the library writes the
// struct by the embedded value's method alone and drops the struct's other
// fields: encoding/json stores `struct{ time.Time; N int }` as the time,
// N lost; msgpack does the same through MarshalBinary. attributevalue
// honours none of time's methods but flattens an embedded struct into its
// exported fields, of which time.Time has none, so it stores nothing of
// the time. No codec reported either; each session then read back with
// data missing. These checks refuse such types, by type, once per type.

// The methods each library calls to write a value, in the order it looks
// for them (encoding/json's newTypeEncoder; msgpack v5.4.1's
// getEncoder; attributevalue's Encoder).
var (
	jsonWriters = []reflect.Type{
		reflect.TypeFor[json.Marshaler](),
		reflect.TypeFor[encoding.TextMarshaler](),
	}
	msgpackWriters = []reflect.Type{
		reflect.TypeFor[msgpack.CustomEncoder](),
		reflect.TypeFor[msgpack.Marshaler](),
		reflect.TypeFor[encoding.BinaryMarshaler](),
		reflect.TypeFor[encoding.TextMarshaler](),
	}
	mapWriters = []reflect.Type{reflect.TypeFor[attributevalue.Marshaler]()}
	// opaqueWriters are the methods through which a type with no exported
	// fields shows its data to the other codecs: embedded, attributevalue
	// flattens it to nothing.
	opaqueWriters = []reflect.Type{
		reflect.TypeFor[json.Marshaler](),
		reflect.TypeFor[encoding.TextMarshaler](),
		reflect.TypeFor[encoding.BinaryMarshaler](),
	}
)

// embeddedVerdicts caches checkEmbedded's verdict per codec and type.
var embeddedVerdicts sync.Map // embeddedKey -> error (nil stored as errOK)

type embeddedKey struct {
	t      reflect.Type
	format Format
}

// checkEmbedded refuses, with an error wrapping [ErrUnsupported] that names
// the struct and the embedded field, a type t holding anywhere a struct
// whose encoding by the codec of format would lose data through an
// embedded field (see above).
func checkEmbedded(t reflect.Type, format Format) error {
	k := embeddedKey{t, format}
	if v, ok := embeddedVerdicts.Load(k); ok {
		if v.(error) == errOK {
			return nil
		}
		return v.(error)
	}
	writers := jsonWriters
	switch format {
	case FormatMsgpack:
		writers = msgpackWriters
	case FormatMap:
		writers = mapWriters
	}
	var err error
	seen := map[reflect.Type]bool{}
	typeHoldsWalk(t, seen, func(s reflect.Type) bool {
		err = embeddedLoss(s, writers, format == FormatMap)
		return err != nil
	})
	if err == nil {
		embeddedVerdicts.Store(k, errOK)
	} else {
		embeddedVerdicts.Store(k, err)
	}
	return err
}

// typeHoldsWalk calls visit with every struct type reachable from t
// through pointers, slices, arrays, maps and exported fields, until visit
// returns true.
func typeHoldsWalk(t reflect.Type, seen map[reflect.Type]bool, visit func(reflect.Type) bool) bool {
	if t == nil || seen[t] {
		return false
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return typeHoldsWalk(t.Elem(), seen, visit)
	case reflect.Map:
		return typeHoldsWalk(t.Key(), seen, visit) || typeHoldsWalk(t.Elem(), seen, visit)
	case reflect.Struct:
		if visit(t) {
			return true
		}
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() || f.Anonymous {
				if typeHoldsWalk(f.Type, seen, visit) {
					return true
				}
			}
		}
	}
	return false
}

// embeddedLoss reports how encoding struct s loses data through one of its
// embedded fields: s inherits one of writers from it while it has other
// fields, or (opaque, for attributevalue) the embedded type has no exported
// fields and shows its data only through methods.
func embeddedLoss(s reflect.Type, writers []reflect.Type, opaque bool) error {
	for i := range s.NumField() {
		f := s.Field(i)
		// A tag does not stop Go promoting f's methods: `json:"-"` on f
		// leaves s writing itself by f's MarshalJSON.
		if !f.Anonymous {
			continue
		}
		// The library calls the first of writers that s has: only if s
		// inherits that one from f does f's method write s. Which methods
		// s has depends on where the value is: the libraries use *s's
		// methods for a value they can address, s's for one they cannot
		// (encoding/json's map values), and msgpack s's before *s's for
		// every value. So the first writer of either set must be s's own.
		for _, set := range []reflect.Type{s, reflect.PointerTo(s)} {
			for _, w := range writers {
				if !set.Implements(w) {
					continue
				}
				name := w.Method(0).Name
				if implements(f.Type, w) && !declares(s, name) && otherFields(s, i, opaque) {
					return fmt.Errorf("%w: %s embeds %s and inherits its %s, so %s alone would be stored and the other fields of %s lost; name the field instead of embedding it", ErrUnsupported, s, f.Type, name, f.Type, s)
				}
				break
			}
		}
		// attributevalue flattens only an embedded field that its tag
		// neither names nor skips (as encoding/json does).
		if name, _, _ := strings.Cut(mapRules.tag(f), ","); !opaque || name != "" {
			continue
		}
		e := f.Type
		if e.Kind() == reflect.Pointer {
			e = e.Elem()
		}
		if e.Kind() == reflect.Struct && !hasExportedField(e) && implements(e, opaqueWriters...) {
			return fmt.Errorf("%w: %s embeds %s, which has no exported fields: attributevalue flattens it into nothing and its value would be lost; name the field instead of embedding it", ErrUnsupported, s, f.Type)
		}
	}
	return nil
}

// declares reports whether s declares method name itself (on a value or
// pointer receiver) rather than inheriting it from an embedded field. The
// Go runtime gives the methods it promotes from an embedded field
// compiler-generated wrappers, which it places in "<autogenerated>"; a
// declared method is in its source file.
func declares(s reflect.Type, name string) bool {
	for _, t := range []reflect.Type{s, reflect.PointerTo(s)} {
		if m, ok := t.MethodByName(name); ok {
			pc := m.Func.Pointer()
			if f := runtime.FuncForPC(pc); f != nil {
				if file, _ := f.FileLine(pc); file != "<autogenerated>" {
					return true
				}
			}
		}
	}
	return false
}

// otherFields reports whether struct s has a field, other than field i,
// that a codec writes: by its `json` tag, or for attributevalue (avRules)
// by the tag mapRules reads.
func otherFields(s reflect.Type, i int, avRules bool) bool {
	tag := jsonRules.tag
	if avRules {
		tag = mapRules.tag
	}
	for j := range s.NumField() {
		if f := s.Field(j); j != i && (f.IsExported() || f.Anonymous) && tag(f) != "-" {
			return true
		}
	}
	return false
}

func hasExportedField(s reflect.Type) bool {
	for i := range s.NumField() {
		if s.Field(i).IsExported() {
			return true
		}
	}
	return false
}
