package fake

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type av = types.AttributeValue

func s(v string) av     { return &types.AttributeValueMemberS{Value: v} }
func n(v string) av     { return &types.AttributeValueMemberN{Value: v} }
func b(v ...byte) av    { return &types.AttributeValueMemberB{Value: v} }
func ss(v ...string) av { return &types.AttributeValueMemberSS{Value: v} }
func ns(v ...string) av { return &types.AttributeValueMemberNS{Value: v} }
func l(v ...av) av      { return &types.AttributeValueMemberL{Value: v} }
func m(v map[string]av) av {
	return &types.AttributeValueMemberM{Value: v}
}

// avCmp lets cmp compare attribute values: the SDK's member types embed an
// unexported, empty marker field.
var avCmp = cmp.Options{cmp.Exporter(func(reflect.Type) bool { return true }), cmpopts.EquateEmpty()}

// testItem is the item the evaluator tests run against.
func testItem() map[string]av {
	return map[string]av{
		"id":  s("a"),
		"n":   n("10"),
		"big": n("99999999999999999999999999999999999999"),
		"s":   s("hello"),
		"bin": b(1, 2, 3),
		"ss":  ss("x", "y"),
		"ns":  ns("1", "2"),
		"l":   l(s("p"), n("2")),
		"m":   m(map[string]av{"k": s("v"), "nested": m(map[string]av{"deep": n("1")})}),
		"t":   &types.AttributeValueMemberBOOL{Value: true},
		"z":   &types.AttributeValueMemberNULL{Value: true},
		"e":   s(""),
	}
}

func testContext() *exprContext {
	return &exprContext{
		names: map[string]string{"#m": "m", "#k": "k", "#name": "name", "#dot": "a.b"},
		values: map[string]av{
			":zero": n("0"), ":one": n("1"), ":two": n("2"), ":five": n("5"),
			":ten": n("10"), ":ten2": n("10.0"), ":tenE": n("1E1"),
			":big2": n("99999999999999999999999999999999999998"),
			":s":    s("hello"), ":he": s("he"), ":ell": s("ell"), ":x": s("x"), ":p": s("p"),
			":v": s("v"), ":S": s("S"), ":N": s("N"), ":SS": s("SS"), ":M": s("M"),
			":bogus": s("STRING"), ":true": &types.AttributeValueMemberBOOL{Value: true},
			":null": &types.AttributeValueMemberNULL{Value: true},
			":b12":  b(1, 2), ":b23": b(2, 3), ":b124": b(1, 2, 4), ":empty": s(""),
			":more": l(s("q")), ":setx": ss("x"), ":yz": ss("y", "z"), ":xy": ss("x", "y"), ":nsone": ns("1"),
			":tenth": n("0.1"), ":fifth": n("0.2"),
		},
		usedNames:  map[string]bool{},
		usedValues: map[string]bool{},
	}
}

