package dynamosession

import (
	"context"
	"errors"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DeleteUndecodable deletes the session id if its record cannot be
// decoded, and only as long as it stays exactly so: it reads the record
// (strongly consistent: 1 read unit per started 4 KB) and, when decoding
// still fails with a *DecodeError, deletes it on condition that the
// attributes a decode reads (data, expiry, and in a versioned repository
// the version) are exactly what that read returned. A record that a newer
// release, another app or a concurrent login wrote meanwhile is therefore
// never deleted, and neither is one that decodes, nor one stored under a
// newer schema version than Options.Schema (a newer deploy's session).
//
// It reports whether the undecodable record it read is gone (deleted by
// this call, or found gone when the SDK retried the delete after a lost
// response). A record that is absent, expired or decodes when read, or
// that changed between the read and the delete, is not an error:
// DeleteUndecodable returns false, nil. The delete costs 1 write unit per
// started KB of the record.
//
// It is for callers that chose to drop what nothing can read (package
// httpsession's DeleteUndecodable policy); by default a repository leaves
// such a record untouched for inspection.
func (r *Repo[T]) DeleteUndecodable(ctx context.Context, id string) (bool, error) {
	k, err := r.key(id)
	if err != nil {
		return false, err
	}
	item, err := r.storedNow(ctx, k)
	if err != nil {
		return false, wrap("get", id, err)
	}
	if item == nil {
		return false, nil
	}
	var de *DecodeError
	if _, err := r.decode(id, k, item, r.now()); !errors.As(err, &de) {
		return false, nil
	}
	if v, err := r.schemaOf(id, item); err == nil && v > r.opts.Schema {
		// A newer deploy's record, undecodable only to this older code
		// during a rolling deploy: it is not garbage.
		return false, nil
	}
	attrs := []string{r.opts.DataAttr, r.opts.ExpiresAttr}
	if r.opts.Versioned {
		attrs = append(attrs, versionAttr)
	}
	names := map[string]string{}
	values := map[string]types.AttributeValue{}
	cond := ""
	for i, name := range attrs {
		ph := "#a" + strconv.Itoa(i)
		names[ph] = name
		if cond != "" {
			cond += " AND "
		}
		if v, ok := item[name]; ok {
			values[":a"+strconv.Itoa(i)] = v
			cond += ph + " = :a" + strconv.Itoa(i)
		} else {
			cond += "attribute_not_exists(" + ph + ")"
		}
	}
	in := &dynamodb.DeleteItemInput{
		TableName:                &r.table,
		Key:                      r.keyAV(k),
		ConditionExpression:      &cond,
		ExpressionAttributeNames: names,
		// On a failed condition: gone (a retry of ours found its own
		// delete done) or changed (keep it).
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}
	if len(values) > 0 {
		in.ExpressionAttributeValues = values
	}
	gen := r.cache.begin(k)
	_, err = r.client.DeleteItem(ctx, in)
	r.cache.deleted(k, gen, &err)
	if ccf, ok := isConditionFailed(err); ok {
		return ccf.Item == nil, nil
	}
	if err != nil {
		return false, wrap("delete", id, err)
	}
	return true, nil
}
