package fake_test

// The fidelity table: raw requests at the edges of what DynamoDB accepts,
// each run unchanged on the fake and on DynamoDB Local, asserting the same
// outcome on both: success (and what is then stored), or an error of the
// same Go type and code. Messages are not compared: DynamoDB rewords them.
//
// Where DynamoDB Local departs from AWS's documentation, the documentation
// wins: the case asserts the documented outcome, says why in local, and is
// skipped on Local only. The package documentation lists the same cases
// under "Known differences of DynamoDB Local".
//
// Run it on both backends with
//
//	scripts/dynamodb-local run -- go test -race -run TestFidelity ./fake/
//
// Without DYNAMODB_ENDPOINT the Local half skips loudly (fails under CI).

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
)

// Outcomes: "" is success; otherwise the type of the API error the SDK
// surfaces and its code.
const (
	ok         = ""
	invalid    = "*smithy.GenericAPIError ValidationException"
	condFailed = "*types.ConditionalCheckFailedException ConditionalCheckFailedException"
)

// notImplemented is the outcome of a request the fake refuses by name.
const notImplemented = "fake.ErrNotImplemented"

// outcome describes err the way the fidelity table compares errors: the
// type and code of the API error inside, which both backends must wrap in
// a *smithy.OperationError as the SDK does.
func outcome(err error) string {
	if err == nil {
		return ok
	}
	var op *smithy.OperationError
	if !errors.As(err, &op) {
		return fmt.Sprintf("%T not wrapped in *smithy.OperationError", err)
	}
	if errors.Is(err, fake.ErrNotImplemented) {
		return notImplemented
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return fmt.Sprintf("%T %s", ae, ae.ErrorCode())
	}
	return fmt.Sprintf("%T", op.Err)
}

// tableKind names the key schemas the cases run on.
type tableKind int

const (
	keyS        tableKind = iota // partition key id (S), the library's table
	keyN                         // partition key id (N)
	keyB                         // partition key id (B)
	keySS                        // partition key pk (S), sort key sk (S)
	withIndexes                  // keyS with the global secondary indexes of ownerTable
)

func (k tableKind) input() *dynamodb.CreateTableInput {
	def := func(name string, t types.ScalarAttributeType) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: t}
	}
	hash := func(name string) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: types.KeyTypeHash}
	}
	in := &dynamodb.CreateTableInput{BillingMode: types.BillingModePayPerRequest}
	switch k {
	case withIndexes:
		return ownerTable()
	case keyS:
		in.AttributeDefinitions = []types.AttributeDefinition{def("id", types.ScalarAttributeTypeS)}
		in.KeySchema = []types.KeySchemaElement{hash("id")}
	case keyN:
		in.AttributeDefinitions = []types.AttributeDefinition{def("id", types.ScalarAttributeTypeN)}
		in.KeySchema = []types.KeySchemaElement{hash("id")}
	case keyB:
		in.AttributeDefinitions = []types.AttributeDefinition{def("id", types.ScalarAttributeTypeB)}
		in.KeySchema = []types.KeySchemaElement{hash("id")}
	case keySS:
		in.AttributeDefinitions = []types.AttributeDefinition{def("pk", types.ScalarAttributeTypeS), def("sk", types.ScalarAttributeTypeS)}
		in.KeySchema = []types.KeySchemaElement{hash("pk"), {AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange}}
	}
	return in
}

// fidelityAPI is what the cases call: the fake's whole surface, which
// *dynamodb.Client has too.
type fidelityAPI = dynamoAPI

// request is one raw request against table.
type request func(ctx context.Context, c fidelityAPI, table string) error

func putItem(in dynamodb.PutItemInput) request {
	return func(ctx context.Context, c fidelityAPI, table string) error {
		in.TableName = &table
		_, err := c.PutItem(ctx, &in)
		return err
	}
}

func put(it item) request { return putItem(dynamodb.PutItemInput{Item: it}) }

func getItem(in dynamodb.GetItemInput) request {
	return func(ctx context.Context, c fidelityAPI, table string) error {
		in.TableName = &table
		_, err := c.GetItem(ctx, &in)
		return err
	}
}

func get(key item) request { return getItem(dynamodb.GetItemInput{Key: key}) }

func updateItem(in dynamodb.UpdateItemInput) request {
	return func(ctx context.Context, c fidelityAPI, table string) error {
		in.TableName = &table
		_, err := c.UpdateItem(ctx, &in)
		return err
	}
}

