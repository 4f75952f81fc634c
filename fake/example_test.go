package fake_test

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/fake"
)

func Example() {
	ctx := context.Background()
	db := fake.New()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		panic(err)
	}

	create := &dynamodb.PutItemInput{
		TableName:                aws.String("sessions"),
		Item:                     map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#1"}},
		ConditionExpression:      aws.String("attribute_not_exists(#id)"),
		ExpressionAttributeNames: map[string]string{"#id": "id"},
		ReturnConsumedCapacity:   types.ReturnConsumedCapacityTotal,
	}
	out, err := db.PutItem(ctx, create)
	fmt.Println("first put:", err, *out.ConsumedCapacity.CapacityUnits)

	_, err = db.PutItem(ctx, create)
	var ccf *types.ConditionalCheckFailedException
	fmt.Println("second put fails its condition:", errors.As(err, &ccf))

	fmt.Printf("%+v\n", db.Stats())
	// Output:
	// first put: <nil> 1
	// second put fails its condition: true
	// {ReadUnits:0 WriteUnits:2 Calls:map[CreateTable:1 PutItem:2]}
}

func ExampleDB_SweepExpired() {
	ctx := context.Background()
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	db := fake.New(func(o *fake.Options) { o.Clock = func() time.Time { return now } })
	_, _ = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	_, _ = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String("sessions"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires"), Enabled: aws.Bool(true)},
	})
	_ = db.PutRaw("sessions", map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "old"},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(now.Add(-time.Minute).Unix())},
	})

	_, found := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "old"}})
	fmt.Println("expired but not yet swept:", found)
	fmt.Println("swept:", db.SweepExpired())
	_, found = db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "old"}})
	fmt.Println("after sweep:", found)
	// Output:
	// expired but not yet swept: true
	// swept: 1
	// after sweep: false
}

func ExampleDB_ThrottleNext() {
	ctx := context.Background()
	db := fake.New()
	db.ThrottleNext("GetItem", 1)
	_, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("sessions"),
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "x"}},
	})
	var throttled *types.ProvisionedThroughputExceededException
	fmt.Println(errors.As(err, &throttled))
	// Output: true
}

// A test's whole setup: a table ready for a repository with default
// options, and one clock for the fake and the code under test.
func ExampleNewSessions() {
	ctx := context.Background()
	db := fake.NewSessions()
	// The code under test would take db.Clock().Now as its clock.
	expires := db.Clock().Now().Add(24 * time.Hour).Unix()
	_, _ = db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String("sessions"),
		Item: map[string]types.AttributeValue{
			"id":      &types.AttributeValueMemberS{Value: "session#1"},
			"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(expires)},
		},
	})
	db.Clock().Advance(25 * time.Hour)
	fmt.Println("swept after 25 hours:", db.SweepExpired())

	db.FailNext("GetItem", 1, fake.ServerError())
	_, err := db.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: aws.String("sessions"),
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#1"}},
	})
	var ise *types.InternalServerError
	fmt.Println("server error:", errors.As(err, &ise))

	for _, c := range db.Calls() {
		fmt.Println(c.Seq, c.Op, c.Table, c.Err != nil)
	}
	// Output:
	// swept after 25 hours: 1
	// server error: true
	// 1 PutItem sessions false
	// 2 GetItem sessions true
}
