package fake_test

import (
	"context"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-cmp/cmp"
)

func TestDescribeTable(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	mustPut(t, db, "sessions", item{"id": s("a"), "v": s("xyz")})

	type summary struct {
		Status     types.TableStatus
		Billing    types.BillingMode
		RCU, WCU   int64
		Keys       []string
		ItemCount  int64
		SizeBytes  int64
		Arn        string
		Created    string
		Protection bool
	}
	describe := func(name string) summary {
		t.Helper()
		out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		if err != nil {
			t.Fatalf("DescribeTable(%s): %v", name, err)
		}
		d := out.Table
		var billing types.BillingMode
		if d.BillingModeSummary != nil {
			billing = d.BillingModeSummary.BillingMode
		}
		var keys []string
		for _, k := range d.KeySchema {
			keys = append(keys, aws.ToString(k.AttributeName)+":"+string(k.KeyType))
		}
		return summary{
			Status: d.TableStatus, Billing: billing,
			RCU: aws.ToInt64(d.ProvisionedThroughput.ReadCapacityUnits), WCU: aws.ToInt64(d.ProvisionedThroughput.WriteCapacityUnits),
			Keys: keys, ItemCount: aws.ToInt64(d.ItemCount), SizeBytes: aws.ToInt64(d.TableSizeBytes),
			Arn: aws.ToString(d.TableArn), Created: d.CreationDateTime.String(), Protection: aws.ToBool(d.DeletionProtectionEnabled),
		}
	}
	tests := []struct {
		table string
		want  summary
	}{
		{"sessions", summary{
			Status: types.TableStatusActive, Billing: types.BillingModePayPerRequest,
			Keys: []string{"id:HASH"}, ItemCount: 1, SizeBytes: 2 + 1 + 1 + 3,
			Arn: "arn:aws:dynamodb:us-east-1:000000000000:table/sessions", Created: db.Now().String(),
		}},
		{"events", summary{
			// No BillingMode in CreateTable: PROVISIONED by default, no summary.
			Status: types.TableStatusActive, RCU: 5, WCU: 5,
			Keys: []string{"pk:HASH", "sk:RANGE"},
			Arn:  "arn:aws:dynamodb:us-east-1:000000000000:table/events", Created: db.Now().String(),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.table, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, describe(tt.table)); diff != "" {
				t.Errorf("DescribeTable mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCreateTableErrors(t *testing.T) {
	def := func(name string, typ types.ScalarAttributeType) types.AttributeDefinition {
		return types.AttributeDefinition{AttributeName: aws.String(name), AttributeType: typ}
	}
	key := func(name string, kt types.KeyType) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: kt}
	}
	ppr := types.BillingModePayPerRequest
	tests := []struct {
		name string
		in   dynamodb.CreateTableInput
		want string
	}{
		{"existing table", dynamodb.CreateTableInput{
			TableName: aws.String("sessions"), BillingMode: ppr,
			AttributeDefinitions: []types.AttributeDefinition{def("id", "S")}, KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeHash)},
		}, "ResourceInUseException: Table already exists: sessions"},
		{"short name", dynamodb.CreateTableInput{
			TableName: aws.String("ab"), BillingMode: ppr,
			AttributeDefinitions: []types.AttributeDefinition{def("id", "S")}, KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeHash)},
		}, validation("1 validation error detected: Value 'ab' at 'tableName' failed to satisfy constraint: Member must have length greater than or equal to 3")},
		{"undefined key attribute", dynamodb.CreateTableInput{
			TableName: aws.String("t10"), BillingMode: ppr,
			AttributeDefinitions: []types.AttributeDefinition{def("other", "S")}, KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeHash)},
		}, validation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [id], AttributeDefinitions: [other]")},
		{"extra definition", dynamodb.CreateTableInput{
			TableName: aws.String("t10"), BillingMode: ppr,
			AttributeDefinitions: []types.AttributeDefinition{def("id", "S"), def("x", "S")}, KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeHash)},
		}, validation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions")},
		{"bool key", dynamodb.CreateTableInput{
			TableName: aws.String("t10"), BillingMode: ppr,
			AttributeDefinitions: []types.AttributeDefinition{def("id", "BOOL")}, KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeHash)},
		}, validation("1 validation error detected: Value 'BOOL' at 'attributeDefinitions.1.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]")},
		{"range first", dynamodb.CreateTableInput{
			TableName: aws.String("t10"), BillingMode: ppr,
			AttributeDefinitions: []types.AttributeDefinition{def("id", "S")}, KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeRange)},
		}, validation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")},
		{"provisioned without throughput", dynamodb.CreateTableInput{
			TableName:            aws.String("t10"),
			AttributeDefinitions: []types.AttributeDefinition{def("id", "S")}, KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeHash)},
		}, validation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")},
		{"on demand with throughput", dynamodb.CreateTableInput{
			TableName: aws.String("t10"), BillingMode: ppr,
			ProvisionedThroughput: &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)},
			AttributeDefinitions:  []types.AttributeDefinition{def("id", "S")}, KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeHash)},
		}, validation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")},
		{"local secondary index", dynamodb.CreateTableInput{
			TableName: aws.String("t10"), BillingMode: ppr,
			AttributeDefinitions: []types.AttributeDefinition{def("id", "S")}, KeySchema: []types.KeySchemaElement{key("id", types.KeyTypeHash)},
			LocalSecondaryIndexes: []types.LocalSecondaryIndex{{IndexName: aws.String("lsi")}},
		}, notImpl("the CreateTable parameter LocalSecondaryIndexes")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			_, err := db.CreateTable(context.Background(), &tt.in)
			if diff := cmp.Diff(tt.want, apiError(err)); diff != "" {
				t.Errorf("CreateTable error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMissingTable(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	name := aws.String("nope")
	key := item{"id": s("a")}
	itemMsg := "ResourceNotFoundException: Requested resource not found"
	tableMsg := "ResourceNotFoundException: Requested resource not found: Table: nope not found"
	tests := []struct {
		op   string
		call func() error
		want string
	}{
		{"GetItem", func() error {
			_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: name, Key: key})
			return err
		}, itemMsg},
		{"PutItem", func() error {
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: name, Item: key})
			return err
		}, itemMsg},
		{"UpdateItem", func() error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: name, Key: key})
			return err
		}, itemMsg},
		{"DeleteItem", func() error {
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: name, Key: key})
			return err
		}, itemMsg},
		{"Scan", func() error {
			_, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: name})
			return err
		}, itemMsg},
		{"DescribeTable", func() error {
			_, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: name})
			return err
		}, tableMsg},
		{"DeleteTable", func() error {
			_, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: name})
			return err
		}, tableMsg},
		{"DescribeTimeToLive", func() error {
			_, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: name})
			return err
		}, tableMsg},
		{"UpdateTimeToLive", func() error {
			_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: name,
				TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expires"), Enabled: aws.Bool(true)}})
			return err
		}, tableMsg},
	}
	for _, tt := range tests {
		t.Run(tt.op, func(t *testing.T) {
			err := tt.call()
			if diff := cmp.Diff(tt.want, apiError(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			var rnf *types.ResourceNotFoundException
			if !errors.As(err, &rnf) {
				t.Errorf("errors.As(%v, *types.ResourceNotFoundException) = false, want true", err)
			}
			var oe *smithy.OperationError
			if !errors.As(err, &oe) || oe.Operation() != tt.op {
				t.Errorf("error %v is not a *smithy.OperationError for %s", err, tt.op)
			}
		})
	}
}

func TestDeleteTable(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	out, err := db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("sessions")})
	if err != nil {
		t.Fatalf("DeleteTable: %v", err)
	}
	if diff := cmp.Diff(types.TableStatusDeleting, out.TableDescription.TableStatus); diff != "" {
		t.Errorf("DeleteTable status mismatch (-want +got):\n%s", diff)
	}
	_, err = db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("sessions")})
	var notFound *types.ResourceNotFoundException
	if !errors.As(err, &notFound) {
		t.Errorf("DescribeTable after delete: err = %v, want ResourceNotFoundException", err)
	}
	// A table of the same name starts empty.
	mustPut(t, db, "events", item{"pk": s("a"), "sk": n("1")})
	mustCreate(t, db, &dynamodb.CreateTableInput{
		TableName:                 aws.String("sessions"),
		AttributeDefinitions:      []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:                 []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		BillingMode:               types.BillingModePayPerRequest,
		DeletionProtectionEnabled: aws.Bool(true),
	})
	_, err = db.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String("sessions")})
	want := validation("Resource cannot be deleted as it is currently protected against deletion. Disable deletion protection first.")
	if diff := cmp.Diff(want, apiError(err)); diff != "" {
		t.Errorf("DeleteTable of protected table mismatch (-want +got):\n%s", diff)
	}
}