func deleteItem(in dynamodb.DeleteItemInput) request {
	return func(ctx context.Context, c fidelityAPI, table string) error {
		in.TableName = &table
		_, err := c.DeleteItem(ctx, &in)
		return err
	}
}

// fidelityCase is one row of the table.
type fidelityCase struct {
	name  string
	table tableKind
	seed  []item  // written with PutItem first; must succeed on both
	do    request // the request under test
	want  string  // ok, or the outcome() of the error
	// read, when set, is a key read back (strongly consistent) after do,
	// and stored is the item that read must return (nil: none).
	read   item
	stored item
	// local, when set, says how DynamoDB Local departs from AWS's
	// documentation here; the case is then skipped on Local.
	local string
	// unsupported marks valid DynamoDB the fake does not implement (see
	// the package documentation): the fake must refuse it by name, with
	// an error wrapping fake.ErrNotImplemented, while Local answers want.
	unsupported bool
}

func fidelityBackends(t *testing.T, run func(t *testing.T, c fidelityAPI, local bool)) {
	t.Run("fake", func(t *testing.T) {
		run(t, fake.New(), false)
	})
	t.Run("local", func(t *testing.T) {
		run(t, dynamotest.Client(t), true)
	})
}

func runFidelity(t *testing.T, cases []fidelityCase) {
	t.Helper()
	fidelityBackends(t, func(t *testing.T, c fidelityAPI, local bool) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if local && tc.local != "" {
					t.Skip("known difference of DynamoDB Local: " + tc.local)
				}
				ctx := t.Context()
				table := dynamotest.CreateTableFrom(t, c, tc.table.input())
				for _, it := range tc.seed {
					if err := put(it)(ctx, c, table); err != nil {
						t.Fatalf("seeding %v: %v", it, err)
					}
				}
				err := tc.do(ctx, c, table)
				want := tc.want
				if tc.unsupported && !local {
					want = notImplemented
				}
				if got := outcome(err); got != want {
					t.Errorf("outcome = %q, want %q (error: %v)", got, want, err)
				}
				if tc.read == nil || want == notImplemented {
					return
				}
				out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: tc.read, ConsistentRead: aws.Bool(true)})
				if err != nil {
					t.Fatalf("reading back: %v", err)
				}
				if diff := cmp.Diff(render(tc.stored), render(out.Item)); diff != "" {
					t.Errorf("stored item mismatch (-want +got):\n%s", diff)
				}
			})
		}
	})
}

// render writes an item as compact text with sorted map keys and set
// members, so that items compare without regard to order, and quickly:
// cmp.Diff of values nested 31 deep takes minutes.
func render(it item) string {
	if it == nil {
		return "<none>"
	}
	return renderValue(&types.AttributeValueMemberM{Value: it})
}

