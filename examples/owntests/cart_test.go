package owntests_test

import (
	"context"
	"errors"
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

// TestCart runs on the in-memory fake: one line makes a DynamoDB with a
// ready "sessions" table, whose clock the repository follows.
func TestCart(t *testing.T) {
	db := fake.New("sessions")
	repo, err := dynamosession.New[Cart](db, "sessions") // follows db's clock
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
	db.Advance(25 * time.Hour) // past the default TTL of a day
	if _, err := repo.Get(ctx, "session-1"); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Errorf("Get a day later = %v, want ErrNotFound", err)
	}
}

// TestCartOnDynamoDBLocal runs the same on DynamoDB Local when
// DYNAMODB_ENDPOINT names one, in a table of its own.
func TestCartOnDynamoDBLocal(t *testing.T) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	if endpoint == "" {
		t.Skip("DYNAMODB_ENDPOINT is not set")
	}
	// DynamoDB Local takes any credentials whose key ID is letters and digits, and any region.
	cfg := aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("local", "local", "")}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		o.BaseEndpoint = aws.String(endpoint) // e.g. http://localhost:8000
		// DynamoDB Local sends no CRC32 with its 400 responses: with the logger config.LoadDefaultConfig
		// installs, the SDK would warn "response did not match expected checksum" on every conflict.
		o.DisableValidateResponseChecksum = true
	})
	ctx := context.Background()
	table := fmt.Sprintf("sessions-%d", time.Now().UnixNano())
	_, err := client.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String(table),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = client.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: aws.String(table)})
	})
	repo, err := dynamosession.New[Cart](client, table)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Put(ctx, "session-1", Cart{Items: []string{"tea"}}); err != nil {
		t.Fatal(err)
	}
	s, err := repo.Get(ctx, "session-1")
	if err != nil || len(s.Data.Items) != 1 {
		t.Fatalf("Get = %+v, %v", s, err)
	}
}
