package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/anyvalue"
)

// The demo table -fake holds, with the library's default attribute names
// and owner index.
const (
	demoTable      = "sessions"
	demoOwnerIndex = "owner-index"
	// demoCorruptID is the session the demo stores corrupt on purpose.
	demoCorruptID = "demo-corrupt"
)

// demoSession is one record of the demo table.
type demoSession struct {
	id, format, json string
	expiresIn        time.Duration
	// owner is the user the session belongs to ("" anonymous), signed in
	// ownedFor before now.
	owner    string
	ownedFor time.Duration
	// schema is the stored schema version; 0 stores no schema attribute
	// (version 1).
	schema int
	// shows says what the record is there to show, for the demo command.
	shows string
}

// demoSessions are the sessions of the demo table, as JSON, with the
// format each is stored in: what a table looks like halfway through moving
// from connect-dynamodb to this library, with a user (grace) signed in on
// several devices and a deploy that introduced schema version 2.
var demoSessions = []demoSession{
	{id: "demo-json-1", format: "json", json: `{"cookie":{"originalMaxAge":86400000,"expires":"2026-11-22T09:00:00.000Z","httpOnly":true,"path":"/"},"passport":{"user":"ada"},"views":3}`, expiresIn: 20 * time.Hour,
		shows: "connect-dynamodb's JSON string with a fractional expiry; its user is not indexed: a Node.js app's writes carry no owner"},
	{id: "demo-json-2", format: "json", json: `{"cookie":{"originalMaxAge":86400000,"expires":"2026-11-22T10:00:00.000Z","httpOnly":true,"path":"/"},"cart":[{"sku":"B-42","qty":2}],"orderId":9007199254740993}`, expiresIn: 21 * time.Hour,
		shows: "a number above 2^53 that migrate keeps exact"},
	{id: "demo-json-3", format: "json", json: `{"cookie":{"originalMaxAge":86400000,"httpOnly":true,"path":"/"},"flash":["Welcome back!"]}`, expiresIn: 22 * time.Hour,
		shows: "an anonymous session"},
	{id: "demo-map-1", format: "map", json: `{"user":"grace","roles":["admin"],"lastModified":"2026-11-21T08:00:00.000Z"}`, expiresIn: 23 * time.Hour,
		owner: "grace", ownedFor: 25 * time.Hour, shows: "a native map, as @pwrdrvr/dynamodb-session-store writes; grace's laptop"},
	{id: "demo-map-2", format: "map", json: `{"user":"alan","cart":[],"lastModified":"2026-11-21T08:30:00.000Z"}`, expiresIn: 13 * time.Hour,
		owner: "alan", ownedFor: 11 * time.Hour, shows: "a native map, owned by alan"},
	{id: "demo-msgpack-1", format: "msgpack", json: `{"user":"edsger","csrf":"q2F0c2lnbmF0dXJl","views":42}`, expiresIn: 14 * 24 * time.Hour,
		owner: "edsger", ownedFor: 2 * time.Hour, schema: 2, shows: "MessagePack, under schema version 2, written with a 14-day lifetime (sessions -ttl 336h)"},
	{id: "demo-grace-phone", format: "msgpack", json: `{"user":"grace","device":"phone","cart":[{"sku":"A-7","qty":1}]}`, expiresIn: 23*time.Hour + 30*time.Minute,
		owner: "grace", ownedFor: 3 * time.Hour, schema: 2, shows: "grace's phone: MessagePack, under schema version 2"},
	{id: "demo-grace-tablet", format: "msgpack", json: `{"user":"grace","device":"tablet"}`, expiresIn: -2 * time.Hour,
		owner: "grace", ownedFor: 50 * time.Hour, shows: "grace's tablet, expired: not listed, deleted by revoke as a dead record"},
	{id: "demo-expired", format: "json", json: `{"cookie":{"originalMaxAge":3600000,"httpOnly":true,"path":"/"},"passport":{"user":"barbara"}}`, expiresIn: -time.Hour,
		shows: "expired, not yet deleted by DynamoDB's TTL: reads as not found"},
}

// demoCorruptNote explains the corrupt record wherever a command meets it.
const demoCorruptNote = `the -fake demo table holds one corrupt record on purpose, ` + demoCorruptID + ` (a JSON string cut short, as a crashed writer might leave), to show how a record that cannot be decoded is reported and left untouched`

