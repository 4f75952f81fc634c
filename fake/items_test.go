package fake_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/capacity"
)

func TestPutItemValidation(t *testing.T) {
	big := strings.Repeat("x", capacity.MaxItemBytes)
	tests := []struct {
		name  string
		table string
		item  item
		want  string
	}{
		{"valid", "sessions", item{"id": s("a"), "empty": s(""), "sess": &types.AttributeValueMemberM{}}, ""},
		{"missing key", "sessions", item{"other": s("a")},
			validation("One or more parameter values were invalid: Missing the key id in the item")},
		{"missing sort key", "events", item{"pk": s("a")},
			validation("One or more parameter values were invalid: Missing the key sk in the item")},
		{"key type mismatch", "sessions", item{"id": n("1")},
			validation("One or more parameter values were invalid: Type mismatch for key id expected: S actual: N")},
		{"empty string key", "sessions", item{"id": s("")},
			validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id")},
		{"partition key at limit", "sessions", item{"id": s(strings.Repeat("k", 2048))}, ""},
		{"partition key too long", "sessions", item{"id": s(strings.Repeat("k", 2049))},
			validation("One or more parameter values were invalid: Size of hashkey has exceeded the maximum size limit of2048 bytes")},
		{"composite key", "events", item{"pk": s("a"), "sk": n("1"), "x": s("y")}, ""},
		{"item at limit", "sessions", item{"id": s("a"), "d": s(big[:capacity.MaxItemBytes-4])}, ""},
		{"item over limit", "sessions", item{"id": s("a"), "d": s(big[:capacity.MaxItemBytes-3])},
			validation("Item size has exceeded the maximum allowed size")},
		{"empty string set", "sessions", item{"id": s("a"), "x": &types.AttributeValueMemberSS{}},
			validation("One or more parameter values were invalid: An string set  may not be empty")},
		{"empty number set", "sessions", item{"id": s("a"), "x": &types.AttributeValueMemberNS{}},
			validation("One or more parameter values were invalid: An number set  may not be empty")},
		{"duplicate set elements", "sessions", item{"id": s("a"), "x": &types.AttributeValueMemberSS{Value: []string{"a", "a"}}},
			validation("One or more parameter values were invalid: Input collection [a, a] contains duplicates.")},
		{"not a number", "sessions", item{"id": s("a"), "x": n("12abc")},
			validation("A value provided cannot be converted into a number")},
		{"39 digits", "sessions", item{"id": s("a"), "x": n(strings.Repeat("1", 39))},
			validation("Attempting to store more than 38 significant digits in a Number")},
		{"overflow", "sessions", item{"id": s("a"), "x": n("1E126")},
			validation("Number overflow. Attempting to store a number with magnitude larger than supported range")},
		{"underflow", "sessions", item{"id": s("a"), "x": n("1E-131")},
			validation("Number underflow. Attempting to store a number with magnitude smaller than supported range")},
		{"null false", "sessions", item{"id": s("a"), "x": &types.AttributeValueMemberNULL{}},
			validation("One or more parameter values were invalid: Null attribute value types must have the value of true")},
		{"nested empty set", "sessions", item{"id": s("a"), "m": &types.AttributeValueMemberM{Value: item{"x": &types.AttributeValueMemberBS{}}}},
			validation("One or more parameter values were invalid: Binary sets should not be empty")},
		{"nil value", "sessions", item{"id": s("a"), "x": nil},
			validation("Supplied AttributeValue is empty, must contain exactly one of the supported datatypes")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(tt.table), Item: tt.item})
			if diff := cmp.Diff(tt.want, apiError(err)); diff != "" {
				t.Errorf("PutItem error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSortKeyLimit(t *testing.T) {
	// Sort keys are limited to 1024 bytes; a binary sort key makes the
	// boundary exact.
	db := newDB(t)
	mustCreate(t, db, &dynamodb.CreateTableInput{
		TableName: aws.String("blobs"),
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("pk"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("sk"), AttributeType: types.ScalarAttributeTypeB},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("pk"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("sk"), KeyType: types.KeyTypeRange},
		},
		BillingMode: types.BillingModePayPerRequest,
	})
	tests := []struct {
		size int
		want string
	}{
		{1024, ""},
		{1025, validation("One or more parameter values were invalid: Aggregated size of all range keys has exceeded the size limit of 1024 bytes")},
		{0, validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty binary value. Key: sk")},
	}
	for _, tt := range tests {
		_, err := db.PutItem(context.Background(), &dynamodb.PutItemInput{
			TableName: aws.String("blobs"),
			Item:      item{"pk": s("a"), "sk": b(make([]byte, tt.size))},
		})
		if diff := cmp.Diff(tt.want, apiError(err)); diff != "" {
			t.Errorf("PutItem with %d-byte sort key mismatch (-want +got):\n%s", tt.size, diff)
		}
	}
}

func TestKeyParameterValidation(t *testing.T) {
	schema := validation("The provided key element does not match the schema")
	tests := []struct {
		name  string
		table string
		key   item
		want  string
	}{
		{"valid", "sessions", item{"id": s("a")}, ""},
		{"valid composite", "events", item{"pk": s("a"), "sk": n("1")}, ""},
		{"wrong name", "sessions", item{"ID": s("a")}, schema},
		{"wrong type", "sessions", item{"id": n("1")}, schema},
		{"extra attribute", "sessions", item{"id": s("a"), "x": s("b")}, schema},
		{"missing sort key", "events", item{"pk": s("a")}, schema},
		{"empty key", "sessions", item{"id": s("")},
			validation("One or more parameter values are not valid. The AttributeValue for a key attribute cannot contain an empty string value. Key: id")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			ctx := context.Background()
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(tt.table), Key: tt.key})
			if diff := cmp.Diff(tt.want, apiError(err)); diff != "" {
				t.Errorf("GetItem error mismatch (-want +got):\n%s", diff)
			}
			_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(tt.table), Key: tt.key})
			if diff := cmp.Diff(tt.want, apiError(err)); diff != "" {
				t.Errorf("DeleteItem error mismatch (-want +got):\n%s", diff)
			}
			_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String(tt.table), Key: tt.key})
			if diff := cmp.Diff(tt.want, apiError(err)); diff != "" {
				t.Errorf("UpdateItem error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNumbersAreCanonical(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	mustPut(t, db, "events", item{"pk": s("a"), "sk": n("1.50"), "x": n("0012.3400"), "e": n("1E3"), "neg": n("-0.0050")})
	// The sort key is found by its value, not its spelling.
	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("events"), Key: item{"pk": s("a"), "sk": n("1.5")}})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	want := item{"pk": s("a"), "sk": n("1.5"), "x": n("12.34"), "e": n("1000"), "neg": n("-0.005")}
	if diff := cmp.Diff(want, out.Item, avCmp); diff != "" {
		t.Errorf("GetItem mismatch (-want +got):\n%s", diff)
	}
}

