package fake

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession/internal/attr"
)

// Messages DynamoDB uses for attribute values it will not accept.
const (
	msgEmptyValue   = "Supplied AttributeValue is empty, must contain exactly one of the supported datatypes"
	msgNullFalse    = "One or more parameter values were invalid: Null attribute value types must have the value of true"
	msgEmptySS      = "One or more parameter values were invalid: An string set  may not be empty"
	msgEmptyNS      = "One or more parameter values were invalid: An number set  may not be empty"
	msgEmptyBS      = "One or more parameter values were invalid: Binary sets should not be empty"
	msgDuplicateIn  = "One or more parameter values were invalid: Input collection %s contains duplicates."
	msgEmptyName    = "Empty attribute name"
	msgNameTooLarge = "Attribute name is too large, must be less than 65536 bytes"
	msgTooDeep      = "Nesting Levels have exceeded supported limits"
)

// typeName returns DynamoDB's short name of the value's type, or "".
func typeName(av types.AttributeValue) string { return attr.TypeName(av) }

// copyValue deep-copies av so that neither the caller nor the fake can
// reach the other's maps, slices or byte arrays.
func copyValue(av types.AttributeValue) types.AttributeValue {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: v.Value}
	case *types.AttributeValueMemberN:
		return &types.AttributeValueMemberN{Value: v.Value}
	case *types.AttributeValueMemberB:
		return &types.AttributeValueMemberB{Value: bytes.Clone(v.Value)}
	case *types.AttributeValueMemberBOOL:
		return &types.AttributeValueMemberBOOL{Value: v.Value}
	case *types.AttributeValueMemberNULL:
		return &types.AttributeValueMemberNULL{Value: v.Value}
	case *types.AttributeValueMemberSS:
		return &types.AttributeValueMemberSS{Value: append([]string(nil), v.Value...)}
	case *types.AttributeValueMemberNS:
		return &types.AttributeValueMemberNS{Value: append([]string(nil), v.Value...)}
	case *types.AttributeValueMemberBS:
		bs := make([][]byte, len(v.Value))
		for i, b := range v.Value {
			bs[i] = bytes.Clone(b)
		}
		return &types.AttributeValueMemberBS{Value: bs}
	case *types.AttributeValueMemberM:
		return &types.AttributeValueMemberM{Value: copyItem(v.Value)}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(v.Value))
		for i, e := range v.Value {
			l[i] = copyValue(e)
		}
		return &types.AttributeValueMemberL{Value: l}
	}
	return av
}

// copyItem deep-copies an item; nil stays nil.
func copyItem(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	if item == nil {
		return nil
	}
	out := make(map[string]types.AttributeValue, len(item))
	for k, v := range item {
		out[k] = copyValue(v)
	}
	return out
}