func renderValue(v types.AttributeValue) string {
	sorted := func(xs []string) string {
		xs = slices.Clone(xs)
		slices.Sort(xs)
		return strings.Join(xs, ",")
	}
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		return strconv.Quote(v.Value)
	case *types.AttributeValueMemberN:
		return "N" + v.Value
	case *types.AttributeValueMemberB:
		return fmt.Sprintf("B%x", v.Value)
	case *types.AttributeValueMemberBOOL:
		return strconv.FormatBool(v.Value)
	case *types.AttributeValueMemberNULL:
		return "NULL"
	case *types.AttributeValueMemberSS:
		quoted := make([]string, len(v.Value))
		for i, e := range v.Value {
			quoted[i] = strconv.Quote(e)
		}
		return "SS(" + sorted(quoted) + ")"
	case *types.AttributeValueMemberNS:
		return "NS(" + sorted(v.Value) + ")"
	case *types.AttributeValueMemberBS:
		hexed := make([]string, len(v.Value))
		for i, e := range v.Value {
			hexed[i] = fmt.Sprintf("%x", e)
		}
		return "BS(" + sorted(hexed) + ")"
	case *types.AttributeValueMemberL:
		parts := make([]string, len(v.Value))
		for i, e := range v.Value {
			parts[i] = renderValue(e)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case *types.AttributeValueMemberM:
		parts := make([]string, 0, len(v.Value))
		for _, k := range slices.Sorted(maps.Keys(v.Value)) {
			parts = append(parts, strconv.Quote(k)+":"+renderValue(v.Value[k]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return fmt.Sprintf("%T", v)
}

// Value builders beyond those of helpers_test.go.
func m(v item) types.AttributeValue { return &types.AttributeValueMemberM{Value: v} }
func l(v ...types.AttributeValue) types.AttributeValue {
	return &types.AttributeValueMemberL{Value: v}
}
func ss(v ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: v} }
func ns(v ...string) types.AttributeValue { return &types.AttributeValueMemberNS{Value: v} }
func bs(v ...[]byte) types.AttributeValue { return &types.AttributeValueMemberBS{Value: v} }

// nest wraps leaf in depth documents (maps, or lists when list is set):
// nest(1, leaf) is {"a": leaf}.
func nest(depth int, list bool, leaf types.AttributeValue) types.AttributeValue {
	v := leaf
	for range depth {
		if list {
			v = l(v)
		} else {
			v = m(item{"a": v})
		}
	}
	return v
}

// AWS documentation the cases below rely on:
//
//   - [naming] "Supported data types and naming rules in Amazon DynamoDB",
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/HowItWorks.NamingRulesDataTypes.html
//   - [constraints] "Constraints in Amazon DynamoDB",
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html
//   - [conditions] "Condition and filter expressions, operators, and functions in DynamoDB",
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Expressions.OperatorsAndFunctions.html

func TestFidelityNames(t *testing.T) {
	// [naming]: "Attribute names must be at least one character long and
	// less than 64 KB in size." A map key is an attribute name too.
	long := strings.Repeat("a", 65535)
	tooLong := strings.Repeat("a", 65536)
	runFidelity(t, []fidelityCase{
		{name: "empty top-level name", do: put(item{"id": s("k"), "": s("x")}), want: invalid,
			read: item{"id": s("k")}},
		{name: "empty map key", do: put(item{"id": s("k"), "sess": m(item{"": s("x")})}), want: invalid,
			read: item{"id": s("k")}},
		{name: "empty map key nested", do: put(item{"id": s("k"), "sess": m(item{"a": m(item{"": n("1")})})}), want: invalid},
		{name: "empty map key in a list", do: put(item{"id": s("k"), "sess": l(m(item{"": n("1")}))}), want: invalid},
		{name: "empty map key in an update value", seed: []item{{"id": s("k")}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": "sess"},
				ExpressionAttributeValues: item{":d": m(item{"": s("x"), "user": s("u")})},
			}), want: invalid,
			read: item{"id": s("k")}, stored: item{"id": s("k")}},
		{name: "empty name placeholder", seed: []item{{"id": s("k")}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": ""},
				ExpressionAttributeValues: item{":d": s("x")},
			}), want: invalid},
		{name: "name of 65535 bytes", do: put(item{"id": s("k"), long: s("x")}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), long: s("x")}},
		{name: "name of 65536 bytes", do: put(item{"id": s("k"), tooLong: s("x")}), want: invalid},
		{name: "map key of 65535 bytes", do: put(item{"id": s("k"), "sess": m(item{long: s("x")})}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "sess": m(item{long: s("x")})}},
		{name: "map key of 65536 bytes", do: put(item{"id": s("k"), "sess": m(item{tooLong: s("x")})}), want: invalid},
		{name: "placeholder naming 65536 bytes", seed: []item{{"id": s("k")}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": tooLong},
				ExpressionAttributeValues: item{":d": s("x")},
			}), want: invalid},
	})
}

func TestFidelitySets(t *testing.T) {
	// [naming], "Sets": "All of the elements within a set must be of the
	// same type" and "Each value within a set must be unique"; "Empty sets
	// are not supported" ([constraints], "Data types").
	runFidelity(t, []fidelityCase{
		{name: "empty SS", do: put(item{"id": s("k"), "x": ss()}), want: invalid},
		{name: "empty NS", do: put(item{"id": s("k"), "x": ns()}), want: invalid},
		{name: "empty BS", do: put(item{"id": s("k"), "x": bs()}), want: invalid},
		{name: "empty SS in a map", do: put(item{"id": s("k"), "sess": m(item{"x": ss()})}), want: invalid},
		{name: "empty NS in a list", do: put(item{"id": s("k"), "sess": l(ns())}), want: invalid},
		{name: "empty set as an update value", seed: []item{{"id": s("k")}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": "sess"},
				ExpressionAttributeValues: item{":d": ss()},
			}), want: invalid},
		{name: "duplicate SS", do: put(item{"id": s("k"), "x": ss("a", "a")}), want: invalid},
		{name: "duplicate NS", do: put(item{"id": s("k"), "x": ns("1", "1")}), want: invalid},
		{name: "NS duplicate by value", do: put(item{"id": s("k"), "x": ns("1", "1.0")}), want: invalid},
		{name: "duplicate BS", do: put(item{"id": s("k"), "x": bs([]byte("a"), []byte("a"))}), want: invalid},
		{name: "NS with a non-number", do: put(item{"id": s("k"), "x": ns("1", "x")}), want: invalid},
		{name: "SS of distinct strings", do: put(item{"id": s("k"), "x": ss("a", "b")}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "x": ss("a", "b")}},
	})
}