// seedDemo creates the demo table in db, with demoSessions, one corrupt
// session and one item that is not a session.
func seedDemo(ctx context.Context, db *fake.DB, now time.Time) error {
	if _, err := tableadmin.Create(ctx, db, tableadmin.Spec{Table: demoTable, OwnerIndex: demoOwnerIndex}); err != nil {
		return err
	}
	codecs := map[string]codec.Codec[anyvalue.Value]{
		"json":    codec.JSON[anyvalue.Value](),
		"map":     codec.Map[anyvalue.Value](),
		"msgpack": codec.Msgpack[anyvalue.Value](),
	}
	for i, s := range demoSessions {
		key := "session#" + s.id
		var v anyvalue.Value
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
			item["type"] = &types.AttributeValueMemberS{Value: "connect-session"}
		}
		if s.owner != "" {
			// The attributes the repository writes with Options.Owner, by
			// their default names.
			item["owner"] = &types.AttributeValueMemberS{Value: s.owner}
			item["owned_at"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(now.Add(-s.ownedFor).UnixMilli(), 10)}
		}
		if s.schema > 0 {
			item["schema"] = &types.AttributeValueMemberN{Value: strconv.Itoa(s.schema)}
		}
		if err := db.PutRaw(demoTable, item); err != nil {
			return err
		}
	}
	for _, item := range []map[string]types.AttributeValue{
		{ // a record a crashed writer left half written
			"id":      &types.AttributeValueMemberS{Value: "session#" + demoCorruptID},
			"sess":    &types.AttributeValueMemberS{Value: `{"user":"ken","cart":[`},
			"type":    &types.AttributeValueMemberS{Value: "connect-session"},
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

// demoIDs lists the demo table's session IDs, for help texts.
func demoIDs() string {
	ids := make([]string, 0, len(demoSessions)+1)
	for _, s := range demoSessions {
		ids = append(ids, s.id)
	}
	return strings.Join(append(ids, demoCorruptID), ", ")
}

func runDemo(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "demo", "", `
Describe the demo table that every command given -fake works on: an
in-memory DynamoDB, created afresh for each run (nothing a command changes
is kept), holding a table "`+demoTable+`" with the library's default
attribute names and owner index "`+demoOwnerIndex+`". It lists each
session ID and what the record is there to show, and commands to try.
`)
	if err := parseFlagsOnly(fs, args); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The -fake demo table %q (keys \"session#\" + ID; expiries relative to now):\n\n", demoTable)
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "  SESSION ID\tFORMAT\tOWNER\tSCHEMA\tEXPIRES\tWHAT IT SHOWS")
	for _, s := range demoSessions {
		owner, schema := "-", max(s.schema, 1)
		if s.owner != "" {
			owner = s.owner
		}
		fmt.Fprintf(w, "  %s\t%s\t%s\t%d\t%s\t%s\n", s.id, s.format, owner, schema, relative(s.expiresIn), s.shows)
	}
	fmt.Fprintf(w, "  %s\tjson\t-\t1\t%s\tCORRUPT ON PURPOSE: a JSON string cut short, reported and never overwritten\n", demoCorruptID, relative(5*time.Hour))
	fmt.Fprintf(w, "  (config#site)\t\t\t\t\tnot a session: an item of another kind that commands leave alone\n")
	if err := w.Flush(); err != nil {
		return err
	}
	b.WriteString(`
Try:
  dynamosession inspect -fake demo-json-1
  dynamosession sessions -fake -owner grace
  dynamosession revoke -fake -owner grace -except demo-map-1
  dynamosession schemas -fake
  dynamosession migrate -fake -to msgpack -dry-run
  dynamosession check-table -fake
`)
	_, err := fmt.Fprint(e.stdout, b.String())
	return err
}

// relative writes a duration from now: "in 20h", "expired 2h ago".
func relative(d time.Duration) string {
	if d < 0 {
		return "expired " + shortDuration(-d) + " ago"
	}
	return "in " + shortDuration(d)
}

// shortDuration writes d in its largest whole unit: 14d, 20h, 30m, 5s.
func shortDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d >= time.Hour:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d >= time.Minute:
		return fmt.Sprintf("%dm", d/time.Minute)
	}
	return fmt.Sprintf("%ds", d/time.Second)
}