func TestWriteAndReadBack(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	table := aws.String("sessions")
	key := item{"id": s("a")}
	get := func() item {
		t.Helper()
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ConsistentRead: aws.Bool(true)})
		if err != nil {
			t.Fatalf("GetItem: %v", err)
		}
		return out.Item
	}
	put, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item{"id": s("a"), "v": n("1")}, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	if put.Attributes != nil {
		t.Errorf("PutItem of a new item returned ALL_OLD %v, want none", put.Attributes)
	}
	put, err = db.PutItem(ctx, &dynamodb.PutItemInput{TableName: table, Item: item{"id": s("a"), "v": n("2")}, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		t.Fatalf("PutItem: %v", err)
	}
	if diff := cmp.Diff(item{"id": s("a"), "v": n("1")}, put.Attributes, avCmp); diff != "" {
		t.Errorf("PutItem ALL_OLD mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(item{"id": s("a"), "v": n("2")}, get(), avCmp); diff != "" {
		t.Errorf("GetItem after put mismatch (-want +got):\n%s", diff)
	}
	del, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key, ReturnValues: types.ReturnValueAllOld})
	if err != nil {
		t.Fatalf("DeleteItem: %v", err)
	}
	if diff := cmp.Diff(item{"id": s("a"), "v": n("2")}, del.Attributes, avCmp); diff != "" {
		t.Errorf("DeleteItem ALL_OLD mismatch (-want +got):\n%s", diff)
	}
	if got := get(); got != nil {
		t.Errorf("GetItem after delete = %v, want no item", got)
	}
	// Deleting what is not there succeeds.
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key}); err != nil {
		t.Errorf("DeleteItem of a missing item: %v", err)
	}
}