func TestFidelityNesting(t *testing.T) {
	// [constraints], "Attributes": "DynamoDB supports nested attributes up
	// to 32 levels deep." The top-level attribute is the first level, so a
	// scalar may sit inside at most 31 documents.
	runFidelity(t, []fidelityCase{
		{name: "31 maps", do: put(item{"id": s("k"), "sess": nest(31, false, s("x"))}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "sess": nest(31, false, s("x"))}},
		{name: "32 maps", do: put(item{"id": s("k"), "sess": nest(32, false, s("x"))}), want: invalid},
		{name: "33 maps", do: put(item{"id": s("k"), "sess": nest(33, false, s("x"))}), want: invalid},
		{name: "31 lists", do: put(item{"id": s("k"), "sess": nest(31, true, s("x"))}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "sess": nest(31, true, s("x"))}},
		{name: "32 lists", do: put(item{"id": s("k"), "sess": nest(32, true, s("x"))}), want: invalid},
		{name: "31 documents ending in an empty map", do: put(item{"id": s("k"), "sess": nest(30, true, m(item{}))}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "sess": nest(30, true, m(item{}))}},
		{name: "32 documents ending in an empty map", do: put(item{"id": s("k"), "sess": nest(31, true, m(item{}))}), want: invalid},
		{name: "31 documents ending in a set", do: put(item{"id": s("k"), "sess": nest(31, false, ss("a"))}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "sess": nest(31, false, ss("a"))}},
		{name: "32 maps as an update value", seed: []item{{"id": s("k")}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": "sess"},
				ExpressionAttributeValues: item{":d": nest(32, false, s("x"))},
			}), want: invalid,
			read: item{"id": s("k")}, stored: item{"id": s("k")}},
		// Only what is stored is measured: a condition value is compared,
		// not stored, and an update's value only once the condition held.
		{name: "32 maps in a condition value", seed: []item{{"id": s("k")}},
			do: deleteItem(dynamodb.DeleteItemInput{
				Key: item{"id": s("k")}, ConditionExpression: aws.String("#d = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": "sess"},
				ExpressionAttributeValues: item{":d": nest(32, false, s("x"))},
			}), want: condFailed},
		{name: "32 maps as an update value under a failing condition", seed: []item{{"id": s("k")}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d = :d"),
				ConditionExpression:       aws.String("attribute_exists(#d)"),
				ExpressionAttributeNames:  map[string]string{"#d": "sess"},
				ExpressionAttributeValues: item{":d": nest(32, false, s("x"))},
			}), want: condFailed},
		{name: "32 maps in a put under a failing condition", seed: []item{{"id": s("k")}},
			do: putItem(dynamodb.PutItemInput{
				Item:                     item{"id": s("k"), "sess": nest(32, false, s("x"))},
				ConditionExpression:      aws.String("attribute_not_exists(#k)"),
				ExpressionAttributeNames: map[string]string{"#k": "id"},
			}), want: invalid},
		{name: "nested update reaching 32 levels", unsupported: true, seed: []item{{"id": s("k"), "sess": m(item{})}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d.a = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": "sess"},
				ExpressionAttributeValues: item{":d": nest(30, false, s("x"))},
			}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "sess": nest(31, false, s("x"))}},
		{name: "nested update beyond 32 levels", unsupported: true, seed: []item{{"id": s("k"), "sess": m(item{})}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d.a = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": "sess"},
				ExpressionAttributeValues: item{":d": nest(31, false, s("x"))},
			}), want: invalid},
	})
}

