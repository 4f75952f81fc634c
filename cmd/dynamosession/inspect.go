package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/anyvalue"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/expiry"
	"github.com/dynamosession/dynamosession/internal/reader"
)

func runInspect(ctx context.Context, args []string, e *env) error {
	fs := newFlags(e, "inspect", "[flags] SESSION-ID", `
Fetch one session and show it: its data decoded from whatever format it is
stored in, printed as JSON; the format; the item's size by DynamoDB's
rules; its expiry; and the read and write capacity units a request on it
costs. An expired session that DynamoDB has not deleted yet is shown too.
SESSION-ID is the ID without the prefix (or pass -prefix "" and the whole
key). Needs dynamodb:GetItem. Session data is a bearer credential's
payload: mind where the output goes.

With -fake, the demo table's session IDs are `+demoIDs()+`
(dynamosession demo says what each shows).
`)
	var (
		tf     tableFlags
		rf     recordFlags
		cf     connFlags
		strong = fs.Bool("strong", false, "read strongly consistent (1 read unit instead of 0.5 per 4 KB)")
	)
	tf.register(fs)
	rf.register(fs)
	cf.register(fs, e)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] == "" {
		return usagef("want exactly one SESSION-ID")
	}
	key := rf.prefix + pos[0]
	c, err := cf.connect(ctx, e, true)
	if err != nil {
		return err
	}
	out, err := c.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              &tf.table,
		Key:                    map[string]types.AttributeValue{tf.key: &types.AttributeValueMemberS{Value: key}},
		ConsistentRead:         strong,
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
	})
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) && apiErr.ErrorCode() == "ValidationException" {
		// "One of the required keys was not given a value": the table
		// is keyed by another attribute than -key.
		if hint := keyHint(ctx, c, tf.table, tf.key); hint != "" {
			return fmt.Errorf("%s\n(DynamoDB said: %w)", hint, err)
		}
	}
	if hint := tableHint(err, tf.table); hint != "" {
		return fmt.Errorf("%w\n%s", err, hint)
	}
	if err != nil {
		return err
	}
	if out.Item == nil {
		fmt.Fprintf(e.stderr, "session %q not found in table %s (key %s %q)\n", pos[0], tf.table, tf.key, key)
		return errReported
	}
	item := out.Item

	w := &table{}
	w.row("key", "%s", key)
	data, hasData := item[rf.data]
	format := codecs.Detect(data)
	switch {
	case !hasData:
		w.row("format", "no %q attribute: not a session of this table's layout", rf.data)
	case format == "":
		w.row("format", "unknown (attribute %s of type %s)", rf.data, attrType(data))
	default:
		note := ""
		if t, ok := item["type"].(*types.AttributeValueMemberS); ok && format == codec.FormatJSON {
			note = fmt.Sprintf(", with type %q as connect-dynamodb writes", t.Value)
		}
		w.row("format", "%s (%s attribute %s%s)", format, attrType(data), rf.data, note)
	}
	size := capacity.ItemSize(item)
	w.row("size", "%d bytes (DynamoDB's item size: attribute names and values; data %d bytes)", size, capacity.AttributeSize(data))
	w.row("attributes", "%s", strings.Join(slices.Sorted(maps.Keys(item)), ", "))
	w.row("expires", "%s", describeExpiry(item[tf.expires], e.now()))
	w.row("read cost", "%s eventually consistent, %s strongly consistent (per started 4 KB); this read consumed %s",
		units(capacity.ReadUnits(size, false), "read"), units(capacity.ReadUnits(size, true), "read"), consumed(out.ConsumedCapacity))
	w.row("write cost", "%s per save, touch or delete (per started KB of the whole item)", units(capacity.WriteUnits(size), "write"))

	decodeErr := error(nil)
	if hasData {
		var v anyvalue.Value
		if _, err := reader.New(readers()...).Decode(key, data, &v); err != nil {
			decodeErr = err
		} else if text, err := prettyJSON(&v); err != nil {
			decodeErr = err
		} else {
			w.text("data", text)
		}
	}
	if _, err := e.stdout.Write(w.buf.Bytes()); err != nil {
		return err
	}
	if decodeErr != nil {
		fmt.Fprintf(e.stderr, "cannot decode the session data: %v\n", decodeErr)
		if cf.fake && key == "session#"+demoCorruptID {
			fmt.Fprintf(e.stderr, "note: %s\n", demoCorruptNote)
		}
		return errReported
	}
	return nil
}

// table lines up labelled rows.
type table struct{ buf bytes.Buffer }

func (t *table) row(label, format string, args ...any) {
	fmt.Fprintf(&t.buf, "%-11s %s\n", label, fmt.Sprintf(format, args...))
}

func (t *table) text(label, body string) {
	fmt.Fprintf(&t.buf, "%s\n%s\n", label, body)
}

func prettyJSON(v *anyvalue.Value) (string, error) {
	raw, err := v.MarshalJSON()
	if err != nil {
		return "", err
	}
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		return "", err
	}
	return b.String(), nil
}

// describeExpiry says when a stored expiry is, absolutely and from now.
func describeExpiry(av types.AttributeValue, now time.Time) string {
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		if av == nil {
			return "none: the session never expires, and DynamoDB's TTL never deletes it"
		}
		return fmt.Sprintf("not a number (%s): the repository cannot read this session", attrType(av))
	}
	t, err := expiry.Parse(n.Value)
	if err != nil {
		return err.Error()
	}
	abs := fmt.Sprintf("%s (stored %s)", t.UTC().Format(time.RFC3339), n.Value)
	if d := t.Sub(now).Round(time.Second); d > 0 {
		return fmt.Sprintf("%s, in %s", abs, d)
	}
	return fmt.Sprintf("%s, EXPIRED %s ago: reads as not found; DynamoDB's TTL deletes it, usually within 48 hours", abs, now.Sub(t).Round(time.Second))
}

// units writes "0.5 read unit", "2 write units".
func units(n float64, kind string) string {
	if n <= 1 {
		return fmt.Sprintf("%g %s unit", n, kind)
	}
	return fmt.Sprintf("%g %s units", n, kind)
}

func consumed(cc *types.ConsumedCapacity) string {
	if cc == nil || cc.CapacityUnits == nil {
		return "(not reported)"
	}
	return units(aws.ToFloat64(cc.CapacityUnits), "read")
}

// attrType names an attribute value's DynamoDB type: S, N, M, ….
func attrType(av types.AttributeValue) string {
	if av == nil {
		return "missing"
	}
	return strings.TrimPrefix(fmt.Sprintf("%T", av), "*types.AttributeValueMember")
}
