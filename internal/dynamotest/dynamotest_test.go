package dynamotest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
)

// The fake has the table methods CreateTable needs, with the SDK's
// signatures.
var _ dynamotest.TableAPI = fake.New()

// TestDynamoDBLocal creates a table in DynamoDB Local, writes an item and
// reads it back.
func TestDynamoDBLocal(t *testing.T) {
	client := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, client, "id", "expires")
	roundTrip(t, client, table)

	ttl, err := client.DescribeTimeToLive(t.Context(), &dynamodb.DescribeTimeToLiveInput{TableName: &table})
	if err != nil {
		t.Fatalf("DescribeTimeToLive: %v", err)
	}
	if d := ttl.TimeToLiveDescription; d == nil || aws.ToString(d.AttributeName) != "expires" ||
		(d.TimeToLiveStatus != types.TimeToLiveStatusEnabled && d.TimeToLiveStatus != types.TimeToLiveStatusEnabling) {
		t.Errorf("TTL after CreateTable = %+v, want enabled on expires", d)
	}
	t.Logf("ran against DynamoDB Local at %s (table %s)", dynamotest.Endpoint(), table)
}

// TestTableDeletedOnCleanup checks that the table of a finished subtest is
// gone.
func TestTableDeletedOnCleanup(t *testing.T) {
	client := dynamotest.Client(t)
	var table string
	t.Run("sub", func(t *testing.T) {
		table = dynamotest.CreateTable(t, client, "pk", "")
		if !strings.Contains(table, "TestTableDeletedOnCleanup_sub") {
			t.Errorf("table name %q does not name the test", table)
		}
	})
	_, err := client.DescribeTable(context.Background(), &dynamodb.DescribeTableInput{TableName: &table})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeTable after cleanup: err = %v, want ResourceNotFoundException", err)
	}
}

// TestCreateTableOnFake runs the same helper against the in-memory fake.
func TestCreateTableOnFake(t *testing.T) {
	db := fake.New()
	table := dynamotest.CreateTable(t, db, "id", "expires")
	roundTrip(t, db, table)
}

type itemAPI interface {
	PutItem(ctx context.Context, params *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	GetItem(ctx context.Context, params *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

func roundTrip(t *testing.T, client itemAPI, table string) {
	t.Helper()
	key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#abc"}}
	_, err := client.PutItem(t.Context(), &dynamodb.PutItemInput{
		TableName: &table,
		Item: map[string]types.AttributeValue{
			"id":      key["id"],
			"sess":    &types.AttributeValueMemberS{Value: `{"user":"ann"}`},
			"expires": &types.AttributeValueMemberN{Value: "4102444800"},
		},
	})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	out, err := client.GetItem(t.Context(), &dynamodb.GetItemInput{TableName: &table, Key: key, ConsistentRead: aws.Bool(true)})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	got, ok := out.Item["sess"].(*types.AttributeValueMemberS)
	if !ok || got.Value != `{"user":"ann"}` {
		t.Fatalf("GetItem sess = %#v, want the stored string", out.Item["sess"])
	}
}