func TestFidelityKeys(t *testing.T) {
	// [constraints], "Partition keys and sort keys": a partition key value
	// is 1 to 2048 bytes, a sort key value 1 to 1024 bytes. [naming],
	// "Binary": "The length of a binary attribute can be zero, if the
	// attribute is not used as a key".
	runFidelity(t, []fidelityCase{
		{name: "key of the wrong type", do: put(item{"id": n("1")}), want: invalid},
		{name: "key missing", do: put(item{"x": s("1")}), want: invalid},
		{name: "key NULL", do: put(item{"id": &types.AttributeValueMemberNULL{Value: true}}), want: invalid},
		{name: "key empty string", do: put(item{"id": s("")}), want: invalid},
		{name: "GetItem key with an extra attribute", do: get(item{"id": s("k"), "x": s("y")}), want: invalid},
		{name: "GetItem key of the wrong type", do: get(item{"id": n("1")}), want: invalid},
		{name: "GetItem key empty", do: get(item{"id": s("")}), want: invalid},
		{name: "partition key of 2048 bytes", do: put(item{"id": s(strings.Repeat("k", 2048))}),
			read: item{"id": s(strings.Repeat("k", 2048))}, stored: item{"id": s(strings.Repeat("k", 2048))}},
		{name: "partition key of 2049 bytes", do: put(item{"id": s(strings.Repeat("k", 2049))}), want: invalid},
		{name: "GetItem partition key of 2049 bytes", do: get(item{"id": s(strings.Repeat("k", 2049))}), want: invalid},
		{name: "sort key of 1024 bytes", table: keySS, do: put(item{"pk": s("p"), "sk": s(strings.Repeat("k", 1024))}),
			read: item{"pk": s("p"), "sk": s(strings.Repeat("k", 1024))}, stored: item{"pk": s("p"), "sk": s(strings.Repeat("k", 1024))}},
		{name: "sort key of 1025 bytes", table: keySS, do: put(item{"pk": s("p"), "sk": s(strings.Repeat("k", 1025))}), want: invalid},
		{name: "sort key empty", table: keySS, do: put(item{"pk": s("p"), "sk": s("")}), want: invalid},
		{name: "binary key empty", table: keyB, do: put(item{"id": b([]byte{})}), want: invalid},
		{name: "binary key nil", table: keyB, do: put(item{"id": b(nil)}), want: invalid},
		{name: "binary key of 2048 bytes", table: keyB, do: put(item{"id": b(make([]byte, 2048))}),
			read: item{"id": b(make([]byte, 2048))}, stored: item{"id": b(make([]byte, 2048))}},
		{name: "binary key of 2049 bytes", table: keyB, do: put(item{"id": b(make([]byte, 2049))}), want: invalid},
		{name: "number key is its value", table: keyN, do: put(item{"id": n("1.0"), "x": s("y")}),
			read: item{"id": n("1")}, stored: item{"id": n("1"), "x": s("y")}},
		{name: "number key not a number", table: keyN, do: put(item{"id": n("one")}), want: invalid},
		{name: "sort key of the wrong type", table: keySS, do: put(item{"pk": s("p"), "sk": n("1")}), want: invalid},
		{name: "sort key missing", table: keySS, do: put(item{"pk": s("p")}), want: invalid},
		{name: "GetItem without the sort key", table: keySS, do: get(item{"pk": s("p")}), want: invalid},
	})
}

func TestFidelityBinary(t *testing.T) {
	// [naming], "Binary": an empty binary is a value; a nil one is no
	// value at all (the SDK sends {"B": null}). A nil AttributeValue is not
	// here: the SDK then sends malformed JSON ({"x":}), which DynamoDB
	// Local answers with an InternalFailure (HTTP 500) after the SDK's
	// retries; the fake refuses it as a ValidationException
	// (TestPutItemValidation).
	runFidelity(t, []fidelityCase{
		{name: "empty binary", do: put(item{"id": s("k"), "x": b([]byte{})}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "x": b([]byte{})}},
		{name: "nil binary", do: put(item{"id": s("k"), "x": b(nil)}), want: invalid},
		{name: "nil binary in a map", do: put(item{"id": s("k"), "sess": m(item{"x": b(nil)})}), want: invalid},
		{name: "nil binary in a list", do: put(item{"id": s("k"), "sess": l(b(nil))}), want: invalid},
		{name: "nil binary as an update value", seed: []item{{"id": s("k")}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": "sess"},
				ExpressionAttributeValues: item{":d": b(nil)},
			}), want: invalid},
		{name: "NULL false", do: put(item{"id": s("k"), "x": &types.AttributeValueMemberNULL{}}), want: invalid},
	})
}

