package fake

import (
	"bytes"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Messages for update expressions that parse but cannot apply to the item
// at hand.
const (
	msgMissingOperand = "The provided expression refers to an attribute that does not exist in the item"
	msgWrongOperand   = "An operand in the update expression has an incorrect data type"
	msgInvalidPath    = "The document path provided in the update expression is invalid for update"
)

// resolve finds the value at path in item.
func resolve(item map[string]types.AttributeValue, path docPath) (types.AttributeValue, bool) {
	cur, ok := item[path[0].name]
	if !ok {
		return nil, false
	}
	for _, e := range path[1:] {
		switch v := cur.(type) {
		case *types.AttributeValueMemberM:
			if e.isIdx {
				return nil, false
			}
			cur, ok = v.Value[e.name]
		case *types.AttributeValueMemberL:
			if !e.isIdx || e.index >= len(v.Value) {
				return nil, false
			}
			cur, ok = v.Value[e.index], true
		default:
			return nil, false
		}
		if !ok {
			return nil, false
		}
	}
	return cur, true
}

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
	case *compareCond:
		l, lok := evalConditionOperand(c.l, item)
		r, rok := evalConditionOperand(c.r, item)
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
	case *betweenCond:
		v, ok1 := evalConditionOperand(c.v, item)
		lo, ok2 := evalConditionOperand(c.lo, item)
		hi, ok3 := evalConditionOperand(c.hi, item)
		if !ok1 || !ok2 || !ok3 {
			return false
		}
		a, ok1 := compareScalars(lo, v)
		b, ok2 := compareScalars(v, hi)
		return ok1 && ok2 && a <= 0 && b <= 0
	case *inCond:
		v, ok := evalConditionOperand(c.v, item)
		if !ok {
			return false
		}
		for _, o := range c.list {
			if w, ok := evalConditionOperand(o, item); ok && equalValues(v, w) {
				return true
			}
		}
		return false
	case *funcCond:
		return evalFunction(c, item)
	}
	return false
}

func evalConditionOperand(o operand, item map[string]types.AttributeValue) (types.AttributeValue, bool) {
	switch o := o.(type) {
	case *pathOp:
		return resolve(item, o.path)
	case *valueOp:
		return o.val, true
	case *sizeOp:
		v, ok := evalConditionOperand(o.arg, item)
		if !ok {
			return nil, false
		}
		n, ok := sizeOf(v)
		if !ok {
			return nil, false
		}
		return &types.AttributeValueMemberN{Value: strconv.Itoa(n)}, true
	}
	return nil, false
}

// sizeOf is DynamoDB's size(): UTF-16 code units of a string (measured on
// DynamoDB Local: size("é") = 1, size("😀") = 2), bytes of a binary,
// elements of a set, list or map. Other types have no size.
func sizeOf(v types.AttributeValue) (int, bool) {
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		n := 0
		for _, r := range v.Value {
			n += utf16.RuneLen(r)
		}
		return n, true
	case *types.AttributeValueMemberB:
		return len(v.Value), true
	case *types.AttributeValueMemberSS:
		return len(v.Value), true
	case *types.AttributeValueMemberNS:
		return len(v.Value), true
	case *types.AttributeValueMemberBS:
		return len(v.Value), true
	case *types.AttributeValueMemberL:
		return len(v.Value), true
	case *types.AttributeValueMemberM:
		return len(v.Value), true
	}
	return 0, false
}

func evalFunction(f *funcCond, item map[string]types.AttributeValue) bool {
	a, aok := evalConditionOperand(f.args[0], item)
	switch f.name {
	case "attribute_exists":
		return aok
	case "attribute_not_exists":
		return !aok
	}
	b, bok := evalConditionOperand(f.args[1], item)
	if !aok || !bok {
		return false
	}
	switch f.name {
	case "attribute_type":
		t, ok := b.(*types.AttributeValueMemberS)
		return ok && typeName(a) == t.Value
	case "begins_with":
		switch x := a.(type) {
		case *types.AttributeValueMemberS:
			y, ok := b.(*types.AttributeValueMemberS)
			return ok && strings.HasPrefix(x.Value, y.Value)
		case *types.AttributeValueMemberB:
			y, ok := b.(*types.AttributeValueMemberB)
			return ok && bytes.HasPrefix(x.Value, y.Value)
		}
	case "contains":
		switch x := a.(type) {
		case *types.AttributeValueMemberS:
			y, ok := b.(*types.AttributeValueMemberS)
			return ok && strings.Contains(x.Value, y.Value)
		case *types.AttributeValueMemberB:
			y, ok := b.(*types.AttributeValueMemberB)
			return ok && bytes.Contains(x.Value, y.Value)
		case *types.AttributeValueMemberSS:
			y, ok := b.(*types.AttributeValueMemberS)
			return ok && containsElem(x.Value, y.Value, func(p, q string) bool { return p == q })
		case *types.AttributeValueMemberNS:
			y, ok := b.(*types.AttributeValueMemberN)
			return ok && containsElem(x.Value, y.Value, numbersEqual)
		case *types.AttributeValueMemberBS:
			y, ok := b.(*types.AttributeValueMemberB)
			return ok && containsElem(x.Value, y.Value, bytes.Equal)
		case *types.AttributeValueMemberL:
			return containsElem(x.Value, b, equalValues)
		}
	}
	return false
}

// evalUpdateOperand computes the right-hand side of a SET action against
// the item as it was before the update: DynamoDB evaluates every operand
// first, so "SET a = b, b = a" swaps.
func evalUpdateOperand(o operand, item map[string]types.AttributeValue) (types.AttributeValue, string) {
	switch o := o.(type) {
	case *pathOp:
		v, ok := resolve(item, o.path)
		if !ok {
			return nil, msgMissingOperand
		}
		return copyValue(v), ""
	case *valueOp:
		return copyValue(o.val), ""
	case *ifNotExistsOp:
		if v, ok := resolve(item, o.path); ok {
			return copyValue(v), ""
		}
		return evalUpdateOperand(o.def, item)
	case *listAppendOp:
		a, msg := evalUpdateOperand(o.a, item)
		if msg != "" {
			return nil, msg
		}
		b, msg := evalUpdateOperand(o.b, item)
		if msg != "" {
			return nil, msg
		}
		la, ok1 := a.(*types.AttributeValueMemberL)
		lb, ok2 := b.(*types.AttributeValueMemberL)
		if !ok1 || !ok2 {
			return nil, msgWrongOperand
		}
		return &types.AttributeValueMemberL{Value: append(la.Value, lb.Value...)}, ""
	case *arithOp:
		a, msg := evalUpdateOperand(o.a, item)
		if msg != "" {
			return nil, msg
		}
		b, msg := evalUpdateOperand(o.b, item)
		if msg != "" {
			return nil, msg
		}
		x, ok1 := numberValue(a)
		y, ok2 := numberValue(b)
		if !ok1 || !ok2 {
			return nil, msgWrongOperand
		}
		var r decimal
		if o.minus {
			r = x.sub(y)
		} else {
			r = x.add(y)
		}
		if msg := r.check(); msg != "" {
			return nil, msg
		}
		return &types.AttributeValueMemberN{Value: r.String()}, ""
	}
	return nil, msgWrongOperand
}

func numberValue(v types.AttributeValue) (decimal, bool) {
	n, ok := v.(*types.AttributeValueMemberN)
	if !ok {
		return decimal{}, false
	}
	return numberOf(n.Value)
}