func TestReturnValuesAllowed(t *testing.T) {
	invalid := validation("Return values set to invalid value")
	tests := []struct {
		rv        types.ReturnValue
		put, upd  string
		deleteErr string
	}{
		{types.ReturnValueNone, "", "", ""},
		{types.ReturnValueAllOld, "", "", ""},
		{types.ReturnValueAllNew, invalid, "", invalid},
		{types.ReturnValueUpdatedOld, invalid, notImpl("ReturnValues UPDATED_OLD"), invalid},
		{types.ReturnValueUpdatedNew, invalid, notImpl("ReturnValues UPDATED_NEW"), invalid},
		{"BOGUS", validation("1 validation error detected: Value 'BOGUS' at 'returnValues' failed to satisfy constraint: Member must satisfy enum value set: [ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW]"), "", ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.rv), func(t *testing.T) {
			db := newDB(t)
			ctx := context.Background()
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("sessions"), Item: item{"id": s("a")}, ReturnValues: tt.rv})
			if diff := cmp.Diff(tt.put, apiError(err)); diff != "" {
				t.Errorf("PutItem mismatch (-want +got):\n%s", diff)
			}
			_, err = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}, ReturnValues: tt.rv})
			want := tt.deleteErr
			if tt.rv == "BOGUS" {
				want = tt.put
			}
			if diff := cmp.Diff(want, apiError(err)); diff != "" {
				t.Errorf("DeleteItem mismatch (-want +got):\n%s", diff)
			}
			if tt.rv != "BOGUS" {
				_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}, ReturnValues: tt.rv})
				if diff := cmp.Diff(tt.upd, apiError(err)); diff != "" {
					t.Errorf("UpdateItem mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestUpdateItem(t *testing.T) {
	seed := item{"id": s("a"), "n": n("1"), "m": &types.AttributeValueMemberM{Value: item{"x": s("old"), "y": s("keep")}}, "gone": s("bye")}
	tests := []struct {
		name   string
		seed   bool
		update string
		cond   string
		rv     types.ReturnValue
		values item
		want   item // Attributes returned
		after  item // item stored afterwards; nil means none
		err    string
	}{
		{
			name: "upsert creates the item", update: "SET #v = :v", values: item{":v": s("x")}, rv: types.ReturnValueAllNew,
			want: item{"id": s("a"), "v": s("x")}, after: item{"id": s("a"), "v": s("x")},
		},
		{
			name: "no update expression creates just the key", rv: types.ReturnValueAllNew,
			want: item{"id": s("a")}, after: item{"id": s("a")},
		},
		{
			name: "condition stops an upsert", update: "SET #v = :v", cond: "attribute_exists(#k)", values: item{":v": s("x")},
			err: "ConditionalCheckFailedException: The conditional request failed",
		},
		{
			name: "ALL_NEW of an existing item", seed: true, update: "SET #v = :v REMOVE #gone", values: item{":v": s("x")}, rv: types.ReturnValueAllNew,
			want:  item{"id": s("a"), "n": n("1"), "v": s("x"), "m": &types.AttributeValueMemberM{Value: item{"x": s("old"), "y": s("keep")}}},
			after: item{"id": s("a"), "n": n("1"), "v": s("x"), "m": &types.AttributeValueMemberM{Value: item{"x": s("old"), "y": s("keep")}}},
		},
		{
			name: "ALL_OLD of an existing item", seed: true, update: "REMOVE #gone", rv: types.ReturnValueAllOld,
			want:  seed,
			after: item{"id": s("a"), "n": n("1"), "m": &types.AttributeValueMemberM{Value: item{"x": s("old"), "y": s("keep")}}},
		},
		{
			name: "a SET copies another attribute", seed: true, update: "SET #v = #m",
			after: item{"id": s("a"), "n": n("1"), "gone": s("bye"), "m": &types.AttributeValueMemberM{Value: item{"x": s("old"), "y": s("keep")}},
				"v": &types.AttributeValueMemberM{Value: item{"x": s("old"), "y": s("keep")}}},
		},
		{
			name: "key attributes cannot be updated", seed: true, update: "SET #k = :v", values: item{":v": s("b")},
			err: validation("One or more parameter values were invalid: Cannot update attribute id. This attribute is part of the key"), after: seed,
		},
		{
			name: "a missing operand changes nothing", seed: true, update: "SET #v = #absent",
			err: validation("The provided expression refers to an attribute that does not exist in the item"), after: seed,
		},
		{
			name: "unused value is rejected", update: "SET #v = :v", values: item{":v": n("1"), ":w": n("2")},
			err: validation("Value provided in ExpressionAttributeValues unused in expressions: keys: {:w}"),
		},
		{
			name: "too large after update", seed: true, update: "SET #v = :big", values: item{":big": s(strings.Repeat("b", capacity.MaxItemBytes))},
			err: validation("Item size to update has exceeded the maximum allowed size"), after: seed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			ctx := context.Background()
			if tt.seed {
				mustPut(t, db, "sessions", seed)
			}
			in := &dynamodb.UpdateItemInput{
				TableName: aws.String("sessions"), Key: item{"id": s("a")}, ReturnValues: tt.rv,
				ExpressionAttributeNames:  namesIn(tt.update+" "+tt.cond, map[string]string{"#v": "v", "#k": "id", "#m": "m", "#gone": "gone", "#absent": "absent"}),
				ExpressionAttributeValues: tt.values,
			}
			if tt.update != "" {
				in.UpdateExpression = aws.String(tt.update)
			}
			if tt.cond != "" {
				in.ConditionExpression = aws.String(tt.cond)
			}
			out, err := db.UpdateItem(ctx, in)
			if diff := cmp.Diff(tt.err, apiError(err)); diff != "" {
				t.Fatalf("UpdateItem error mismatch (-want +got):\n%s", diff)
			}
			if err == nil {
				if diff := cmp.Diff(tt.want, out.Attributes, avCmp); diff != "" {
					t.Errorf("UpdateItem Attributes mismatch (-want +got):\n%s", diff)
				}
			}
			got, _ := db.Item("sessions", item{"id": s("a")})
			if diff := cmp.Diff(tt.after, got, avCmp); diff != "" {
				t.Errorf("stored item mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestConditionalCheckFailed(t *testing.T) {
	old := item{"id": s("a"), "version": n("3")}
	tests := []struct {
		name     string
		rv       types.ReturnValuesOnConditionCheckFailure
		seed     bool
		wantItem item
	}{
		{"ALL_OLD returns the item", types.ReturnValuesOnConditionCheckFailureAllOld, true, old},
		{"NONE returns no item", types.ReturnValuesOnConditionCheckFailureNone, true, nil},
		{"ALL_OLD of a missing item", types.ReturnValuesOnConditionCheckFailureAllOld, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			ctx := context.Background()
			if tt.seed {
				mustPut(t, db, "sessions", old)
			}
			calls := map[string]func() error{
				"PutItem": func() error {
					_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
						TableName: aws.String("sessions"), Item: item{"id": s("a"), "version": n("5")},
						ConditionExpression:                 aws.String("#v = :four"),
						ExpressionAttributeNames:            map[string]string{"#v": "version"},
						ExpressionAttributeValues:           item{":four": n("4")},
						ReturnValuesOnConditionCheckFailure: tt.rv,
					})
					return err
				},
				"UpdateItem": func() error {
					_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
						TableName: aws.String("sessions"), Key: item{"id": s("a")},
						UpdateExpression:                    aws.String("SET #v = :five"),
						ConditionExpression:                 aws.String("#v = :four"),
						ExpressionAttributeNames:            map[string]string{"#v": "version"},
						ExpressionAttributeValues:           item{":four": n("4"), ":five": n("5")},
						ReturnValuesOnConditionCheckFailure: tt.rv,
					})
					return err
				},
				"DeleteItem": func() error {
					_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{
						TableName: aws.String("sessions"), Key: item{"id": s("a")},
						ConditionExpression:                 aws.String("#v = :four"),
						ExpressionAttributeNames:            map[string]string{"#v": "version"},
						ExpressionAttributeValues:           item{":four": n("4")},
						ReturnValuesOnConditionCheckFailure: tt.rv,
					})
					return err
				},
			}
			for op, call := range calls {
				err := call()
				var ccf *types.ConditionalCheckFailedException
				if !errors.As(err, &ccf) {
					t.Fatalf("%s: got %v, want *types.ConditionalCheckFailedException", op, err)
				}
				if diff := cmp.Diff(tt.wantItem, ccf.Item, avCmp); diff != "" {
					t.Errorf("%s: exception Item mismatch (-want +got):\n%s", op, diff)
				}
				got, ok := db.Item("sessions", item{"id": s("a")})
				if diff := cmp.Diff(tt.seed, ok); diff != "" {
					t.Errorf("%s: item existence after failed write mismatch (-want +got):\n%s", op, diff)
				}
				if ok {
					if diff := cmp.Diff(old, got, avCmp); diff != "" {
						t.Errorf("%s: item changed by a failed write (-want +got):\n%s", op, diff)
					}
				}
			}
		})
	}
}

