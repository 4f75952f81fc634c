package fake_test

import (
	"context"
	"errors"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dynamosession/dynamosession/fake"
)

type item = map[string]types.AttributeValue

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }
func b(v []byte) types.AttributeValue { return &types.AttributeValueMemberB{Value: v} }

// avCmp lets cmp compare attribute values: the SDK's member types embed an
// unexported, empty marker field.
var avCmp = cmp.Options{cmp.Exporter(func(reflect.Type) bool { return true }), cmpopts.EquateEmpty()}

// newDB returns a DB with two tables: "sessions" keyed by id (S), and
// "events" keyed by pk (S) and sk (N).
func newDB(t testing.TB) *fake.DB {
	t.Helper()
	db := fake.New()
	mustCreate(t, db, &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	mustCreate(t, db, &dynamodb.CreateTableInput{
		TableName: aws.String("events"),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeN},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(5), WriteCapacityUnits: aws.Int64(5)},
	})
	db.ResetStats()
	return db
}

func mustCreate(t testing.TB, db *fake.DB, in *dynamodb.CreateTableInput) {
	t.Helper()
	if _, err := db.CreateTable(context.Background(), in); err != nil {
		t.Fatalf("CreateTable(%s): %v", aws.ToString(in.TableName), err)
	}
}

func mustPut(t testing.TB, db *fake.DB, table string, it item) {
	t.Helper()
	if _, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		t.Fatalf("PutItem(%s): %v", table, err)
	}
}

// apiError describes err as "Code: message", the way a test compares
// errors without caring how they are wrapped; "" for nil.
func apiError(err error) string {
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	var op *smithy.OperationError
	if errors.Is(err, fake.ErrNotImplemented) && errors.As(err, &op) {
		msg := strings.TrimPrefix(op.Err.Error(), fake.ErrNotImplemented.Error()+": ")
		return "NotImplemented: " + msg[:strings.Index(msg, " (the fake implements")]
	}
	return "non-API error: " + err.Error()
}

func validation(msg string) string { return "ValidationException: " + msg }

// notImpl is what apiError says of a feature the fake does not implement.
func notImpl(feature string) string { return "NotImplemented: " + feature }

// namesIn returns the entries of names whose placeholders occur in expr,
// or nil when none do.
func namesIn(expr string, names map[string]string) map[string]string {
	var out map[string]string
	for k, v := range names {
		if regexp.MustCompile(regexp.QuoteMeta(k) + `\b`).MatchString(expr) {
			if out == nil {
				out = map[string]string{}
			}
			out[k] = v
		}
	}
	return out
}