func TestFidelityNumbers(t *testing.T) {
	// [naming], "Number": "Numbers can have up to 38 digits of precision"
	// within 1E-130 to 9.9999999999999999999999999999999999999E+125 either
	// side of zero, and "Leading and trailing zeroes are trimmed."
	num := func(name, v string, want string) fidelityCase {
		return fidelityCase{name: name, do: put(item{"id": s("k"), "x": n(v)}), want: want}
	}
	stored := func(name, sent, kept string) fidelityCase {
		return fidelityCase{name: name, do: put(item{"id": s("k"), "x": n(sent)}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "x": n(kept)}}
	}
	nested := func(name, sent, kept, local string) fidelityCase {
		return fidelityCase{name: name, do: put(item{"id": s("k"), "sess": m(item{"x": n(sent)}), "l": l(n(sent)), "ns": ns(sent)}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "sess": m(item{"x": n(kept)}), "l": l(n(kept)), "ns": ns(kept)},
			local: local}
	}
	const keepsSpelling = "Local returns a number inside a map, list or set spelled as it was sent; AWS trims leading and trailing zeros ([naming], Number)"
	runFidelity(t, []fidelityCase{
		num("38 digits", "12345678901234567890123456789012345678", ok),
		num("39 digits", "123456789012345678901234567890123456789", invalid),
		num("38 digits and trailing zeros", "1234567890123456789012345678901234567800000", ok),
		num("38 digits and leading zeros", "0001234567890123456789012345678901234567.8", ok),
		num("largest", "9.9999999999999999999999999999999999999E+125", ok),
		num("overflow", "1E126", invalid),
		num("negative overflow", "-1E126", invalid),
		num("smallest", "1E-130", ok),
		num("underflow", "1E-131", invalid),
		num("negative underflow", "-1E-131", invalid),
		num("zero with a huge exponent", "0E999", ok),
		num("NaN", "NaN", invalid),
		num("Infinity", "Infinity", invalid),
		num("empty", "", invalid),
		num("leading space", " 1", invalid),
		num("trailing space", "1 ", invalid),
		num("hex", "0x10", invalid),
		num("exponent without digits", "1e", invalid),
		num("underscore", "1_000", invalid),
		num("two points", "1.2.3", invalid),
		num("plus sign", "+5", ok),
		num("point first", ".5", ok),
		num("point last", "5.", ok),
		stored("leading zeros trimmed", "007", "7"),
		stored("trailing zeros trimmed", "1.50", "1.5"),
		stored("exponent expanded", "2.5e3", "2500"),
		stored("negative zero", "-0.0", "0"),
		stored("small exponent", "1.5E-3", "0.0015"),
		nested("nested leading zeros trimmed", "007", "7", keepsSpelling),
		nested("nested trailing zeros trimmed", "1.50", "1.5", keepsSpelling),
		nested("nested exponent expanded", "2.5e3", "2500", keepsSpelling),
		nested("nested canonical number", "42", "42", ""),
	})
}

func TestFidelityInvalidUTF8(t *testing.T) {
	// The SDK's JSON encoder replaces every byte that is not part of a
	// valid UTF-8 sequence with U+FFFD before the request leaves the
	// process (smithy-go, transport/http/protocol/internal/json,
	// appendEscapedString), so DynamoDB stores the replacement: the fake
	// must store the same.
	const r = "\uFFFD"
	runFidelity(t, []fidelityCase{
		{name: "string value", do: put(item{"id": s("k"), "x": s("caf\xe9")}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "x": s("caf" + r)}},
		{name: "one replacement per bad byte", do: put(item{"id": s("k"), "x": s("a\xff\xfeb\xe2\x82")}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "x": s("a" + r + r + "b" + r + r)}},
		{name: "map key and nested value", do: put(item{"id": s("k"), "sess": m(item{"k\xff": l(s("v\xff"))})}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "sess": m(item{"k" + r: l(s("v" + r))})}},
		{name: "attribute name", do: put(item{"id": s("k"), "n\xff": s("x")}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "n" + r: s("x")}},
		{name: "set elements that become equal", do: put(item{"id": s("k"), "x": ss("a\xff", "a\xfe")}), want: invalid},
		{name: "key", do: put(item{"id": s("k\xff")}),
			read: item{"id": s("k" + r)}, stored: item{"id": s("k" + r)}},
		{name: "update value", seed: []item{{"id": s("k")}},
			do: updateItem(dynamodb.UpdateItemInput{
				Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #d = :d"),
				ExpressionAttributeNames:  map[string]string{"#d": "sess"},
				ExpressionAttributeValues: item{":d": s("caf\xe9")},
			}),
			read: item{"id": s("k")}, stored: item{"id": s("k"), "sess": s("caf" + r)}},
		{name: "condition value compared after replacement", seed: []item{{"id": s("k"), "x": s("caf" + r)}},
			do: deleteItem(dynamodb.DeleteItemInput{
				Key: item{"id": s("k")}, ConditionExpression: aws.String("#x = :x"),
				ExpressionAttributeNames:  map[string]string{"#x": "x"},
				ExpressionAttributeValues: item{":x": s("caf\xe9")},
			}),
			read: item{"id": s("k")}},
	})
}