func TestTimeToLiveSettings(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	table := aws.String("sessions")
	update := func(attr string, on bool) error {
		_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName:               table,
			TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(attr), Enabled: aws.Bool(on)},
		})
		return err
	}
	describe := func() string {
		out, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: table})
		if err != nil {
			t.Fatalf("DescribeTimeToLive: %v", err)
		}
		return string(out.TimeToLiveDescription.TimeToLiveStatus) + " " + aws.ToString(out.TimeToLiveDescription.AttributeName)
	}
	steps := []struct {
		name    string
		attr    string
		on      bool
		wantErr string
		want    string
	}{
		{"disable while disabled", "expires", false, validation("TimeToLive is already disabled"), "DISABLED "},
		{"enable", "expires", true, "", "ENABLED expires"},
		{"enable again", "other", true, validation("TimeToLive is already enabled"), "ENABLED expires"},
		{"disable another attribute", "other", false, validation("TimeToLive is active on a different AttributeName: current AttributeName is expires"), "ENABLED expires"},
		{"disable", "expires", false, "", "DISABLED "},
	}
	for _, st := range steps {
		err := update(st.attr, st.on)
		if diff := cmp.Diff(st.wantErr, apiError(err)); diff != "" {
			t.Errorf("%s: UpdateTimeToLive error mismatch (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.want, describe()); diff != "" {
			t.Errorf("%s: DescribeTimeToLive mismatch (-want +got):\n%s", st.name, diff)
		}
	}
}

func TestMissingParams(t *testing.T) {
	db := newDB(t)
	_, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{})
	var ipe smithy.InvalidParamsError
	if !errors.As(err, &ipe) {
		t.Fatalf("GetItem without TableName and Key: got %v, want smithy.InvalidParamsError", err)
	}
	want := "2 validation error(s) found.\n- missing required field, GetItemInput.TableName.\n- missing required field, GetItemInput.Key.\n"
	if diff := cmp.Diff(want, ipe.Error()); diff != "" {
		t.Errorf("InvalidParamsError mismatch (-want +got):\n%s", diff)
	}
}
