package codec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/attr"
)

// KeepUnknown returns fresh, the encoding of a session that was read from
// stored and then changed, with what stored holds that the session type
// does not declare put back, at every level, as the package documentation
// describes. stored may be in either of the Map and JSON formats; in any
// other, fresh is returned unchanged: only this library writes those.
// fresh is returned itself when there is nothing to keep; neither argument
// is modified. internal/codecs.KeepUnknown calls it.
//
// It is type-aware, with the codec's own naming rules (`json` tags, and
// `dynamodbav` for Map): only names the decoder would have ignored are
// kept.
func (mapCodec[T]) KeepUnknown(stored, fresh types.AttributeValue) (types.AttributeValue, error) {
	out, err := keepUnknown(shapeOf(reflect.TypeFor[T](), false), stored, fresh)
	if err != nil {
		return nil, fmt.Errorf("codec: map encode: keeping unknown fields: %w", err)
	}
	if out != fresh {
		if err := checkAttribute(out, true); err != nil {
			return nil, fmt.Errorf("codec: map encode: keeping unknown fields: %w", err)
		}
	}
	return out, nil
}

// KeepUnknown is [mapCodec.KeepUnknown] with JSON's naming rules.
func (jsonCodec[T]) KeepUnknown(stored, fresh types.AttributeValue) (types.AttributeValue, error) {
	out, err := keepUnknown(shapeOf(reflect.TypeFor[T](), true), stored, fresh)
	if err != nil {
		return nil, fmt.Errorf("codec: json encode: keeping unknown fields: %w", err)
	}
	return out, nil
}

// Lossy reports, as an error wrapping [ErrUnsupported], that stored (an M
// attribute) holds fields T does not declare, which decoding drops,
// unless keepsUnknown (the writing codec puts them back). See
// [jsonCodec.Lossy].
func (mapCodec[T]) Lossy(stored types.AttributeValue, keepsUnknown bool) error {
	if _, ok := stored.(*types.AttributeValueMemberM); !ok || keepsUnknown {
		return nil
	}
	return unknownFields[T](stored, false)
}

// keepUnknown merges at the top level, where Map values are M attributes
// and JSON values S attributes holding JSON text.
func keepUnknown(sh *shape, stored, fresh types.AttributeValue) (types.AttributeValue, error) {
	if sh.kind == opaque {
		return fresh, nil
	}
	st, ok := asValue(stored)
	if !ok || !hasUnknown(sh, st) {
		return fresh, nil
	}
	fr, ok := asValue(fresh)
	if !ok {
		return fresh, nil
	}
	out, changed, err := merge(sh, st, fr)
	if err != nil || !changed {
		return fresh, err
	}
	if text, ok := out.(json.RawMessage); ok {
		return &types.AttributeValueMemberS{Value: string(text)}, nil
	}
	return out.(types.AttributeValue), nil
}

// A value is part of a stored or fresh session in either representation:
// a types.AttributeValue (Map), or a json.RawMessage of JSON text.
type value any

// asValue returns the value of a top-level session attribute: M as
// itself, S as its JSON text.
func asValue(av types.AttributeValue) (value, bool) {
	switch v := av.(type) {
	case *types.AttributeValueMemberM:
		return v, true
	case *types.AttributeValueMemberS:
		return json.RawMessage(v.Value), true
	}
	return nil, false
}

type member struct {
	key string
	val value
}

// members returns the members of an object, in stored order for JSON (a
// map's order is its own), or false if v is not an object.
func members(v value) ([]member, bool) {
	switch v := v.(type) {
	case *types.AttributeValueMemberM:
		out := make([]member, 0, len(v.Value))
		for _, k := range slices.Sorted(maps.Keys(v.Value)) {
			out = append(out, member{k, v.Value[k]})
		}
		return out, true
	case json.RawMessage:
		var out []member
		ok := eachMember(v, func(key, val []byte) bool {
			out = append(out, member{jsonKey(key), json.RawMessage(val)})
			return true
		})
		return out, ok
	}
	return nil, false
}