func TestConditionEvaluation(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"n = :ten", true},
		{"n = :ten2", true},
		{"n = :tenE", true},
		{"n <> :five", true},
		{"n <> :ten", false},
		{"n < :five", false},
		{"n > :five", true},
		{"n <= :ten", true},
		{"n >= :ten", true},
		{"big > :big2", true},
		{"absent = :ten", false},
		{"absent <> :ten", true},
		{"absent < :ten", false},
		{"s = :ten", false},
		{"s <> :ten", true},
		{"s < :ten", false},
		{"s > :he", true},
		{"e = :empty", true},
		{"bin < :b124", true},
		{"bin > :b12", true},
		{"n BETWEEN :five AND :ten", true},
		{"n BETWEEN :one AND :five", false},
		{"s BETWEEN :five AND :ten", false},
		{"n IN (:one, :ten)", true},
		{"n IN (:one, :five)", false},
		{"absent IN (:one)", false},
		{"attribute_exists(m.nested.deep)", true},
		{"attribute_exists(m.nope)", false},
		{"attribute_exists(l[1])", true},
		{"attribute_exists(l[2])", false},
		{"attribute_exists(s.deeper)", false},
		{"attribute_not_exists(absent)", true},
		{"attribute_not_exists(id)", false},
		{"attribute_type(n, :N)", true},
		{"attribute_type(n, :S)", false},
		{"attribute_type(ss, :SS)", true},
		{"attribute_type(m, :M)", true},
		{"attribute_type(absent, :S)", false},
		{"begins_with(s, :he)", true},
		{"begins_with(s, :ell)", false},
		{"begins_with(bin, :b12)", true},
		{"begins_with(n, :he)", false},
		{"contains(s, :ell)", true},
		{"contains(bin, :b23)", true},
		{"contains(ss, :x)", true},
		{"contains(ss, :he)", false},
		{"contains(ns, :one)", true},
		{"contains(ns, :five)", false},
		{"contains(l, :p)", true},
		{"contains(n, :one)", false},
		{"size(s) = :five", true},
		{"size(ss) = :two", true},
		{"size(l) = :two", true},
		{"size(m) = :two", true},
		{"size(bin) > :two", true},
		{"size(n) = :two", false},
		{"size(absent) = :zero", false},
		{"l[0] = :p", true},
		{"l[5] = :p", false},
		{"m.k = :v", true},
		{"#m.#k = :v", true},
		{"#dot = :v", false},
		{"t = :true", true},
		{"z = :null", true},
		{"ss = :xy", true},
		{"n = :one OR n = :ten AND s = :x", false},
		{"(n = :one OR n = :ten) AND s = :s", true},
		{"n = :ten and s = :s", true},
		{"NOT n = :one", true},
		{"NOT (n = :ten)", false},
		{"not not n = :ten", true},
		{"n = :one OR n = :two OR n = :ten", true},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			c, err := parseCondition(testContext(), kindCondition, tt.expr)
			if err != nil {
				t.Fatalf("parseCondition(%q): %v", tt.expr, err)
			}
			got := evalCondition(c, testItem())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("evalCondition(%q) mismatch (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestConditionOnMissingItem(t *testing.T) {
	tests := []struct {
		expr string
		want bool
	}{
		{"attribute_not_exists(id)", true},
		{"attribute_exists(id)", false},
		{"n <> :one", true},
		{"n = :one", false},
	}
	for _, tt := range tests {
		c, err := parseCondition(testContext(), kindCondition, tt.expr)
		if err != nil {
			t.Fatalf("parseCondition(%q): %v", tt.expr, err)
		}
		if diff := cmp.Diff(tt.want, evalCondition(c, map[string]av{})); diff != "" {
			t.Errorf("evalCondition(%q) on no item mismatch (-want +got):\n%s", tt.expr, diff)
		}
	}
}

// message returns the ValidationException message of err, or "" when err
// is nil or not a ValidationException.
func message(err error) string {
	var ae *smithy.GenericAPIError
	if errors.As(err, &ae) && ae.Code == "ValidationException" {
		return ae.Message
	}
	if err != nil {
		return "unexpected error: " + err.Error()
	}
	return ""
}

func TestConditionParseErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{"a = = :v", `Invalid ConditionExpression: Syntax error; token: "=", near: "= = :v"`},
		{"a = 5", `Invalid ConditionExpression: Syntax error; token: "5", near: "= 5"`},
		{"a =", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="`},
		{"a ! :v", `Invalid ConditionExpression: Syntax error; token: "!", near: "a ! :v"`},
		{"a = :v)", `Invalid ConditionExpression: Syntax error; token: ")", near: ":v)"`},
		{"(a = :v", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":v"`},
		{"a", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "a"`},
		{"a = :v AND", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"`},
		{"AND = :v", `Invalid ConditionExpression: Syntax error; token: "AND", near: "AND ="`},
		{"a[x] = :v", `Invalid ConditionExpression: Syntax error; token: "x", near: "[x]"`},
		{"a.1 = :v", `Invalid ConditionExpression: Syntax error; token: "1", near: ".1 ="`},
		{"a = :v €", `Invalid ConditionExpression: Syntax error; token: "€", near: ":v €"`},
		{"a IN ()", `Invalid ConditionExpression: Syntax error; token: ")", near: "()"`},
		{"", "Invalid ConditionExpression: The expression can not be empty;"},
		{"   ", "Invalid ConditionExpression: The expression can not be empty;"},
		{"foo(a)", "Invalid ConditionExpression: Invalid function name; function: foo"},
		{"Attribute_Exists(a)", "Invalid ConditionExpression: Invalid function name; function: Attribute_Exists"},
		{"attribute_exists(a) = :v", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"a = attribute_exists(b)", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"size(a)", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: size"},
		{"a = if_not_exists(a, :v)", "Invalid ConditionExpression: The function is not allowed in a condition expression; function: if_not_exists"},
		{"attribute_exists(:v)", "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"},
		{"attribute_exists(a, b)", "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
		{"#x = :v", "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"},
		{"a = :nope", "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"name = :v", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: name"},
		{"a.ttl = :v", "Invalid ConditionExpression: Attribute name is a reserved keyword; reserved keyword: ttl"},
		{"a < :true", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"},
		{"begins_with(a, :one)", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: begins_with, operand type: N"},
		{"a BETWEEN :ten AND :five", "Invalid ConditionExpression: The BETWEEN operator requires upper bound to be greater than or equal to lower bound; lower bound operand: AttributeValue: {N:10}, upper bound operand: AttributeValue: {N:5}"},
		{"attribute_type(a, :bogus)", "Invalid ConditionExpression: Invalid attribute type name found; type: STRING, valid types: { B, NULL, SS, BOOL, L, BS, N, NS, S, M }"},
		{"a = a", "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [a]"},
		{strings.Repeat("a", 4097), "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := parseCondition(testContext(), kindCondition, tt.expr)
			if diff := cmp.Diff(tt.want, message(err)); diff != "" {
				t.Errorf("parseCondition(%q) error mismatch (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestUpdateParseErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{"SET a = :v SET b = :v", `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
		{"set a = :v, A = :v remove b REMOVE c", `Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression;`},
		{"SET a = :v, a.b = :v", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{"SET a = :v REMOVE a", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a]"},
		{"SET a[0] = :v REMOVE a.b", "Invalid UpdateExpression: Two document paths conflict with each other; must remove or rewrite one of these paths; path one: [a, [0]], path two: [a, b]"},
		{"ADD a :s", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: ADD, operand type: STRING"},
		{"DELETE a :one", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator: DELETE, operand type: NUMBER"},
		{"SET a = :s + :one", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: +, operand type: S"},
		{"SET a = list_append(a, :s)", "Invalid UpdateExpression: Incorrect operand type for operator or function; operator or function: list_append, operand type: S"},
		{"SET a = size(b)", "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"},
		{"SET a = nope(b)", "Invalid UpdateExpression: Invalid function name; function: nope"},
		{"SET a = if_not_exists(:v, :v)", "Invalid UpdateExpression: Operator or function requires a document path; operator or function: if_not_exists"},
		{"SET a = b + c + d", `Invalid UpdateExpression: Syntax error; token: "+", near: "c + d"`},
		{"SET a = :v REMOVE", `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "REMOVE"`},
		{"SET a :v", `Invalid UpdateExpression: Syntax error; token: ":v", near: "a :v"`},
		{"UPSERT a = :v", `Invalid UpdateExpression: Syntax error; token: "UPSERT", near: "UPSERT a"`},
		{"ADD a b", `Invalid UpdateExpression: Syntax error; token: "b", near: "a b"`},
		{"SET a = :v b = :v", `Invalid UpdateExpression: Syntax error; token: "b", near: ":v b ="`},
		{"SET a = :v, SET = :v", `Invalid UpdateExpression: Syntax error; token: "SET", near: ", SET ="`},
		{"SET ttl = :v", "Invalid UpdateExpression: Attribute name is a reserved keyword; reserved keyword: ttl"},
		{"", "Invalid UpdateExpression: The expression can not be empty;"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := parseUpdate(testContext(), tt.expr)
			if diff := cmp.Diff(tt.want, message(err)); diff != "" {
				t.Errorf("parseUpdate(%q) error mismatch (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestProjectionParseErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{"a, a.b", "Invalid ProjectionExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [a], path two: [a, b]"},
		{"a,", `Invalid ProjectionExpression: Syntax error; token: "<EOF>", near: ","`},
		{"a = b", `Invalid ProjectionExpression: Syntax error; token: "=", near: "a = b"`},
		{"size", "Invalid ProjectionExpression: Attribute name is a reserved keyword; reserved keyword: size"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			_, err := parseProjection(testContext(), tt.expr)
			if diff := cmp.Diff(tt.want, message(err)); diff != "" {
				t.Errorf("parseProjection(%q) error mismatch (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestParseRequestPlaceholders(t *testing.T) {
	str := func(v string) *string { return &v }
	tests := []struct {
		name   string
		names  map[string]string
		values map[string]av
		ex     expressions
		want   string
	}{
		{"all used", map[string]string{"#a": "a"}, map[string]av{":v": s("x")}, expressions{condition: str("#a = :v")}, ""},
		{"shared across expressions", map[string]string{"#a": "a", "#b": "b"}, map[string]av{":v": s("x")},
			expressions{update: str("SET #a = :v"), condition: str("attribute_exists(#b)")}, ""},
		{"unused name", map[string]string{"#a": "a", "#x": "x"}, nil, expressions{condition: str("attribute_exists(#a)")},
			"Value provided in ExpressionAttributeNames unused in expressions: keys: {#x}"},
		{"unused names sorted", map[string]string{"#z": "z", "#y": "y", "#a": "a"}, nil, expressions{condition: str("attribute_exists(#a)")},
			"Value provided in ExpressionAttributeNames unused in expressions: keys: {#y, #z}"},
		{"unused value", nil, map[string]av{":v": s("x"), ":w": s("y")}, expressions{condition: str("a = :v")},
			"Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"},
		{"names without expressions", map[string]string{"#a": "a"}, nil, expressions{},
			"ExpressionAttributeNames can only be specified when using expressions"},
		{"values without expressions", nil, map[string]av{":v": s("x")}, expressions{projection: str("a")},
			"ExpressionAttributeValues can only be specified when using expressions"},
		{"empty names", map[string]string{}, nil, expressions{condition: str("attribute_exists(a)")},
			"ExpressionAttributeNames must not be empty"},
		{"empty values", nil, map[string]av{}, expressions{condition: str("attribute_exists(a)")},
			"ExpressionAttributeValues must not be empty"},
		{"name key without #", map[string]string{"a": "a"}, nil, expressions{condition: str("attribute_exists(a)")},
			`ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`},
		{"value key without :", nil, map[string]av{"v": s("x")}, expressions{condition: str("a = :v")},
			`ExpressionAttributeValues contains invalid key: Syntax error; key: "v"`},
		{"empty set value", nil, map[string]av{":v": ss()}, expressions{condition: str("a = :v")},
			"ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v"},
		{"bad number value", nil, map[string]av{":v": n("1x")}, expressions{condition: str("a = :v")},
			"ExpressionAttributeValues contains invalid value: A value provided cannot be converted into a number for key :v"},
		{"update error reported before condition", nil, nil, expressions{update: str("SET"), condition: str("=")},
			`Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "SET"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseRequest(tt.names, tt.values, tt.ex)
			if diff := cmp.Diff(tt.want, message(err)); diff != "" {
				t.Errorf("parseRequest error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestApplyUpdate(t *testing.T) {
	tests := []struct {
		expr string
		// want lists the attributes that differ from testItem: a nil value
		// means the attribute is gone.
		want map[string]av
	}{
		{"SET a = :v", map[string]av{"a": s("v")}},
		{"SET n = n + :one", map[string]av{"n": n("11")}},
		{"SET n = n - :five", map[string]av{"n": n("5")}},
		{"SET n = :tenth + :fifth", map[string]av{"n": n("0.3")}},
		{"SET big = big + :one", map[string]av{"big": n("100000000000000000000000000000000000000")}},
		{"SET c = if_not_exists(c, :zero) + :one", map[string]av{"c": n("1")}},
		{"SET c = if_not_exists(n, :zero) + :one", map[string]av{"c": n("11")}},
		{"SET l = list_append(l, :more)", map[string]av{"l": l(s("p"), n("2"), s("q"))}},
		{"SET l = list_append(:more, l)", map[string]av{"l": l(s("q"), s("p"), n("2"))}},
		{"SET nl = list_append(if_not_exists(nl, :more), :more)", map[string]av{"nl": l(s("q"), s("q"))}},
		{"SET m.k2 = :v", map[string]av{"m": m(map[string]av{"k": s("v"), "k2": s("v"), "nested": m(map[string]av{"deep": n("1")})})}},
		{"SET #m.nested.deep = :two", map[string]av{"m": m(map[string]av{"k": s("v"), "nested": m(map[string]av{"deep": n("2")})})}},
		{"SET l[1] = :x", map[string]av{"l": l(s("p"), s("x"))}},
		{"SET l[10] = :x", map[string]av{"l": l(s("p"), n("2"), s("x"))}},
		{"SET s = n, n = s", map[string]av{"s": n("10"), "n": s("hello")}},
		{"REMOVE s, m.k, l[0]", map[string]av{"s": nil, "m": m(map[string]av{"nested": m(map[string]av{"deep": n("1")})}), "l": l(n("2"))}},
		{"REMOVE l[0], l[1]", map[string]av{"l": l()}},
		{"REMOVE absent, l[7]", map[string]av{}},
		{"ADD n :one", map[string]av{"n": n("11")}},
		{"ADD newn :one", map[string]av{"newn": n("1")}},
		{"ADD ss :yz", map[string]av{"ss": ss("x", "y", "z")}},
		{"ADD ns :nsone", map[string]av{}},
		{"ADD newset :yz", map[string]av{"newset": ss("y", "z")}},
		{"DELETE ss :setx", map[string]av{"ss": ss("y")}},
		{"DELETE ss :xy", map[string]av{"ss": nil}},
		{"DELETE absent :xy", map[string]av{}},
		{"SET a = :v REMOVE s ADD n :one DELETE ss :setx", map[string]av{"a": s("v"), "s": nil, "n": n("11"), "ss": ss("y")}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			u, err := parseUpdate(testContext(), tt.expr)
			if err != nil {
				t.Fatalf("parseUpdate(%q): %v", tt.expr, err)
			}
			before := testItem()
			got, msg := applyUpdate(u, before)
			if msg != "" {
				t.Fatalf("applyUpdate(%q): %s", tt.expr, msg)
			}
			want := testItem()
			for k, v := range tt.want {
				if v == nil {
					delete(want, k)
				} else {
					want[k] = v
				}
			}
			if diff := cmp.Diff(want, got, avCmp); diff != "" {
				t.Errorf("applyUpdate(%q) mismatch (-want +got):\n%s", tt.expr, diff)
			}
			if diff := cmp.Diff(testItem(), before, avCmp); diff != "" {
				t.Errorf("applyUpdate(%q) modified its input (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestApplyUpdateErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{"SET x = absent", msgMissingOperand},
		{"SET x = absent + :one", msgMissingOperand},
		{"SET n = s + :one", msgWrongOperand},
		{"SET l = list_append(s, :more)", msgWrongOperand},
		{"SET nope.deep = :v", msgInvalidPath},
		{"SET s.deep = :v", msgInvalidPath},
		{"SET l.k = :v", msgInvalidPath},
		{"SET m[0] = :v", msgInvalidPath},
		{"REMOVE nope.deep", msgInvalidPath},
		{"ADD s :one", msgWrongOperand},
		{"ADD ss :nsone", msgWrongOperand},
		{"DELETE n :xy", msgWrongOperand},
		{"SET big = big + big", msgTooManyDigits},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			u, err := parseUpdate(testContext(), tt.expr)
			if err != nil {
				t.Fatalf("parseUpdate(%q): %v", tt.expr, err)
			}
			_, got := applyUpdate(u, testItem())
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("applyUpdate(%q) error mismatch (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}

func TestProjection(t *testing.T) {
	tests := []struct {
		expr string
		want map[string]av
	}{
		{"id, s", map[string]av{"id": s("a"), "s": s("hello")}},
		{"m.k", map[string]av{"m": m(map[string]av{"k": s("v")})}},
		{"m.k, m.nested.deep", map[string]av{"m": m(map[string]av{"k": s("v"), "nested": m(map[string]av{"deep": n("1")})})}},
		{"l[1], l[0]", map[string]av{"l": l(s("p"), n("2"))}},
		{"l[1]", map[string]av{"l": l(n("2"))}},
		{"absent, m.nope, l[9]", map[string]av{}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			paths, err := parseProjection(testContext(), tt.expr)
			if err != nil {
				t.Fatalf("parseProjection(%q): %v", tt.expr, err)
			}
			got := project(testItem(), paths)
			if diff := cmp.Diff(tt.want, got, avCmp); diff != "" {
				t.Errorf("project(%q) mismatch (-want +got):\n%s", tt.expr, diff)
			}
		})
	}
}