func unsupported(c fidelityCase) fidelityCase {
	c.unsupported = true
	return c
}

// cond is a DeleteItem of the item {id: k, n: 1, s: "a"} (seeded by the
// cases that use it) under condition c, with :one = 1, :two = 2, :a = "a".
func cond(c string, values item) request {
	if values == nil {
		values = item{":one": n("1")}
	}
	return deleteItem(dynamodb.DeleteItemInput{
		Key: item{"id": s("k")}, ConditionExpression: &c,
		ExpressionAttributeNames:  map[string]string{"#n": "n"},
		ExpressionAttributeValues: values,
	})
}

func TestFidelityExpressions(t *testing.T) {
	seed := []item{{"id": s("k"), "n": n("1"), "s": s("a")}}
	condCase := func(name, c string, values item, want string) fidelityCase {
		return fidelityCase{name: name, seed: seed, do: cond(c, values), want: want}
	}
	one := item{":one": n("1")}
	runFidelity(t, []fidelityCase{
		condCase("plain", "#n = :one", one, ok),
		condCase("false", "#n = :two", item{":two": n("2")}, condFailed),
		condCase("parenthesised", "(#n = :one)", one, ok),
		condCase("redundant parentheses", "((#n = :one))", one, invalid),
		condCase("triple parentheses", "(((#n = :one)))", one, invalid),
		condCase("redundant parentheses after AND", "#n = :one AND ((#n = :one))", one, invalid),
		condCase("redundant parentheses under NOT", "NOT ((#n = :one))", one, invalid),
		condCase("parentheses around a group", "((#n = :one AND #n = :one) AND #n = :one)", one, ok),
		condCase("parentheses around each side", "(#n = :one) AND (#n = :one)", one, ok),
		condCase("parentheses around a whole AND", "(#n = :one AND #n = :one)", one, ok),
		condCase("grouping that changes nothing", "#n = :one OR (#n = :one AND #n = :one)", one, ok),
		{name: "parenthesised function", seed: seed, do: deleteItem(dynamodb.DeleteItemInput{
			Key: item{"id": s("k")}, ConditionExpression: aws.String("(attribute_exists(#n))"),
			ExpressionAttributeNames: map[string]string{"#n": "n"},
		})},
		condCase("parenthesised function in a conjunction", "(attribute_exists(#n)) AND #n = :one", one, ok),
		condCase("redundant parentheses on the right of OR", "(#n = :one) OR ((#n = :one AND #n = :one))", one, invalid),
		condCase("redundant parentheses around a group", "(((#n = :one) AND #n = :one))", one, invalid),
		condCase("spaced redundant parentheses", "( ( #n = :one ) )", one, invalid),
		condCase("parenthesised operand", "(#n) = :one", one, ok),
		condCase("parenthesised right operand", "#n = (:one)", one, ok),
		unsupported(condCase("BETWEEN", "#n BETWEEN :one AND :two", item{":one": n("1"), ":two": n("2")}, ok)),
		unsupported(condCase("BETWEEN bounds of different types", "#n BETWEEN :one AND :a", item{":one": n("1"), ":a": s("a")}, invalid)),
		unsupported(condCase("BETWEEN bounds reversed", "#n BETWEEN :two AND :one", item{":one": n("1"), ":two": n("2")}, invalid)),
		unsupported(condCase("BETWEEN a string", "#n BETWEEN :a AND :b", item{":a": s("a"), ":b": s("b")}, condFailed)),
		{name: "bare attribute name", unsupported: true, seed: seed, do: deleteItem(dynamodb.DeleteItemInput{
			Key: item{"id": s("k")}, ConditionExpression: aws.String("n = :one"), ExpressionAttributeValues: one,
		})},
		unsupported(condCase("begins_with", "begins_with(#n, :a)", item{":a": s("a")}, condFailed)),
		condCase("missing value placeholder", "#n = :nope", one, invalid),
		condCase("unused value placeholder", "#n = :one", item{":one": n("1"), ":two": n("2")}, invalid),
		{name: "missing name placeholder", seed: seed, do: deleteItem(dynamodb.DeleteItemInput{
			Key: item{"id": s("k")}, ConditionExpression: aws.String("#nope = :one"),
			ExpressionAttributeValues: one,
		}), want: invalid},
		{name: "unused name placeholder", seed: seed, do: deleteItem(dynamodb.DeleteItemInput{
			Key: item{"id": s("k")}, ConditionExpression: aws.String("#n = :one"),
			ExpressionAttributeNames:  map[string]string{"#n": "n", "#x": "x"},
			ExpressionAttributeValues: one,
		}), want: invalid},
		{name: "names without an expression", seed: seed, do: deleteItem(dynamodb.DeleteItemInput{
			Key: item{"id": s("k")}, ExpressionAttributeNames: map[string]string{"#n": "n"},
		}), want: invalid},
		{name: "empty values map", seed: seed, do: deleteItem(dynamodb.DeleteItemInput{
			Key: item{"id": s("k")}, ConditionExpression: aws.String("attribute_exists(#n)"),
			ExpressionAttributeNames: map[string]string{"#n": "n"}, ExpressionAttributeValues: item{},
		}), want: invalid},
		{name: "one path set twice", seed: seed, do: updateItem(dynamodb.UpdateItemInput{
			Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #n = :one, #n = :one"),
			ExpressionAttributeNames: map[string]string{"#n": "n"}, ExpressionAttributeValues: one,
		}), want: invalid},
		{name: "update of a key attribute", seed: seed, do: updateItem(dynamodb.UpdateItemInput{
			Key: item{"id": s("k")}, UpdateExpression: aws.String("SET #k = :one"),
			ExpressionAttributeNames: map[string]string{"#k": "id"}, ExpressionAttributeValues: one,
		}), want: invalid},
		{name: "reserved word used bare", unsupported: true, seed: seed, do: updateItem(dynamodb.UpdateItemInput{
			Key: item{"id": s("k")}, UpdateExpression: aws.String("SET ttl = :one"),
			ExpressionAttributeValues: one,
		}), want: invalid},
	})
}