// elements returns the elements of a list, or false if v is not one.
func elements(v value) ([]value, bool) {
	switch v := v.(type) {
	case *types.AttributeValueMemberL:
		out := make([]value, len(v.Value))
		for i, e := range v.Value {
			out[i] = e
		}
		return out, true
	case json.RawMessage:
		var out []value
		ok := eachElement(v, func(val []byte) bool {
			out = append(out, json.RawMessage(val))
			return true
		})
		return out, ok
	}
	return nil, false
}

// merge returns fresh with the unknown parts of stored put back, in fresh's
// representation, and whether it added anything.
func merge(sh *shape, stored, fresh value) (value, bool, error) {
	switch sh.kind {
	case object, dict:
		return mergeObject(sh, stored, fresh)
	case list:
		return mergeList(sh, stored, fresh)
	}
	return fresh, false, nil
}

func mergeObject(sh *shape, stored, fresh value) (value, bool, error) {
	sm, ok := members(stored)
	if !ok {
		return fresh, false, nil
	}
	fm, ok := members(fresh)
	if !ok {
		return fresh, false, nil
	}
	at := make(map[string]int, len(fm))
	for i, m := range fm {
		at[m.key] = i
	}
	var kept []member
	changed := false
	for _, m := range sm {
		inner, known := sh.elem, true
		if sh.kind == object {
			inner, known = sh.known(m.key)
		}
		i, inFresh := at[m.key]
		switch {
		case !known && !inFresh:
			v, err := convert(m.val, fresh)
			if err != nil {
				return nil, false, fmt.Errorf("%s: %w", m.key, err)
			}
			kept = append(kept, member{m.key, v})
		case known && inFresh && inner != nil && inner.kind != opaque:
			v, ch, err := merge(inner, m.val, fm[i].val)
			if err != nil {
				return nil, false, fmt.Errorf("%s: %w", m.key, err)
			}
			if ch {
				if !changed {
					fm = slices.Clone(fm)
				}
				fm[i].val, changed = v, true
			}
		}
	}
	if !changed && len(kept) == 0 {
		return fresh, false, nil
	}
	return buildObject(fresh, append(fm, kept...)), true, nil
}

func mergeList(sh *shape, stored, fresh value) (value, bool, error) {
	sl, ok := elements(stored)
	if !ok {
		return fresh, false, nil
	}
	fl, ok := elements(fresh)
	if !ok {
		return fresh, false, nil
	}
	// Pair each stored element holding unknown parts with the fresh
	// element it became: first one equal at the same index, then an equal
	// one elsewhere (it moved), then, when the list kept its length, the
	// one at its index (it changed in place). Equal elements are told
	// apart by index first, so duplicates keep their own parts.
	var carriers []int
	for i, s := range sl {
		if hasUnknown(sh.elem, s) {
			carriers = append(carriers, i)
		}
	}
	if len(carriers) == 0 {
		return fresh, false, nil
	}
	eq := equalElements(sh.elem, sl, fl)
	taken := make([]bool, len(fl))  // fresh elements paired
	paired := make([]bool, len(sl)) // stored elements paired
	pairs := map[int]int{}          // fresh index -> stored index
	pair := func(i, j int) { taken[j], paired[i], pairs[j] = true, true, i }
	carries := make([]bool, len(sl))
	for _, i := range carriers {
		carries[i] = true
	}
	for i := range min(len(sl), len(fl)) {
		// An unchanged element in its place, carrier or not, is accounted
		// for: no other element's parts may move there.
		if eq(i, i) {
			if pair(i, i); !carries[i] {
				delete(pairs, i)
			}
		}
	}
	for _, i := range carriers {
		for j := 0; j < len(fl) && !paired[i]; j++ {
			if !taken[j] && eq(i, j) {
				pair(i, j)
			}
		}
	}
	if len(sl) == len(fl) {
		for _, i := range carriers {
			if !paired[i] && !taken[i] {
				pair(i, i)
			}
		}
	}
	out := fl
	changed := false
	for j, i := range pairs {
		v, ch, err := merge(sh.elem, sl[i], fl[j])
		if err != nil {
			return nil, false, fmt.Errorf("[%d]: %w", j, err)
		}
		if ch {
			if !changed {
				out = slices.Clone(fl)
			}
			out[j], changed = v, true
		}
	}
	if !changed {
		return fresh, false, nil
	}
	return buildArray(fresh, out), true, nil
}