// cleanValue validates av as DynamoDB validates request values and returns
// a deep copy as DynamoDB stores it: strings and map keys as the SDK put
// them on the wire (see [wireString]) and numbers in canonical form. The
// message is DynamoDB's.
func cleanValue(av types.AttributeValue) (types.AttributeValue, string) {
	switch v := av.(type) {
	case *types.AttributeValueMemberS:
		return &types.AttributeValueMemberS{Value: wireString(v.Value)}, ""
	case *types.AttributeValueMemberB:
		// The SDK sends a nil slice as {"B": null}: no value at all.
		if v.Value == nil {
			return nil, msgEmptyValue
		}
		return copyValue(av), ""
	case *types.AttributeValueMemberBOOL:
		return copyValue(av), ""
	case *types.AttributeValueMemberNULL:
		if !v.Value {
			return nil, msgNullFalse
		}
		return copyValue(av), ""
	case *types.AttributeValueMemberN:
		n, msg := canonicalNumber(v.Value)
		if msg != "" {
			return nil, msg
		}
		return &types.AttributeValueMemberN{Value: n}, ""
	case *types.AttributeValueMemberSS:
		if len(v.Value) == 0 {
			return nil, msgEmptySS
		}
		out := make([]string, len(v.Value))
		for i, e := range v.Value {
			out[i] = wireString(e)
		}
		if dupes(out) {
			return nil, fmt.Sprintf(msgDuplicateIn, "["+strings.Join(out, ", ")+"]")
		}
		return &types.AttributeValueMemberSS{Value: out}, ""
	case *types.AttributeValueMemberNS:
		if len(v.Value) == 0 {
			return nil, msgEmptyNS
		}
		out := make([]string, len(v.Value))
		for i, e := range v.Value {
			n, msg := canonicalNumber(e)
			if msg != "" {
				return nil, msg
			}
			out[i] = n
		}
		if dupes(out) {
			return nil, fmt.Sprintf(msgDuplicateIn, "["+strings.Join(v.Value, ", ")+"]")
		}
		return &types.AttributeValueMemberNS{Value: out}, ""
	case *types.AttributeValueMemberBS:
		if len(v.Value) == 0 {
			return nil, msgEmptyBS
		}
		keys := make([]string, len(v.Value))
		for i, e := range v.Value {
			if e == nil {
				return nil, msgEmptyValue
			}
			keys[i] = string(e)
		}
		if dupes(keys) {
			return nil, fmt.Sprintf(msgDuplicateIn, "[binary values]")
		}
		return copyValue(av), ""
	case *types.AttributeValueMemberM:
		m := make(map[string]types.AttributeValue, len(v.Value))
		for k, e := range v.Value {
			name, msg := checkName(k)
			if msg != "" {
				return nil, msg
			}
			c, msg := cleanValue(e)
			if msg != "" {
				return nil, msg
			}
			m[name] = c
		}
		return &types.AttributeValueMemberM{Value: m}, ""
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(v.Value))
		for i, e := range v.Value {
			c, msg := cleanValue(e)
			if msg != "" {
				return nil, msg
			}
			l[i] = c
		}
		return &types.AttributeValueMemberL{Value: l}, ""
	}
	return nil, msgEmptyValue
}

// maxNameBytes bounds attribute names and map keys: "Attribute names must
// be at least one character long and less than 64 KB in size" (Developer
// Guide, "Supported data types and naming rules in Amazon DynamoDB").
const maxNameBytes = 64*1024 - 1

// checkName validates an attribute name or map key and returns it as it
// arrives on the wire, or DynamoDB's message.
func checkName(name string) (string, string) {
	name = wireString(name)
	switch {
	case name == "":
		return "", msgEmptyName
	case len(name) > maxNameBytes:
		return "", msgNameTooLarge
	}
	return name, ""
}

// wireString returns s as DynamoDB receives it from the SDK: the SDK's JSON
// encoder replaces every byte that does not belong to a valid UTF-8
// sequence with U+FFFD, one replacement per byte (smithy-go,
// transport/http/protocol/internal/json, appendEscapedString). So "caf\xe9"
// is stored, compared and measured as "caf\uFFFD", and the fake must do
// the same.
func wireString(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteRune(utf8.RuneError)
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// maxLevels is how deep DynamoDB nests documents: "DynamoDB supports nested
// attributes up to 32 levels deep" (Developer Guide, "Constraints in Amazon
// DynamoDB", Attributes).
const maxLevels = 32

// levels counts the levels of av the way DynamoDB (Local, measured) does:
// a scalar or set is one level, and a map or list is one level more than
// its deepest element, counting at least one level of elements even when
// empty. So a string inside 31 maps has 32 levels, and so has an empty map
// inside 30 lists.
func levels(av types.AttributeValue) int {
	deepest := 1
	switch v := av.(type) {
	case *types.AttributeValueMemberM:
		for _, e := range v.Value {
			deepest = max(deepest, levels(e))
		}
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			deepest = max(deepest, levels(e))
		}
	default:
		return 1
	}
	return 1 + deepest
}

// tooDeep reports whether an item nests deeper than DynamoDB stores.
func tooDeep(item map[string]types.AttributeValue) bool {
	for _, v := range item {
		if levels(v) > maxLevels {
			return true
		}
	}
	return false
}

