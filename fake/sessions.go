package fake

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The attribute and index names of a session table, as a dynamosession
// repository's Options default them (KeyAttr, ExpiresAttr, OwnerIndex,
// OwnerAttr). The fake cannot import the repository's package to read
// them (the repository's tests import the fake), so
// TestNewMatchesARepository checks that the two agree.
const (
	sessionKeyAttr     = "id"
	sessionExpiresAttr = "expires"
	sessionOwnerIndex  = "owner-index"
	sessionOwnerAttr   = "owner"
)

// createSessionTable creates the table [New] promises under name, with the
// same requests a test would send (so the same validation), but without
// the context, latency, faults or records of a call.
func (db *DB) createSessionTable(name string) error {
	_, err := db.createTable(&dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String(sessionKeyAttr), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(sessionOwnerAttr), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String(sessionKeyAttr), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(sessionOwnerIndex),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String(sessionOwnerAttr), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
	})
	if err != nil {
		return err
	}
	_, err = db.updateTimeToLive(&dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(sessionExpiresAttr), Enabled: aws.Bool(true)},
	})
	return err
}