func TestDeepCopies(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	in := item{"id": s("a"), "l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("x")}}, "b": b([]byte("raw"))}
	mustPut(t, db, "sessions", in)
	// Mutating the input after the call must not reach the stored item.
	in["new"] = s("y")
	in["l"].(*types.AttributeValueMemberL).Value[0] = s("changed")
	in["b"].(*types.AttributeValueMemberB).Value[0] = 'X'

	out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}})
	if err != nil {
		t.Fatalf("GetItem: %v", err)
	}
	// Nor may mutating an output.
	out.Item["l"].(*types.AttributeValueMemberL).Value[0] = s("changed again")
	out.Item["b"].(*types.AttributeValueMemberB).Value[1] = 'Y'

	got, _ := db.Item("sessions", item{"id": s("a")})
	want := item{"id": s("a"), "l": &types.AttributeValueMemberL{Value: []types.AttributeValue{s("x")}}, "b": b([]byte("raw"))}
	if diff := cmp.Diff(want, got, avCmp); diff != "" {
		t.Errorf("stored item mismatch (-want +got):\n%s", diff)
	}
	// Nor mutating what Item returned.
	got["id"] = s("zzz")
	again, _ := db.Item("sessions", item{"id": s("a")})
	if diff := cmp.Diff(want, again, avCmp); diff != "" {
		t.Errorf("stored item after mutating Item's result (-want +got):\n%s", diff)
	}
}

