package owntests_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
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
func backends() map[string]db {
	b := map[string]db{"fake": fake.New()}
	if endpoint := os.Getenv("DYNAMODB_ENDPOINT"); endpoint != "" { // e.g. http://localhost:8000
		// DynamoDB Local takes any credentials whose key ID is letters and digits, and any region.
		cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
		b["dynamodb-local"] = dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
			o.BaseEndpoint = aws.String(endpoint)
			// DynamoDB Local sends no CRC32 with its 400 responses: with the logger config.LoadDefaultConfig
			// installs, the SDK would warn "response did not match expected checksum" on every conflict.
			o.DisableValidateResponseChecksum = true
		})
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
	for name, d := range backends() {
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
