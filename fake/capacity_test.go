package fake_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/fake"
)

// sized returns a sessions item of exactly size bytes: "id" (2) + "a" (1)
// + "d" (1) + the padding.
func sized(size int) item {
	return item{"id": s("a"), "d": s(strings.Repeat("x", size-4))}
}

func TestConsumedCapacity(t *testing.T) {
	total := types.ReturnConsumedCapacityTotal
	ctx := context.Background()
	table := aws.String("sessions")
	key := item{"id": s("a")}
	tests := []struct {
		name string
		seed item // stored before the call, if not nil
		call func(db dynamoAPI) (*types.ConsumedCapacity, error)
		want float64
	}{
		{"put 1024 bytes", nil, func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: sized(1024), ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 1},
		{"put 1025 bytes", nil, func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: sized(1025), ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 2},
		{"small put over a large item costs the large one", sized(3000), func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: key, ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 3},
		{"update of one attribute costs the whole item", sized(5000), func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: table, Key: key, ReturnConsumedCapacity: total,
				UpdateExpression: aws.String("SET #e = :e"), ExpressionAttributeNames: map[string]string{"#e": "e"}, ExpressionAttributeValues: item{":e": n("1")}})
			return out.ConsumedCapacity, err
		}, 5},
		{"delete of a missing item", nil, func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key, ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 1},
		{"delete of 2049 bytes", sized(2049), func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key, ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 3},
		{"eventual get of 4096 bytes", sized(4096), func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 0.5},
		{"eventual get of 4097 bytes", sized(4097), func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 1},
		{"strong get of 4096 bytes", sized(4096), func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 1},
		{"strong get of 4097 bytes", sized(4097), func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ConsistentRead: aws.Bool(true), ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 2},
		{"get of a missing item", nil, func(db dynamoAPI) (*types.ConsumedCapacity, error) {
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ReturnConsumedCapacity: total})
			return out.ConsumedCapacity, err
		}, 0.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			if tt.seed != nil {
				mustPut(t, db, "sessions", tt.seed)
				db.ResetStats()
			}
			got, err := tt.call(db)
			if err != nil {
				t.Fatalf("call: %v", err)
			}
			want := &types.ConsumedCapacity{TableName: table, CapacityUnits: aws.Float64(tt.want)}
			if diff := cmp.Diff(want, got, avCmp); diff != "" {
				t.Errorf("ConsumedCapacity mismatch (-want +got):\n%s", diff)
			}
			st := db.Stats()
			if diff := cmp.Diff(tt.want, st.ReadUnits+st.WriteUnits); diff != "" {
				t.Errorf("Stats units mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConsumedCapacityModes(t *testing.T) {
	tests := []struct {
		mode types.ReturnConsumedCapacity
		want *types.ConsumedCapacity
	}{
		{"", nil},
		{types.ReturnConsumedCapacityNone, nil},
		{types.ReturnConsumedCapacityTotal, &types.ConsumedCapacity{TableName: aws.String("sessions"), CapacityUnits: aws.Float64(1)}},
		{types.ReturnConsumedCapacityIndexes, &types.ConsumedCapacity{
			TableName: aws.String("sessions"), CapacityUnits: aws.Float64(1), Table: &types.Capacity{CapacityUnits: aws.Float64(1)},
		}},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			db := newDB(t)
			out, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{
				TableName: aws.String("sessions"), Item: item{"id": s("a")}, ReturnConsumedCapacity: tt.mode,
			})
			if err != nil {
				t.Fatalf("PutItem: %v", err)
			}
			if diff := cmp.Diff(tt.want, out.ConsumedCapacity, avCmp); diff != "" {
				t.Errorf("ConsumedCapacity mismatch (-want +got):\n%s", diff)
			}
			// Totals are kept whatever the request asked for.
			if diff := cmp.Diff(1.0, db.Stats().WriteUnits); diff != "" {
				t.Errorf("Stats.WriteUnits mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFailedConditionStillCostsAWrite(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	mustPut(t, db, "sessions", sized(2500))
	mustPut(t, db, "events", item{"pk": s("p"), "sk": n("1")})
	db.ResetStats()
	// On an existing 2500-byte item: 3 units.
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: aws.String("sessions"), Key: item{"id": s("a")},
		UpdateExpression: aws.String("SET #v = :v"), ConditionExpression: aws.String("attribute_not_exists(#k)"),
		ExpressionAttributeNames:  map[string]string{"#v": "v", "#k": "id"},
		ExpressionAttributeValues: item{":v": n("1")},
	})
	if apiError(err) == "" {
		t.Fatal("UpdateItem succeeded, want a failed condition")
	}
	// On a missing item: the minimum, 1 unit.
	_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName: aws.String("events"), Key: item{"pk": s("p"), "sk": n("2")},
		ConditionExpression: aws.String("attribute_exists(#k)"), ExpressionAttributeNames: map[string]string{"#k": "pk"},
	})
	if apiError(err) == "" {
		t.Fatal("DeleteItem succeeded, want a failed condition")
	}
	want := fake.Stats{WriteUnits: 4, Calls: map[string]int{"UpdateItem": 1, "DeleteItem": 1}}
	if diff := cmp.Diff(want, db.Stats()); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
}

func TestStatsAndReset(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	mustPut(t, db, "sessions", item{"id": s("a")})
	for range 3 {
		if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}}); err != nil {
			t.Fatalf("GetItem: %v", err)
		}
	}
	// Validation errors are counted as calls but consume nothing.
	_, _ = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"nope": s("a")}})
	want := fake.Stats{ReadUnits: 1.5, WriteUnits: 1, Calls: map[string]int{"PutItem": 1, "GetItem": 4}}
	if diff := cmp.Diff(want, db.Stats()); diff != "" {
		t.Errorf("Stats mismatch (-want +got):\n%s", diff)
	}
	db.ResetStats()
	if diff := cmp.Diff(fake.Stats{Calls: map[string]int{}}, db.Stats()); diff != "" {
		t.Errorf("Stats after reset mismatch (-want +got):\n%s", diff)
	}
}
