package dynamosession

import (
	"context"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/expiry"
)

// supersededAttr marks a tombstone Supersede left: a number, the Unix
// second of the regeneration.
const supersededAttr = "superseded"

// ErrSuperseded reports a session ID that a regeneration replaced with a
// new one a moment ago ([Repo.Supersede]). errors.Is(err, ErrNotFound)
// holds for it as well: the old ID names no session.
var ErrSuperseded = fmt.Errorf("%w: superseded by a new ID", ErrNotFound)

// Supersede ends the live session id in favour of a new ID (a login's
// regeneration: create the new session first, then supersede the old
// one). It replaces the record with a tombstone
//
//	{key, expires: now + grace (rounded up to the second), superseded: now}
//
// ("superseded" is a number attribute of that fixed name, reserved: see
// [Options])
// in one PutItem, conditional on the record holding data, so that an ID
// that is already gone, a husk or an earlier tombstone stays as it is.
// The tombstone has no data attribute, so every reader sees no session
// (connect-dynamodb and @pwrdrvr/dynamodb-session-store read an item
// without `sess` as none, as for connect-dynamodb's own husks); [Repo.Get]
// reports [ErrSuperseded] for it until it expires, and ErrExpired after;
// Save and Touch fail on it as on a deleted session; DynamoDB TTL deletes
// it. The tombstone holds nothing of the new session, its ID least of all.
//
// What the marker is for: a request sent with the old ID before the
// browser got the new cookie (a poll, a second tab) can tell "replaced a
// moment ago" from "dead", and leave the browser's newer cookie alone (see
// package httpsession). grace <= 0 writes no tombstone and deletes the
// record as [Repo.Delete] does. Superseding an ID with no live record is
// not an error.
//
// It costs what a Delete costs: 1 write unit per started KB of the larger
// of the old item and the tombstone, which is under 100 bytes.
func (r *Repo[T]) Supersede(ctx context.Context, id string, grace time.Duration) error {
	if grace <= 0 {
		return r.Delete(ctx, id)
	}
	k, err := r.key(id)
	if err != nil {
		return err
	}
	now := r.now()
	until := now.Add(grace)
	if until.Truncate(time.Second) != until {
		// DynamoDB stores whole seconds: round up, so the grace is never
		// shorter than asked.
		until = until.Truncate(time.Second).Add(time.Second)
	}
	cond := "attribute_exists(#d)"
	in := &dynamodb.PutItemInput{
		TableName: &r.table,
		Item: map[string]types.AttributeValue{
			r.opts.KeyAttr:     &types.AttributeValueMemberS{Value: k},
			r.opts.ExpiresAttr: &types.AttributeValueMemberN{Value: expiry.Format(until)},
			supersededAttr:     &types.AttributeValueMemberN{Value: expiry.Format(now)},
		},
		ConditionExpression:      &cond,
		ExpressionAttributeNames: map[string]string{"#d": r.opts.DataAttr},
	}
	gen := r.cache.begin(k)
	_, err = r.client.PutItem(ctx, in)
	r.cache.created(k, in.Item, now, gen, &err) // Get serves ErrSuperseded from it
	if _, ok := isConditionFailed(err); ok {
		return nil // nothing live to supersede; a retried attempt of ours lands here too
	}
	return wrap("supersede", id, err)
}