// TestNotImplementedNamed covers valid DynamoDB requests the fake does not
// implement: each is refused with an error that wraps ErrNotImplemented
// and names the feature, never silently ignored or misread.
func TestNotImplementedNamed(t *testing.T) {
	key := item{"id": s("a")}
	sessions := aws.String("sessions")
	tests := []struct {
		name string
		call func(ctx context.Context, db *fake.DB) error
		want string
	}{
		{"GetItem ProjectionExpression of a nested path", func(ctx context.Context, db *fake.DB) error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: sessions, Key: key, ProjectionExpression: aws.String("#i.#j"), ExpressionAttributeNames: map[string]string{"#i": "id", "#j": "j"}})
			return err
		}, notImpl("nested document paths (#i.…; only top-level attributes are) in ProjectionExpression")},
		{"Query FilterExpression", func(ctx context.Context, db *fake.DB) error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: sessions, KeyConditionExpression: aws.String("#i = :i"),
				FilterExpression: aws.String("attribute_exists(#i)"), ExpressionAttributeNames: map[string]string{"#i": "id"},
				ExpressionAttributeValues: item{":i": s("a")}})
			return err
		}, notImpl("FilterExpression")},
		{"Query in descending order", func(ctx context.Context, db *fake.DB) error {
			_, err := db.Query(ctx, &dynamodb.QueryInput{TableName: sessions, KeyConditionExpression: aws.String("#i = :i"),
				ScanIndexForward: aws.Bool(false), ExpressionAttributeNames: map[string]string{"#i": "id"},
				ExpressionAttributeValues: item{":i": s("a")}})
			return err
		}, notImpl("ScanIndexForward false")},
		{"legacy Expected", func(ctx context.Context, db *fake.DB) error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: sessions, Item: key,
				Expected: map[string]types.ExpectedAttributeValue{"id": {Exists: aws.Bool(false)}}})
			return err
		}, notImpl("the legacy parameter Expected; use expressions")},
		{"legacy AttributeUpdates", func(ctx context.Context, db *fake.DB) error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: sessions, Key: key,
				AttributeUpdates: map[string]types.AttributeValueUpdate{"x": {Value: s("y")}}})
			return err
		}, notImpl("the legacy parameter AttributeUpdates; use expressions")},
		{"Scan FilterExpression", func(ctx context.Context, db *fake.DB) error {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: sessions, FilterExpression: aws.String("attribute_exists(#i)"), ExpressionAttributeNames: map[string]string{"#i": "id"}})
			return err
		}, notImpl("FilterExpression")},
		{"Scan Select", func(ctx context.Context, db *fake.DB) error {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: sessions, Select: types.SelectCount})
			return err
		}, notImpl("Select")},
		{"CreateTable StreamSpecification", func(ctx context.Context, db *fake.DB) error {
			_, err := db.CreateTable(ctx, &dynamodb.CreateTableInput{TableName: aws.String("streamed"),
				AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
				KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
				BillingMode:          types.BillingModePayPerRequest,
				StreamSpecification:  &types.StreamSpecification{StreamEnabled: aws.Bool(true)}})
			return err
		}, notImpl("the CreateTable parameter StreamSpecification")},
		{"UpdateItem arithmetic", func(ctx context.Context, db *fake.DB) error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: sessions, Key: key,
				UpdateExpression: aws.String("SET #n = #n + :one"), ExpressionAttributeNames: map[string]string{"#n": "n"},
				ExpressionAttributeValues: item{":one": n("1")}})
			return err
		}, notImpl("arithmetic (+) in UpdateExpression")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			err := tt.call(context.Background(), db)
			if diff := cmp.Diff(tt.want, apiError(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			var oe *smithy.OperationError
			if !errors.As(err, &oe) {
				t.Errorf("error %v is not wrapped in *smithy.OperationError", err)
			}
			var ae smithy.APIError
			if errors.As(err, &ae) {
				t.Errorf("error %v is a smithy.APIError; code that handles DynamoDB's errors would take it for one", err)
			}
		})
	}
}

func TestPutRaw(t *testing.T) {
	db := newDB(t)
	// PutRaw accepts what PutItem refuses: here an empty set, left by some
	// older writer.
	raw := item{"id": s("a"), "legacy": &types.AttributeValueMemberSS{}}
	if err := db.PutRaw("sessions", raw); err != nil {
		t.Fatalf("PutRaw: %v", err)
	}
	got, ok := db.Item("sessions", item{"id": s("a")})
	if !ok {
		t.Fatal("Item after PutRaw: not found")
	}
	if diff := cmp.Diff(raw, got, avCmp); diff != "" {
		t.Errorf("Item after PutRaw mismatch (-want +got):\n%s", diff)
	}
	errs := []string{
		apiError(db.PutRaw("nope", raw)),
		apiError(db.PutRaw("sessions", item{"other": s("a")})),
	}
	want := []string{
		"ResourceNotFoundException: Requested resource not found",
		validation("fake: PutRaw: item lacks key attribute id of type S"),
	}
	if diff := cmp.Diff(want, errs); diff != "" {
		t.Errorf("PutRaw errors mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(0, db.Stats().Calls["PutItem"]); diff != "" {
		t.Errorf("PutRaw counted as a call (-want +got):\n%s", diff)
	}
}
