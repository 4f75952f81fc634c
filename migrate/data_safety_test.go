package migrate

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/anyvalue"
)

// Records whose data Go cannot carry to the target format unchanged are
// reported as failed and left exactly as they were, never approximated.
func TestUnrepresentableRecordsAreLeftAlone(t *testing.T) {
	collision, err := msgpack.Marshal(map[any]any{int64(1): "int key", "1": "string key", "x": "y"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		sess types.AttributeValue
		to   codec.Codec[anyvalue.Value]
	}{
		// Node's JSON.stringify writes a lone surrogate (a nickname cut in
		// the middle of an emoji) as an escape; Go decodes it as U+FFFD.
		{"lone UTF-16 surrogate in JSON", &types.AttributeValueMemberS{Value: `{"nick":"ab\ud83d"}`}, codec.Msgpack[anyvalue.Value]()},
		// msgpack map keys 1 and "1" would collapse into one string key.
		{"integer and string map keys collide", &types.AttributeValueMemberB{Value: collision}, codec.JSON[anyvalue.Value]()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := fake.New()
			if _, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
				TableName:            aws.String("sessions"),
				BillingMode:          types.BillingModePayPerRequest,
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
			}); err != nil {
				t.Fatal(err)
			}
			key := map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#a"}}
			item := map[string]types.AttributeValue{"id": key["id"], "sess": tt.sess}
			if err := db.PutRaw("sessions", item); err != nil {
				t.Fatal(err)
			}
			rep, err := Run(context.Background(), db, valueRepo(t, db, "sessions", tt.to), Config{})
			if err != nil {
				t.Fatal(err)
			}
			if rep.Migrated != 0 || rep.Failed != 1 {
				t.Errorf("migrated %d, failed %d; want 0 and 1", rep.Migrated, rep.Failed)
			}
			after, _ := db.Item("sessions", key)
			if diff := cmp.Diff(item, after, cmp.Comparer(func(a, b types.AttributeValue) bool {
				ja, _ := msgpack.Marshal(a)
				jb, _ := msgpack.Marshal(b)
				return string(ja) == string(jb)
			})); diff != "" {
				t.Errorf("record changed (-want +got):\n%s", diff)
			}
		})
	}
}

// valueRepo returns a repository of the command-line tool's generic
// values in table, writing with c.
func valueRepo(t *testing.T, client dynamosession.API, table string, c codec.Codec[anyvalue.Value]) *dynamosession.Repo[anyvalue.Value] {
	t.Helper()
	repo, err := dynamosession.New[anyvalue.Value](client, table, func(o *dynamosession.Options[anyvalue.Value]) { o.Codec = c })
	if err != nil {
		t.Fatal(err)
	}
	return repo
}
