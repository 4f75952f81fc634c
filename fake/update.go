package fake

import (
	"sort"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// applyUpdate returns a copy of item with u applied, or DynamoDB's message
// when u cannot apply to it. item itself is never modified, so a failed
// update leaves nothing half-done.
func applyUpdate(u *updateExpr, item map[string]types.AttributeValue) (map[string]types.AttributeValue, string) {
	// Every SET operand reads the item as it was before the update.
	values := make([]types.AttributeValue, len(u.actions))
	for i, a := range u.actions {
		if a.clause != "SET" {
			continue
		}
		v, msg := evalUpdateOperand(a.value, item)
		if msg != "" {
			return nil, msg
		}
		values[i] = v
	}
	next := copyItem(item)
	var removes []docPath
	for i, a := range u.actions {
		var msg string
		switch a.clause {
		case "SET":
			msg = setPath(next, a.path, values[i])
		case "ADD":
			msg = addAt(next, a.path, a.value.(*valueOp).val)
		case "DELETE":
			msg = deleteAt(next, a.path, a.value.(*valueOp).val)
		case "REMOVE":
			removes = append(removes, a.path)
		}
		if msg != "" {
			return nil, msg
		}
	}
	// Indexes in one REMOVE all refer to the list as it was, so remove the
	// highest first: "REMOVE l[0], l[1]" drops the first two elements.
	sort.Slice(removes, func(i, j int) bool { return comparePaths(removes[i], removes[j]) > 0 })
	for _, p := range removes {
		if msg := removePath(next, p); msg != "" {
			return nil, msg
		}
	}
	return next, ""
}

func comparePaths(a, b docPath) int {
	for k := 0; k < len(a) && k < len(b); k++ {
		x, y := a[k], b[k]
		switch {
		case x.isIdx && y.isIdx && x.index != y.index:
			return compareInts(x.index, y.index)
		case !x.isIdx && !y.isIdx && x.name != y.name:
			if x.name < y.name {
				return -1
			}
			return 1
		case x.isIdx != y.isIdx:
			if x.isIdx {
				return 1
			}
			return -1
		}
	}
	return compareInts(len(a), len(b))
}

// setPath stores v at path. The parent of a nested path must exist with
// the right type; past the end of a list, v is appended, as DynamoDB does.
func setPath(item map[string]types.AttributeValue, path docPath, v types.AttributeValue) string {
	if len(path) == 1 {
		item[path[0].name] = v
		return ""
	}
	parent, ok := resolve(item, path[:len(path)-1])
	if !ok {
		return msgInvalidPath
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case *types.AttributeValueMemberM:
		if last.isIdx {
			return msgInvalidPath
		}
		if p.Value == nil {
			p.Value = map[string]types.AttributeValue{}
		}
		p.Value[last.name] = v
	case *types.AttributeValueMemberL:
		if !last.isIdx {
			return msgInvalidPath
		}
		if last.index < len(p.Value) {
			p.Value[last.index] = v
		} else {
			p.Value = append(p.Value, v)
		}
	default:
		return msgInvalidPath
	}
	return ""
}

// removePath deletes what path names. A missing attribute or list element
// is not an error; a missing or mistyped parent is.
func removePath(item map[string]types.AttributeValue, path docPath) string {
	if len(path) == 1 {
		delete(item, path[0].name)
		return ""
	}
	parent, ok := resolve(item, path[:len(path)-1])
	if !ok {
		return msgInvalidPath
	}
	last := path[len(path)-1]
	switch p := parent.(type) {
	case *types.AttributeValueMemberM:
		if last.isIdx {
			return msgInvalidPath
		}
		delete(p.Value, last.name)
	case *types.AttributeValueMemberL:
		if !last.isIdx {
			return msgInvalidPath
		}
		if last.index < len(p.Value) {
			p.Value = append(p.Value[:last.index], p.Value[last.index+1:]...)
		}
	default:
		return msgInvalidPath
	}
	return ""
}

// addAt is ADD: numbers are summed (a missing attribute counts as 0) and
// sets are merged (a missing attribute counts as the empty set).
func addAt(item map[string]types.AttributeValue, path docPath, v types.AttributeValue) string {
	cur, ok := resolve(item, path)
	if !ok {
		return setPath(item, path, copyValue(v))
	}
	switch c := cur.(type) {
	case *types.AttributeValueMemberN:
		x, ok1 := numberOf(c.Value)
		y, ok2 := numberValue(v)
		if !ok1 || !ok2 {
			return msgWrongOperand
		}
		sum := x.add(y)
		if msg := sum.check(); msg != "" {
			return msg
		}
		return setPath(item, path, &types.AttributeValueMemberN{Value: sum.String()})
	case *types.AttributeValueMemberSS:
		y, ok := v.(*types.AttributeValueMemberSS)
		if !ok {
			return msgWrongOperand
		}
		c.Value = union(c.Value, y.Value, func(p, q string) bool { return p == q })
	case *types.AttributeValueMemberNS:
		y, ok := v.(*types.AttributeValueMemberNS)
		if !ok {
			return msgWrongOperand
		}
		c.Value = union(c.Value, y.Value, numbersEqual)
	case *types.AttributeValueMemberBS:
		y, ok := v.(*types.AttributeValueMemberBS)
		if !ok {
			return msgWrongOperand
		}
		c.Value = union(c.Value, copyValue(y).(*types.AttributeValueMemberBS).Value, func(p, q []byte) bool { return string(p) == string(q) })
	default:
		return msgWrongOperand
	}
	return ""
}

// deleteAt is DELETE: it takes elements out of a set, and removes the
// attribute when the set becomes empty, because DynamoDB has no empty sets.
func deleteAt(item map[string]types.AttributeValue, path docPath, v types.AttributeValue) string {
	cur, ok := resolve(item, path)
	if !ok {
		return ""
	}
	var empty bool
	switch c := cur.(type) {
	case *types.AttributeValueMemberSS:
		y, ok := v.(*types.AttributeValueMemberSS)
		if !ok {
			return msgWrongOperand
		}
		c.Value = minus(c.Value, y.Value, func(p, q string) bool { return p == q })
		empty = len(c.Value) == 0
	case *types.AttributeValueMemberNS:
		y, ok := v.(*types.AttributeValueMemberNS)
		if !ok {
			return msgWrongOperand
		}
		c.Value = minus(c.Value, y.Value, numbersEqual)
		empty = len(c.Value) == 0
	case *types.AttributeValueMemberBS:
		y, ok := v.(*types.AttributeValueMemberBS)
		if !ok {
			return msgWrongOperand
		}
		c.Value = minus(c.Value, y.Value, func(p, q []byte) bool { return string(p) == string(q) })
		empty = len(c.Value) == 0
	default:
		return msgWrongOperand
	}
	if empty {
		return removePath(item, path)
	}
	return ""
}

func union[T any](set, add []T, eq func(T, T) bool) []T {
	for _, x := range add {
		if !containsElem(set, x, eq) {
			set = append(set, x)
		}
	}
	return set
}

func minus[T any](set, del []T, eq func(T, T) bool) []T {
	out := set[:0]
	for _, x := range set {
		if !containsElem(del, x, eq) {
			out = append(out, x)
		}
	}
	return out
}
