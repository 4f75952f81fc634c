package dynamosession

import (
	"bytes"
	"encoding/json"
	"reflect"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/jsonscan"
)

// sameMembers tells whether stored and encoded, a Map or JSON value each,
// of the same format and with different encodings, hold the same data,
// by decoding only the top-level members in which they differ: each side
// is decoded into a zero T from an object of those members alone (a
// member on one side only stays absent on the other), and the two T
// values are compared. A changed field is found at the cost of decoding
// that field twice instead of the whole stored session (a Save of changed
// Map data cost 2.6 times the raw SDK's, 4.7 for JSON, with the whole
// decode). ok is false when this cannot tell, and the caller decodes the
// whole stored value.
//
// The members in which the two agree decode to the same fields on both
// sides, since a struct or map decodes member by member; so the decoded
// sessions agree exactly when these partial ones do. That holds unless T
// decodes itself from the whole object (an attributevalue.Unmarshaler or
// json.Unmarshaler), and for JSON unless a key is escaped or repeated
// (encoding/json then matches it in ways a byte comparison does not see):
// then ok is false.
func (r *Repo[T]) sameMembers(key string, format codec.Format, stored, encoded types.AttributeValue) (same, ok bool) {
	if !partialDecodable[T](format) {
		return false, false
	}
	var a, b types.AttributeValue
	switch format {
	case codec.FormatMap:
		a, b, ok = differingAV(stored, encoded)
	case codec.FormatJSON:
		a, b, ok = differingJSON(stored, encoded)
	}
	if !ok {
		return false, false
	}
	var x, y T
	if _, err := r.reader.Decode(key, a, &x); err != nil {
		return false, false
	}
	if _, err := r.reader.Decode(key, b, &y); err != nil {
		return false, false
	}
	return reflect.DeepEqual(x, y), true
}

// partialDecodable reports whether a T decodes member by member in format:
// a struct or map type that does not decode itself.
func partialDecodable[T any](format codec.Format) bool {
	t := reflect.TypeFor[T]()
	if t.Kind() != reflect.Struct && t.Kind() != reflect.Map {
		return false
	}
	self := reflect.TypeFor[attributevalue.Unmarshaler]()
	if format == codec.FormatJSON {
		self = reflect.TypeFor[json.Unmarshaler]()
	}
	return !t.Implements(self) && !reflect.PointerTo(t).Implements(self)
}

// differingAV returns the members of two M values in which they differ,
// as an M value each.
func differingAV(stored, encoded types.AttributeValue) (a, b types.AttributeValue, ok bool) {
	sm, ok1 := stored.(*types.AttributeValueMemberM)
	em, ok2 := encoded.(*types.AttributeValueMemberM)
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	da, db := map[string]types.AttributeValue{}, map[string]types.AttributeValue{}
	for k, v := range sm.Value {
		if e, ok := em.Value[k]; !ok || !attr.Equal(v, e) {
			da[k] = v
			if ok {
				db[k] = e
			}
		}
	}
	for k, e := range em.Value {
		if _, ok := sm.Value[k]; !ok {
			db[k] = e
		}
	}
	return &types.AttributeValueMemberM{Value: da}, &types.AttributeValueMemberM{Value: db}, true
}

// differingJSON returns the members of two JSON objects in which they
// differ (by their text), as the JSON text of an object each.
func differingJSON(stored, encoded types.AttributeValue) (a, b types.AttributeValue, ok bool) {
	ss, ok1 := stored.(*types.AttributeValueMemberS)
	es, ok2 := encoded.(*types.AttributeValueMemberS)
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	sm, ok1 := jsonMembers([]byte(ss.Value))
	em, ok2 := jsonMembers([]byte(es.Value))
	if !ok1 || !ok2 {
		return nil, nil, false
	}
	var da, db bytes.Buffer
	da.WriteByte('{')
	db.WriteByte('{')
	add := func(buf *bytes.Buffer, key string, val []byte) {
		if buf.Len() > 1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('"')
		buf.WriteString(key)
		buf.WriteString(`":`)
		buf.Write(val)
	}
	for k, v := range sm {
		if e, ok := em[k]; !ok || !bytes.Equal(v, e) {
			add(&da, k, v)
			if ok {
				add(&db, k, e)
			}
		}
	}
	for k, e := range em {
		if _, ok := sm[k]; !ok {
			add(&db, k, e)
		}
	}
	da.WriteByte('}')
	db.WriteByte('}')
	return &types.AttributeValueMemberS{Value: da.String()}, &types.AttributeValueMemberS{Value: db.String()}, true
}

// jsonMembers returns the members of a JSON object by their key text, or
// false for anything else, or for an object with an escaped or repeated
// key.
func jsonMembers(text []byte) (map[string][]byte, bool) {
	out := map[string][]byte{}
	plain := true
	ok := jsonscan.EachMember(text, func(key, val []byte) bool {
		if bytes.IndexByte(key, '\\') >= 0 {
			plain = false
			return false
		}
		if _, dup := out[string(key)]; dup {
			plain = false
			return false
		}
		out[string(key)] = val
		return true
	})
	return out, ok && plain
}