func TestFidelityReturnValues(t *testing.T) {
	seed := []item{{"id": s("k"), "sess": s("old"), "other": s("kept")}}
	returned := func(rv types.ReturnValue, want item) request {
		return func(ctx context.Context, c fidelityAPI, table string) error {
			out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: &table, Key: item{"id": s("k")},
				UpdateExpression:          aws.String("SET #s = :v"),
				ExpressionAttributeNames:  map[string]string{"#s": "sess"},
				ExpressionAttributeValues: item{":v": s("new")},
				ReturnValues:              rv,
			})
			if err != nil {
				return err
			}
			if diff := cmp.Diff(render(want), render(out.Attributes)); diff != "" {
				return fmt.Errorf("returned attributes mismatch (-want +got):\n%s", diff)
			}
			return nil
		}
	}
	runFidelity(t, []fidelityCase{
		{name: "ALL_OLD", seed: seed, do: returned(types.ReturnValueAllOld, seed[0])},
		{name: "ALL_NEW", seed: seed, do: returned(types.ReturnValueAllNew, item{"id": s("k"), "sess": s("new"), "other": s("kept")})},
		{name: "NONE", seed: seed, do: returned(types.ReturnValueNone, nil)},
		{name: "UPDATED_OLD", unsupported: true, seed: seed, do: returned(types.ReturnValueUpdatedOld, item{"sess": s("old")})},
		{name: "UPDATED_NEW", unsupported: true, seed: seed, do: returned(types.ReturnValueUpdatedNew, item{"sess": s("new")})},
		{name: "ALL_OLD of PutItem", seed: seed, do: func(ctx context.Context, c fidelityAPI, table string) error {
			out, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: item{"id": s("k")}, ReturnValues: types.ReturnValueAllOld})
			if err != nil {
				return err
			}
			if diff := cmp.Diff(render(seed[0]), render(out.Attributes)); diff != "" {
				return fmt.Errorf("returned attributes mismatch (-want +got):\n%s", diff)
			}
			return nil
		}},
		{name: "ALL_NEW of PutItem", seed: seed, do: putItem(dynamodb.PutItemInput{Item: item{"id": s("k")}, ReturnValues: types.ReturnValueAllNew}), want: invalid},
	})
}
