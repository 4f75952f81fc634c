package owntests_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/dynamolocal"
	"github.com/dynamosession/dynamosession/fake"
)

type Cart struct {
	Items []string `json:"items"`
}

// db is what these tests need of DynamoDB: *fake.DB and *dynamodb.Client both have it.
type db interface {
	dynamosession.API
	CreateTable(context.Context, *dynamodb.CreateTableInput, ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DeleteTable(context.Context, *dynamodb.DeleteTableInput, ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
}

// backends returns the in-memory fake, and DynamoDB Local when DYNAMODB_ENDPOINT names one.
func backends(t *testing.T) map[string]db {
	b := map[string]db{"fake": fake.New()}
	if endpoint := os.Getenv("DYNAMODB_ENDPOINT"); endpoint != "" {
		client, err := dynamolocal.Client(endpoint)
		if err != nil {
			t.Fatal(err)
		}
		b["dynamodb-local"] = client
	}
	return b
}

// newTable creates a table of its own for one test and deletes it afterwards.
func newTable(t *testing.T, d db) string {
	name := fmt.Sprintf("sessions-%d", time.Now().UnixNano())
	_, err := d.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String(name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = d.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(name)})
	})
	return name
}

func TestCart(t *testing.T) {
	for name, d := range backends(t) {
		t.Run(name, func(t *testing.T) {
			repo, err := dynamosession.New[Cart](d, newTable(t, d))
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			if _, err := repo.Put(ctx, "session-1", Cart{Items: []string{"tea"}}); err != nil {
				t.Fatal(err)
			}
			s, err := repo.Get(ctx, "session-1")
			if err != nil || len(s.Data.Items) != 1 {
				t.Fatalf("Get = %+v, %v", s, err)
			}
		})
	}
}