// equalElements returns a function reporting whether stored element i and
// fresh element j decode to equal values of sh's Go type, decoding each
// element at most once.
func equalElements(sh *shape, sl, fl []value) func(i, j int) bool {
	type decoded struct {
		v  any
		ok bool
	}
	ds := make([]*decoded, len(sl))
	df := make([]*decoded, len(fl))
	get := func(cache []*decoded, k int, v value) *decoded {
		if cache[k] == nil {
			x, err := decodeValue(sh.typ, v)
			cache[k] = &decoded{x, err == nil}
		}
		return cache[k]
	}
	return func(i, j int) bool {
		a, b := get(ds, i, sl[i]), get(df, j, fl[j])
		return a.ok && b.ok && reflect.DeepEqual(a.v, b.v)
	}
}

// hasUnknown reports whether v holds a name sh does not know, at any level.
// It allocates nothing for a value that holds none (a record only this
// library wrote): that is what every save pays.
func hasUnknown(sh *shape, v value) bool {
	switch v := v.(type) {
	case types.AttributeValue:
		return hasUnknownAV(sh, v)
	case json.RawMessage:
		return hasUnknownJSON(sh, v)
	}
	return false
}

func hasUnknownAV(sh *shape, av types.AttributeValue) bool {
	switch v := av.(type) {
	case *types.AttributeValueMemberM:
		if sh.kind != object && sh.kind != dict {
			return false
		}
		for k, e := range v.Value {
			inner, known := sh.elem, true
			if sh.kind == object {
				inner, known = sh.known(k)
			}
			if !known || inner != nil && inner.kind != opaque && hasUnknownAV(inner, e) {
				return true
			}
		}
	case *types.AttributeValueMemberL:
		if sh.kind != list {
			return false
		}
		for _, e := range v.Value {
			if hasUnknownAV(sh.elem, e) {
				return true
			}
		}
	}
	return false
}

func hasUnknownJSON(sh *shape, text []byte) bool {
	found := false
	switch sh.kind {
	case object, dict:
		eachMember(text, func(key, val []byte) bool {
			inner, known := sh.elem, true
			if sh.kind == object {
				if inner, known = sh.fields[string(key)]; !known {
					inner, known = sh.known(jsonKey(key))
				}
			}
			found = !known || inner != nil && inner.kind != opaque && hasUnknownJSON(inner, val)
			return !found
		})
	case list:
		eachElement(text, func(val []byte) bool {
			found = hasUnknownJSON(sh.elem, val)
			return !found
		})
	}
	return found
}

func decodeValue(t reflect.Type, v value) (any, error) {
	p := reflect.New(t)
	var err error
	switch v := v.(type) {
	case json.RawMessage:
		err = decodeJSON(v, p.Interface())
	case types.AttributeValue:
		err = decodeMap(v, p.Interface())
	}
	return p.Elem().Interface(), err
}

// buildObject builds an object of the members in like's representation.
func buildObject(like value, ms []member) value {
	if _, ok := like.(json.RawMessage); ok {
		var b bytes.Buffer
		b.WriteByte('{')
		for i, m := range ms {
			if i > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(m.key) // a string always marshals
			b.Write(key)
			b.WriteByte(':')
			b.Write(m.val.(json.RawMessage))
		}
		b.WriteByte('}')
		return json.RawMessage(b.Bytes())
	}
	out := make(map[string]types.AttributeValue, len(ms))
	for _, m := range ms {
		out[m.key] = m.val.(types.AttributeValue)
	}
	return &types.AttributeValueMemberM{Value: out}
}

