package migrate_test

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/migrate"
)

// Moving a connect-dynamodb table from JSON strings to MessagePack, with
// the shape-preserving Value as the session type: numbers keep all their
// digits, and fields no Go type declares survive.
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

	rep, err := migrate.Run(ctx, db, migrate.Config[migrate.Value]{
		Table:  "sessions",
		Prefix: "sess:",
		From:   []codec.Format{codec.FormatJSON},
		To:     codec.Msgpack[migrate.Value]{},
		// Checkpoint: "migrate.checkpoint", to resume after a crash.
		// (Each of the 4 default workers pays for a Scan page: 4 × 0.5
		// read units even on a table this small.)
	})
	if err != nil {
		panic(err)
	}
	rep.Elapsed = 0 // for a stable example
	_ = rep.WriteText(os.Stdout, true)

	item, _ := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "sess:a"}})
	var v migrate.Value
	_ = codec.Msgpack[migrate.Value]{}.Decode("sess:a", item["sess"], &v)
	data, _ := v.MarshalJSON()
	_, hasType := item["type"]
	fmt.Printf("sess:a is %s now, type attribute kept: %v\n%s\n", codec.Detect(item["sess"]), hasType, data)
	// Output:
	// migration complete
	//   scanned                        2
	//   migrated                       1
	//   already in target              0
	//   expired (not touched)          0
	//   skipped                        0
	//   changed by the app             0
	//   failed (not touched)           1
	//   read units                   2.0
	//   write units                  1.0
	// failures:
	//   "sess:b" (json): cannot decode: codec: json decode: unexpected end of JSON input
	// sess:a is msgpack now, type attribute kept: false
	// {"cookie":{"path":"/"},"orderId":9007199254740993,"passport":{"user":"ada"}}
}