func dupes(ss []string) bool {
	seen := make(map[string]bool, len(ss))
	for _, s := range ss {
		if seen[s] {
			return true
		}
		seen[s] = true
	}
	return false
}

// numberOf parses a stored number. Stored numbers were validated on the
// way in, except ones seeded with PutRaw, which then compare as unequal to
// everything rather than panicking.
func numberOf(s string) (decimal, bool) {
	return parseDecimal(s)
}

// equalValues is DynamoDB's = : same type and same value, numbers compared
// by value, sets compared regardless of order, documents deeply.
func equalValues(a, b types.AttributeValue) bool {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		y, ok := b.(*types.AttributeValueMemberS)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberN:
		y, ok := b.(*types.AttributeValueMemberN)
		return ok && numbersEqual(x.Value, y.Value)
	case *types.AttributeValueMemberB:
		y, ok := b.(*types.AttributeValueMemberB)
		return ok && bytes.Equal(x.Value, y.Value)
	case *types.AttributeValueMemberBOOL:
		y, ok := b.(*types.AttributeValueMemberBOOL)
		return ok && x.Value == y.Value
	case *types.AttributeValueMemberNULL:
		_, ok := b.(*types.AttributeValueMemberNULL)
		return ok
	case *types.AttributeValueMemberSS:
		y, ok := b.(*types.AttributeValueMemberSS)
		return ok && sameSet(x.Value, y.Value, func(p, q string) bool { return p == q })
	case *types.AttributeValueMemberNS:
		y, ok := b.(*types.AttributeValueMemberNS)
		return ok && sameSet(x.Value, y.Value, numbersEqual)
	case *types.AttributeValueMemberBS:
		y, ok := b.(*types.AttributeValueMemberBS)
		return ok && sameSet(x.Value, y.Value, bytes.Equal)
	case *types.AttributeValueMemberM:
		y, ok := b.(*types.AttributeValueMemberM)
		if !ok || len(x.Value) != len(y.Value) {
			return false
		}
		for k, v := range x.Value {
			w, ok := y.Value[k]
			if !ok || !equalValues(v, w) {
				return false
			}
		}
		return true
	case *types.AttributeValueMemberL:
		y, ok := b.(*types.AttributeValueMemberL)
		if !ok || len(x.Value) != len(y.Value) {
			return false
		}
		for i := range x.Value {
			if !equalValues(x.Value[i], y.Value[i]) {
				return false
			}
		}
		return true
	}
	return false
}

func numbersEqual(a, b string) bool {
	x, ok1 := numberOf(a)
	y, ok2 := numberOf(b)
	return ok1 && ok2 && x.cmp(y) == 0
}

func sameSet[T any](a, b []T, eq func(T, T) bool) bool {
	if len(a) != len(b) {
		return false
	}
	for _, x := range a {
		if !containsElem(b, x, eq) {
			return false
		}
	}
	return true
}

func containsElem[T any](set []T, x T, eq func(T, T) bool) bool {
	for _, y := range set {
		if eq(x, y) {
			return true
		}
	}
	return false
}

// compareScalars orders two values of the same scalar type the way
// DynamoDB does: numbers by value, strings by their UTF-8 bytes, binary
// bytewise. ok is false when the values are not both S, both N or both B.
func compareScalars(a, b types.AttributeValue) (c int, ok bool) {
	switch x := a.(type) {
	case *types.AttributeValueMemberS:
		if y, ok := b.(*types.AttributeValueMemberS); ok {
			return strings.Compare(x.Value, y.Value), true
		}
	case *types.AttributeValueMemberN:
		if y, ok := b.(*types.AttributeValueMemberN); ok {
			p, ok1 := numberOf(x.Value)
			q, ok2 := numberOf(y.Value)
			if ok1 && ok2 {
				return p.cmp(q), true
			}
		}
	case *types.AttributeValueMemberB:
		if y, ok := b.(*types.AttributeValueMemberB); ok {
			return bytes.Compare(x.Value, y.Value), true
		}
	}
	return 0, false
}