// buildArray builds a list of the elements in like's representation.
func buildArray(like value, es []value) value {
	if _, ok := like.(json.RawMessage); ok {
		var b bytes.Buffer
		b.WriteByte('[')
		for i, e := range es {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(e.(json.RawMessage))
		}
		b.WriteByte(']')
		return json.RawMessage(b.Bytes())
	}
	out := make([]types.AttributeValue, len(es))
	for i, e := range es {
		out[i] = e.(types.AttributeValue)
	}
	return &types.AttributeValueMemberL{Value: out}
}

// convert returns v, an unknown part of a stored value, in like's
// representation: exactly, or an error wrapping ErrUnsupported.
func convert(v, like value) (value, error) {
	switch v := v.(type) {
	case json.RawMessage:
		if _, ok := like.(json.RawMessage); ok {
			return v, nil
		}
		if hasLoneSurrogate(string(v)) {
			return nil, fmt.Errorf("%w: an unpaired UTF-16 surrogate escape, which a Map string cannot hold", ErrUnsupported)
		}
		dec := json.NewDecoder(bytes.NewReader(v))
		dec.UseNumber()
		var x any
		if err := dec.Decode(&x); err != nil {
			return nil, err
		}
		return jsonToAV(x)
	case types.AttributeValue:
		if _, ok := like.(json.RawMessage); !ok {
			return v, nil
		}
		x, err := avToJSON(v)
		if err != nil {
			return nil, err
		}
		text, err := json.Marshal(x)
		return json.RawMessage(text), err
	}
	return nil, fmt.Errorf("%w: unexpected %T", ErrUnsupported, v)
}

// jsonToAV converts a JSON value decoded with UseNumber to the attribute
// value the Map format stores for it (what @pwrdrvr/dynamodb-session-store
// writes for a JavaScript value).
func jsonToAV(x any) (types.AttributeValue, error) {
	switch x := x.(type) {
	case nil:
		return &types.AttributeValueMemberNULL{Value: true}, nil
	case bool:
		return &types.AttributeValueMemberBOOL{Value: x}, nil
	case string:
		return &types.AttributeValueMemberS{Value: x}, nil
	case json.Number:
		if err := checkNumber(string(x)); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrUnsupported, err)
		}
		return &types.AttributeValueMemberN{Value: string(x)}, nil
	case []any:
		out := make([]types.AttributeValue, len(x))
		for i, e := range x {
			av, err := jsonToAV(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = av
		}
		return &types.AttributeValueMemberL{Value: out}, nil
	case map[string]any:
		out := make(map[string]types.AttributeValue, len(x))
		for k, e := range x {
			av, err := jsonToAV(e)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = av
		}
		return &types.AttributeValueMemberM{Value: out}, nil
	}
	return nil, fmt.Errorf("%w: unexpected JSON value %T", ErrUnsupported, x)
}

// avToJSON converts an attribute value to a value encoding/json writes as
// the JSON text connect-dynamodb stores for it. Binary values and sets have
// no JSON form that reads back as what they were.
func avToJSON(av types.AttributeValue) (any, error) {
	switch v := av.(type) {
	case *types.AttributeValueMemberNULL:
		return nil, nil
	case *types.AttributeValueMemberBOOL:
		return v.Value, nil
	case *types.AttributeValueMemberS:
		return v.Value, nil
	case *types.AttributeValueMemberN:
		d, ok := attr.ParseDecimal(v.Value)
		if !ok {
			return nil, fmt.Errorf("%w: %q is not a number", ErrUnsupported, v.Value)
		}
		return json.Number(d.String()), nil
	case *types.AttributeValueMemberL:
		out := make([]any, len(v.Value))
		for i, e := range v.Value {
			x, err := avToJSON(e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = x
		}
		return out, nil
	case *types.AttributeValueMemberM:
		out := make(map[string]any, len(v.Value))
		for k := range v.Value {
			x, err := avToJSON(v.Value[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = x
		}
		return out, nil
	}
	return nil, fmt.Errorf("%w: a %s value, which JSON cannot hold", ErrUnsupported, typeName(av))
}
