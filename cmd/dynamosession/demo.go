package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/migrate"
)

// demoTable is the table -fake holds.
const demoTable = "sessions"

// demoSessions are the sessions of the demo table, as JSON, with the
// format each is stored in: what a table looks like halfway through moving
// from connect-dynamodb to this library.
var demoSessions = []struct {
	id, format, json string
	expiresIn        time.Duration
}{
	{"demo-json-1", "json", `{"cookie":{"originalMaxAge":86400000,"expires":"2026-11-22T09:00:00.000Z","httpOnly":true,"path":"/"},"passport":{"user":"ada"},"views":3}`, 20 * time.Hour},
	{"demo-json-2", "json", `{"cookie":{"originalMaxAge":86400000,"expires":"2026-11-22T10:00:00.000Z","httpOnly":true,"path":"/"},"cart":[{"sku":"B-42","qty":2}],"orderId":9007199254740993}`, 21 * time.Hour},
	{"demo-json-3", "json", `{"cookie":{"originalMaxAge":86400000,"httpOnly":true,"path":"/"},"flash":["Welcome back!"]}`, 22 * time.Hour},
	{"demo-map-1", "map", `{"user":"grace","roles":["admin"],"lastModified":"2026-11-21T08:00:00.000Z"}`, 23 * time.Hour},
	{"demo-map-2", "map", `{"user":"alan","cart":[],"lastModified":"2026-11-21T08:30:00.000Z"}`, 13 * time.Hour},
	{"demo-msgpack-1", "msgpack", `{"user":"edsger","csrf":"q2F0c2lnbmF0dXJl","views":42}`, 14 * 24 * time.Hour},
	{"demo-expired", "json", `{"cookie":{"originalMaxAge":3600000,"httpOnly":true,"path":"/"},"passport":{"user":"barbara"}}`, -time.Hour},
}

// seedDemo creates the demo table in db, with demoSessions, one corrupt
// session and one item that is not a session.
func seedDemo(ctx context.Context, db *fake.DB, now time.Time) error {
	if _, err := tableadmin.Create(ctx, db, tableadmin.Spec{Table: demoTable}); err != nil {
		return err
	}
	codecs := map[string]codec.Codec[migrate.Value]{
		"json":    codec.JSON[migrate.Value]{},
		"map":     codec.Map[migrate.Value]{},
		"msgpack": codec.Msgpack[migrate.Value]{},
	}
	for i, s := range demoSessions {
		key := "session#" + s.id
		var v migrate.Value
		if err := v.UnmarshalJSON([]byte(s.json)); err != nil {
			return fmt.Errorf("%s: %w", s.id, err)
		}
		av, err := codecs[s.format].Encode(key, &v)
		if err != nil {
			return fmt.Errorf("%s: %w", s.id, err)
		}
		exp := strconv.FormatInt(now.Add(s.expiresIn).Unix(), 10)
		if i == 0 {
			// connect-dynamodb 3.0.3+ writes fractional seconds.
			exp += ".123"
		}
		item := map[string]types.AttributeValue{
			"id":      &types.AttributeValueMemberS{Value: key},
			"sess":    av,
			"expires": &types.AttributeValueMemberN{Value: exp},
		}
		if s.format == "json" {
			item["type"] = &types.AttributeValueMemberS{Value: codec.ConnectSessionType}
		}
		if err := db.PutRaw(demoTable, item); err != nil {
			return err
		}
	}
	for _, item := range []map[string]types.AttributeValue{
		{ // a record a crashed writer left half written
			"id":      &types.AttributeValueMemberS{Value: "session#demo-corrupt"},
			"sess":    &types.AttributeValueMemberS{Value: `{"user":"ken","cart":[`},
			"type":    &types.AttributeValueMemberS{Value: codec.ConnectSessionType},
			"expires": &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(5*time.Hour).Unix(), 10)},
		},
		{ // not a session: the migration leaves it alone
			"id":          &types.AttributeValueMemberS{Value: "config#site"},
			"maintenance": &types.AttributeValueMemberBOOL{Value: false},
		},
	} {
		if err := db.PutRaw(demoTable, item); err != nil {
			return err
		}
	}
	return nil
}
