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
		"l":   l(s("p"), n("2")),
		"m":   m(map[string]av{"k": s("v"), "nested": m(map[string]av{"deep": n("1")})}),
		"t":   &types.AttributeValueMemberBOOL{Value: true},
		"z":   &types.AttributeValueMemberNULL{Value: true},
		"e":   s(""),
	}
}

// testContext names every attribute of testItem, and "absent", as #name.
func testContext() *exprContext {
	names := map[string]string{"#absent": "absent", "#dot": "a.b"}
	for name := range testItem() {
		names["#"+name] = name
	}
	return &exprContext{
		names: names,
		values: map[string]av{
			":one": n("1"), ":two": n("2"), ":five": n("5"),
			":ten": n("10"), ":ten2": n("10.0"), ":tenE": n("1E1"),
			":big2": n("99999999999999999999999999999999999998"),
			":s":    s("hello"), ":he": s("he"), ":x": s("x"), ":v": s("v"),
			":true": &types.AttributeValueMemberBOOL{Value: true},
			":null": &types.AttributeValueMemberNULL{Value: true},
			":b12":  b(1, 2), ":b124": b(1, 2, 4), ":empty": s(""),
			":xy": ss("y", "x"), ":l": l(s("p"), n("2.0")),
			":m": m(map[string]av{"nested": m(map[string]av{"deep": n("1")}), "k": s("v")}),
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
		{"#n = :ten", true},
		{"#n = :ten2", true},
		{"#n = :tenE", true},
		{"#n <> :five", true},
		{"#n <> :ten", false},
		{"#n < :five", false},
		{"#n > :five", true},
		{"#n <= :ten", true},
		{"#n >= :ten", true},
		{"#big > :big2", true},
		{"#absent = :ten", false},
		{"#absent <> :ten", true},
		{"#absent < :ten", false},
		{"#s = :ten", false},
		{"#s <> :ten", true},
		{"#s < :ten", false},
		{"#s > :he", true},
		{"#e = :empty", true},
		{"#bin < :b124", true},
		{"#bin > :b12", true},
		{"#t = :true", true},
		{"#z = :null", true},
		{"#ss = :xy", true},
		{"#l = :l", true},
		{"#m = :m", true},
		{"#n = #big", false},
		{"#n < #big", true},
		{":ten = #n", true},
		{"(#n) = :ten", true},
		{"attribute_exists(#m)", true},
		{"attribute_exists(#absent)", false},
		{"attribute_not_exists(#absent)", true},
		{"attribute_not_exists(#id)", false},
		{"#dot = :v", false},
		{"#n = :one OR #n = :ten AND #s = :x", false},
		{"(#n = :one OR #n = :ten) AND #s = :s", true},
		{"#n = :ten and #s = :s", true},
		{"NOT #n = :one", true},
		{"NOT (#n = :ten)", false},
		{"not not #n = :ten", true},
		{"#n = :one OR #n = :two OR #n = :ten", true},
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
		{"attribute_not_exists(#id)", true},
		{"attribute_exists(#id)", false},
		{"#n <> :one", true},
		{"#n = :one", false},
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

// message returns the ValidationException message of err, "not
// implemented: …" for an error wrapping ErrNotImplemented, or "" when err
// is nil.
func message(err error) string {
	var ae *smithy.GenericAPIError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &ae) && ae.Code == "ValidationException":
		return ae.Message
	case errors.Is(err, ErrNotImplemented):
		msg := strings.TrimPrefix(err.Error(), ErrNotImplemented.Error()+": ")
		return "not implemented: " + msg[:strings.Index(msg, " (the fake implements")]
	}
	return "unexpected error: " + err.Error()
}

func TestConditionParseErrors(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{"#n = = :one", `Invalid ConditionExpression: Syntax error; token: "=", near: "= = :one"`},
		{"#n = 5", `Invalid ConditionExpression: Syntax error; token: "5", near: "= 5"`},
		{"#n =", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "="`},
		{"#n ! :one", `Invalid ConditionExpression: Syntax error; token: "!", near: "#n ! :one"`},
		{"#n = :one)", `Invalid ConditionExpression: Syntax error; token: ")", near: ":one)"`},
		{"(#n = :one", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: ":one"`},
		{"#n", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "#n"`},
		{"#n = :one AND", `Invalid ConditionExpression: Syntax error; token: "<EOF>", near: "AND"`},
		{"AND = :one", `Invalid ConditionExpression: Syntax error; token: "AND", near: "AND ="`},
		{"#n = :one €", `Invalid ConditionExpression: Syntax error; token: "€", near: ":one €"`},
		{"", "Invalid ConditionExpression: The expression can not be empty;"},
		{"   ", "Invalid ConditionExpression: The expression can not be empty;"},
		{"((#n = :one))", "Invalid ConditionExpression: The expression has redundant parentheses;"},
		{"foo(#n)", "Invalid ConditionExpression: Invalid function name; function: foo"},
		{"Attribute_Exists(#n)", "Invalid ConditionExpression: Invalid function name; function: Attribute_Exists"},
		{"attribute_exists(#n) = :one", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"#n = attribute_exists(#s)", "Invalid ConditionExpression: The function is not allowed to be used this way in an expression; function: attribute_exists"},
		{"attribute_exists(:one)", "Invalid ConditionExpression: Operator or function requires a document path; operator or function: attribute_exists"},
		{"attribute_exists(#n, #s)", "Invalid ConditionExpression: Incorrect number of operands for operator or function; operator or function: attribute_exists, number of operands: 2"},
		{"#x = :one", "Invalid ConditionExpression: An expression attribute name used in the document path is not defined; attribute name: #x"},
		{"#n = :nope", "Invalid ConditionExpression: An expression attribute value used in expression is not defined; attribute value: :nope"},
		{"#n < :true", "Invalid ConditionExpression: Incorrect operand type for operator or function; operator or function: <, operand type: BOOL"},
		{"#n = #n", "Invalid ConditionExpression: The first operand must be distinct from the remaining operands for this operator or function; operator: =, first operand: [n]"},
		{strings.Repeat("a", 4097), "Invalid ConditionExpression: Expression size has exceeded the maximum allowed size; expression size: 4097"},
		// Valid DynamoDB the fake does not implement, named.
		{"n = :one", `not implemented: the attribute name "n" written bare (use an ExpressionAttributeNames placeholder such as #n) in ConditionExpression`},
		{"#m.#n = :one", "not implemented: nested document paths (#m.…; only top-level attributes are) in ConditionExpression"},
		{"#l[0] = :one", "not implemented: nested document paths (#l[…; only top-level attributes are) in ConditionExpression"},
		{"#n BETWEEN :one AND :two", "not implemented: the BETWEEN operator in ConditionExpression"},
		{"#n in (:one)", "not implemented: the IN operator in ConditionExpression"},
		{"begins_with(#s, :he)", "not implemented: the function begins_with in ConditionExpression"},
		{"size(#s) = :one", "not implemented: the function size in ConditionExpression"},
		{"contains(#ss, :x)", "not implemented: the function contains in ConditionExpression"},
		{"attribute_type(#s, :s)", "not implemented: the function attribute_type in ConditionExpression"},
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
		{"SET #s = :v SET #n = :v", `Invalid UpdateExpression: The "SET" section can only be used once in an update expression;`},
		{"set #s = :v, #n = :v remove #m REMOVE #l", `Invalid UpdateExpression: The "REMOVE" section can only be used once in an update expression;`},
		{"SET #s = :v, #s = :x", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [s], path two: [s]"},
		{"SET #s = :v REMOVE #s", "Invalid UpdateExpression: Two document paths overlap with each other; must remove or rewrite one of these paths; path one: [s], path two: [s]"},
		{"SET #s = size(#n)", "Invalid UpdateExpression: The function is not allowed in an update expression; function: size"},
		{"SET #s = nope(#n)", "Invalid UpdateExpression: Invalid function name; function: nope"},
		{"SET #s = :v REMOVE", `Invalid UpdateExpression: Syntax error; token: "<EOF>", near: "REMOVE"`},
		{"SET #s :v", `Invalid UpdateExpression: Syntax error; token: ":v", near: "#s :v"`},
		{"UPSERT #s = :v", `Invalid UpdateExpression: Syntax error; token: "UPSERT", near: "UPSERT #s"`},
		{"SET #s = :v #n = :v", `Invalid UpdateExpression: Syntax error; token: "#n", near: ":v #n ="`},
		{"SET #s = :v, SET = :v", `Invalid UpdateExpression: Syntax error; token: "SET", near: ", SET ="`},
		{"", "Invalid UpdateExpression: The expression can not be empty;"},
		// Valid DynamoDB the fake does not implement, named.
		{"SET ttl = :v", `not implemented: the attribute name "ttl" written bare (use an ExpressionAttributeNames placeholder such as #ttl) in UpdateExpression`},
		{"SET #n = #n + :one", "not implemented: arithmetic (+) in UpdateExpression"},
		{"SET #l = list_append(#l, :l)", "not implemented: the function list_append in UpdateExpression"},
		{"SET #n = if_not_exists(#n, :one)", "not implemented: the function if_not_exists in UpdateExpression"},
		{"ADD #n :one", "not implemented: the ADD clause in UpdateExpression"},
		{"SET #s = :v DELETE #ss :xy", "not implemented: the DELETE clause in UpdateExpression"},
		{"SET #m.#k = :v", "not implemented: nested document paths (#m.…; only top-level attributes are) in UpdateExpression"},
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
		{"unused value", map[string]string{"#a": "a"}, map[string]av{":v": s("x"), ":w": s("y")}, expressions{condition: str("#a = :v")},
			"Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"},
		{"names without expressions", map[string]string{"#a": "a"}, nil, expressions{},
			"ExpressionAttributeNames can only be specified when using expressions"},
		{"values without expressions", nil, map[string]av{":v": s("x")}, expressions{},
			"ExpressionAttributeValues can only be specified when using expressions"},
		{"empty names", map[string]string{}, nil, expressions{condition: str("attribute_exists(#a)")},
			"ExpressionAttributeNames must not be empty"},
		{"empty values", map[string]string{"#a": "a"}, map[string]av{}, expressions{condition: str("attribute_exists(#a)")},
			"ExpressionAttributeValues must not be empty"},
		{"name key without #", map[string]string{"a": "a"}, nil, expressions{condition: str("attribute_exists(#a)")},
			`ExpressionAttributeNames contains invalid key: Syntax error; key: "a"`},
		{"empty name", map[string]string{"#a": ""}, nil, expressions{condition: str("attribute_exists(#a)")},
			"ExpressionAttributeNames contains invalid value: Empty attribute name for key #a"},
		{"value key without :", map[string]string{"#a": "a"}, map[string]av{"v": s("x")}, expressions{condition: str("#a = :v")},
			`ExpressionAttributeValues contains invalid key: Syntax error; key: "v"`},
		{"empty set value", map[string]string{"#a": "a"}, map[string]av{":v": ss()}, expressions{condition: str("#a = :v")},
			"ExpressionAttributeValues contains invalid value: One or more parameter values were invalid: An string set  may not be empty for key :v"},
		{"bad number value", map[string]string{"#a": "a"}, map[string]av{":v": n("1x")}, expressions{condition: str("#a = :v")},
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
		{"SET #absent = :v", map[string]av{"absent": s("v")}},
		{"SET #s = :m", map[string]av{"s": m(map[string]av{"nested": m(map[string]av{"deep": n("1")}), "k": s("v")})}},
		{"SET #s = #n, #n = #s", map[string]av{"s": n("10"), "n": s("hello")}},
		{"REMOVE #s, #m", map[string]av{"s": nil, "m": nil}},
		{"REMOVE #absent", map[string]av{}},
		{"SET #absent = :v REMOVE #s", map[string]av{"absent": s("v"), "s": nil}},
		{"REMOVE #s SET #absent = :v", map[string]av{"absent": s("v"), "s": nil}},
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

func TestApplyUpdateMissingOperand(t *testing.T) {
	u, err := parseUpdate(testContext(), "SET #s = #absent")
	if err != nil {
		t.Fatal(err)
	}
	if _, got := applyUpdate(u, testItem()); got != msgMissingOperand {
		t.Errorf("applyUpdate of a missing operand = %q, want %q", got, msgMissingOperand)
	}
}
