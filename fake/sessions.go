package fake

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// SessionTable describes the table [NewSessions] creates: the one a
// dynamosession repository expects. The zero value of each field selects
// the library's default, so the zero SessionTable matches a repository
// with default options.
type SessionTable struct {
	// Name is the table's name. Default "sessions".
	Name string
	// KeyAttr is the partition key, of type S (the repository's
	// Options.KeyAttr). Default "id".
	KeyAttr string
	// ExpiresAttr is the attribute TTL is enabled on (Options.ExpiresAttr).
	// Default "expires".
	ExpiresAttr string
	// OwnerIndex, when set, adds a sparse global secondary index of that
	// name on OwnerAttr (of type S, no sort key) projecting KEYS_ONLY: the
	// owner index the repository's owner options query. Default: none.
	OwnerIndex string
	// OwnerAttr is the owner index's partition key. Default "owner".
	OwnerAttr string
}

// sessionsStart is where the Clock of NewSessions starts: fixed, so that
// what a test stores and prints is the same on every run.
var sessionsStart = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// NewSessions returns a DB holding an empty session table, ready for a
// dynamosession repository, in the spirit of httptest.NewRecorder: one
// line of setup. The table is "sessions", keyed by the string attribute
// "id", PAY_PER_REQUEST, with TTL on "expires"; set fields of
// SessionTable to match a repository configured otherwise. The DB follows
// a [Clock] that stands still at 2025-01-01 00:00:00 UTC until the test
// moves it; give
// its Now to the repository and the middleware so that all of them see
// one time:
//
//	db := fake.NewSessions()
//	repo, err := dynamosession.New[Cart](db, "sessions", func(o *dynamosession.Options[Cart]) { o.Clock = db.Clock().Now })
//
// NewSessions panics if the table options are invalid (a name DynamoDB
// refuses), as a test could not go on.
func NewSessions(optFns ...func(*SessionTable)) *DB {
	st := SessionTable{Name: "sessions", KeyAttr: "id", ExpiresAttr: "expires", OwnerAttr: "owner"}
	for _, fn := range optFns {
		fn(&st)
	}
	db := newDB(NewClock(sessionsStart), Options{})
	in := &dynamodb.CreateTableInput{
		TableName:            aws.String(st.Name),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(st.KeyAttr), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(st.KeyAttr), KeyType: types.KeyTypeHash}},
	}
	if st.OwnerIndex != "" {
		in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String(st.OwnerAttr), AttributeType: types.ScalarAttributeTypeS})
		in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(st.OwnerIndex),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String(st.OwnerAttr), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}}
	}
	ctx := context.Background()
	if _, err := db.CreateTable(ctx, in); err != nil {
		panic("fake.NewSessions: " + err.Error())
	}
	_, err := db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
		TableName:               aws.String(st.Name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String(st.ExpiresAttr), Enabled: aws.Bool(true)},
	})
	if err != nil {
		panic("fake.NewSessions: " + err.Error())
	}
	db.ResetStats()
	return db
}
