package migrate_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/migrate"
)

// A Go service that took over a connect-dynamodb table moves every
// session from JSON strings to MessagePack now, rather than as sessions
// are written: the migration takes the table, key prefix and codecs from
// the service's own repository.
func Example() {
	ctx := context.Background()
	db := fake.New("sessions") // a *dynamodb.Client in real life
	exp := &types.AttributeValueMemberN{Value: fmt.Sprint(time.Now().Add(time.Hour).Unix())}
	for id, sess := range map[string]string{
		"sess:a": `{"cookie":{"path":"/"},"passport":{"user":"ada"},"orderId":9007199254740993}`,
		"sess:b": `{"cookie":{"path":"/"},"cart":[` + "\n", // cut short by a crash
	} {
		_ = db.PutRaw("sessions", map[string]types.AttributeValue{
			"id":      &types.AttributeValueMemberS{Value: id},
			"sess":    &types.AttributeValueMemberS{Value: sess},
			"type":    &types.AttributeValueMemberS{Value: "connect-session"},
			"expires": exp,
		})
	}

	type user struct {
		User string `json:"user"`
	}
	type session struct {
		// Every field the records hold: a field the type does not declare
		// would make MessagePack, which cannot keep it, refuse the record.
		Cookie   map[string]any `json:"cookie"`
		Passport user           `json:"passport"`
		OrderID  int64          `json:"orderId"`
	}
	repo, err := dynamosession.New[session](db, "sessions", func(o *dynamosession.Options[session]) {
		o.Prefix = "sess:"
		o.Codec = codec.Msgpack[session]()
	})
	if err != nil {
		panic(err)
	}

	rep, err := migrate.Run(ctx, db, repo, migrate.Config{
		// Checkpoint: "migrate.checkpoint", to resume after a crash.
		// WriteUnitsPerSecond: 100, to leave the application capacity.
	})
	if err != nil {
		panic(err)
	}
	fmt.Printf("scanned %d, migrated %d, failed %d\n", rep.Scanned, rep.Migrated, rep.Failed)
	fmt.Printf("left untouched: sess:b (%s)\n", rep.Failures["sess:b"])

	s, err := repo.Get(ctx, "a")
	if err != nil {
		panic(err)
	}
	item, _ := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "sess:a"}})
	_, hasType := item["type"]
	fmt.Printf("sess:a is %s now, type attribute kept: %v, data %+v\n", s.Format(), hasType, s.Data)
	// Output:
	// scanned 2, migrated 1, failed 1
	// left untouched: sess:b (json: cannot decode: codec: json decode: unexpected EOF)
	// sess:a is msgpack now, type attribute kept: false, data {Cookie:map[path:/] Passport:{User:ada} OrderID:9007199254740993}
}
