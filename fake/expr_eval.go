package fake

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// msgMissingOperand is DynamoDB's answer to a SET whose right-hand side
// names an attribute the item does not have.
const msgMissingOperand = "The provided expression refers to an attribute that does not exist in the item"

// evalCondition evaluates c against item, which is empty (not nil-unsafe)
// when the item does not exist. It follows DynamoDB: a comparison with a
// missing attribute, or between different types, is false, except <>,
// which is then true.
func evalCondition(c condition, item map[string]types.AttributeValue) bool {
	switch c := c.(type) {
	case *andCond:
		return evalCondition(c.l, item) && evalCondition(c.r, item)
	case *orCond:
		return evalCondition(c.l, item) || evalCondition(c.r, item)
	case *notCond:
		return !evalCondition(c.c, item)
	case *existsCond:
		_, ok := item[c.name]
		return ok != c.not
	case *compareCond:
		l, lok := evalOperand(c.l, item)
		r, rok := evalOperand(c.r, item)
		if c.op == tokNe {
			return !lok || !rok || !equalValues(l, r)
		}
		if !lok || !rok {
			return false
		}
		if c.op == tokEq {
			return equalValues(l, r)
		}
		n, ok := compareScalars(l, r)
		if !ok {
			return false
		}
		switch c.op {
		case tokLt:
			return n < 0
		case tokLe:
			return n <= 0
		case tokGt:
			return n > 0
		case tokGe:
			return n >= 0
		}
	}
	return false
}

func evalOperand(o operand, item map[string]types.AttributeValue) (types.AttributeValue, bool) {
	switch o := o.(type) {
	case *attrOp:
		v, ok := item[o.name]
		return v, ok
	case *valueOp:
		return o.val, true
	}
	return nil, false
}

// applyUpdate returns a copy of item with u applied, or DynamoDB's message
// when u cannot apply to it. item itself is never modified, so a failed
// update leaves nothing half-done. Every SET operand reads the item as it
// was before the update, so "SET #a = #b, #b = #a" swaps.
func applyUpdate(u *updateExpr, item map[string]types.AttributeValue) (map[string]types.AttributeValue, string) {
	values := make([]types.AttributeValue, len(u.set))
	for i, a := range u.set {
		v, ok := evalOperand(a.value, item)
		if !ok {
			return nil, msgMissingOperand
		}
		values[i] = copyValue(v)
	}
	next := copyItem(item)
	for i, a := range u.set {
		next[a.name] = values[i]
	}
	for _, name := range u.remove {
		delete(next, name)
	}
	return next, ""
}
