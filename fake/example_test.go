package fake_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/dynamosession/dynamosession/fake"
)

// A test's whole setup is one line: a table ready for a repository with
// default options. Stats count what the code under test sent, and Calls
// say which calls they were.
func Example() {
	ctx := context.Background()
	db := fake.New("sessions")

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
	fmt.Println(strings.Join(db.Calls(), "\n"))
	// Output:
	// first put: <nil> 1
	// second put fails its condition: true
	// {ReadUnits:0 WriteUnits:2 Calls:map[PutItem:2]}
	// #1 PutItem sessions (1 attributes) IF attribute_not_exists(#id): ok
	// #2 PutItem sessions (1 attributes) IF attribute_not_exists(#id): ConditionalCheckFailedException: The conditional request failed
}

// With no table names, New makes an empty DB, for tables of other shapes:
// here a session table whose repository sets KeyAttr "sid" and
// ExpiresAttr "ttl".
func ExampleNew_otherAttributes() {
	ctx := context.Background()
	db := fake.New()
	_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("sid"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("sid"), KeyType: types.KeyTypeHash}},
		BillingMode:          types.BillingModePayPerRequest,
	})
	if err != nil {
		panic(err)
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String("sessions"),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("ttl"), Enabled: aws.Bool(true)},
	})
	fmt.Println(err)
	// Output: <nil>
}

// FailNext takes the error DynamoDB or the network would cause and
// returns it as the SDK would, after the retries the SDK would make.
func ExampleDB_FailNext() {
	ctx := context.Background()
	db := fake.New("sessions")
	get := &dynamodb.GetItemInput{
		TableName: aws.String("sessions"),
		Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#1"}},
	}

	db.FailNext("GetItem", 1, &types.ProvisionedThroughputExceededException{})
	_, err := db.GetItem(ctx, get)
	var throttled *types.ProvisionedThroughputExceededException
	fmt.Println("throttled:", errors.As(err, &throttled))

	db.FailNext("GetItem", 1, &types.InternalServerError{})
	_, err = db.GetItem(ctx, get)
	var status interface{ HTTPStatusCode() int }
	fmt.Println("server error:", errors.As(err, &status), status.HTTPStatusCode())

	db.FailNext("GetItem", 1, syscall.ECONNRESET)
	_, err = db.GetItem(ctx, get)
	fmt.Println("network error:", errors.Is(err, syscall.ECONNRESET))

	db.FailNext("GetItem", 1, context.DeadlineExceeded)
	_, err = db.GetItem(ctx, get)
	var canceled *smithy.CanceledError
	fmt.Println("deadline:", errors.As(err, &canceled), errors.Is(err, context.DeadlineExceeded))
	// Output:
	// throttled: true
	// server error: true 500
	// network error: true
	// deadline: true true
}

// Eventually consistent reads trail writes by the replica lag, and catch
// up as the test moves the DB's clock: the clock the code under test
// follows too, through db.Now.
func ExampleDB_SetReplicaLag() {
	ctx := context.Background()
	db := fake.New("sessions")
	db.SetReplicaLag(time.Second)
	_, _ = db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String("sessions"),
		Item:      map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#1"}},
	})
	read := func() bool {
		out, _ := db.GetItem(ctx, &dynamodb.GetItemInput{
			TableName: aws.String("sessions"),
			Key:       map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#1"}},
		})
		return out.Item != nil
	}
	fmt.Println(db.Now().Format(time.TimeOnly), "found:", read())
	db.Advance(time.Second)
	fmt.Println(db.Now().Format(time.TimeOnly), "found:", read())
	// Output:
	// 00:00:00 found: false
	// 00:00:01 found: true
}
