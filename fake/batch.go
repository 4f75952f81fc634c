package fake

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// Limits of BatchGetItem (API reference): 100 keys per request, and a
// response of at most 16 MB, beyond which the keys not read come back in
// UnprocessedKeys.
const (
	maxBatchGetKeys  = 100
	maxBatchGetBytes = 16 * 1024 * 1024
)

// BatchGetItem reads up to 100 items from one or more tables, each as its
// own GetItem: a key that matches no item is left out of Responses, and
// each key costs what its GetItem would, the item's size rounded up to
// 4 KB on its own, and the minimum read for a missing item ("DynamoDB read
// and write operations", Developer Guide: BatchGetItem "processes each
// item in the batch as an individual GetItem request"). Items come back in
// the order of the keys. Keys whose items would take the response past
// 16 MB come back in UnprocessedKeys, as DynamoDB returns them;
// UnprocessedKeys is empty otherwise.
func (db *DB) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return call(db, ctx, "BatchGetItem", in, db.batchGetItem, optFns)
}

// batchTable is one table's part of a BatchGetItem, validated.
type batchTable struct {
	name       string
	t          *table
	keys       []map[string]types.AttributeValue
	request    types.KeysAndAttributes
	projection []string
}

func (db *DB) batchGetItem(in *dynamodb.BatchGetItemInput) (*dynamodb.BatchGetItemOutput, error) {
	if in == nil || in.RequestItems == nil {
		return nil, missingParams("BatchGetItemInput", "RequestItems")
	}
	if len(in.RequestItems) == 0 {
		return nil, validationError("BatchGetItem must have some requests set")
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	count := 0
	for _, name := range sortedKeys(in.RequestItems) {
		ka := in.RequestItems[name]
		switch {
		case ka.AttributesToGet != nil:
			return nil, legacyParam("AttributesToGet")
		case len(ka.Keys) == 0:
			return nil, validationError("The list of keys in RequestItems for BatchGetItem is required: %s has empty list", name)
		}
		count += len(ka.Keys)
	}
	if count > maxBatchGetKeys {
		return nil, validationError("Too many items requested for the BatchGetItem call")
	}

	db.mu.Lock()
	defer db.mu.Unlock()
	var tables []*batchTable
	for _, name := range sortedKeys(in.RequestItems) {
		ka := in.RequestItems[name]
		p, err := parseRequest(ka.ExpressionAttributeNames, nil, expressions{projection: ka.ProjectionExpression})
		if err != nil {
			return nil, err
		}
		t, err := db.lookup(name)
		if err != nil {
			return nil, err
		}
		bt := &batchTable{name: name, t: t, request: ka, projection: p.projection}
		seen := map[string]bool{}
		for _, k := range ka.Keys {
			key, err := t.checkKey(k, "")
			if err != nil {
				return nil, err
			}
			enc := t.encodeKey(key)
			if seen[enc] {
				return nil, validationError("Provided list of item keys contains duplicates")
			}
			seen[enc] = true
			bt.keys = append(bt.keys, key)
		}
		tables = append(tables, bt)
	}

	out := &dynamodb.BatchGetItemOutput{
		Responses:       map[string][]map[string]types.AttributeValue{},
		UnprocessedKeys: map[string]types.KeysAndAttributes{},
	}
	bytes := 0
	l := db.lag()
	for _, bt := range tables {
		strong := aws.ToBool(bt.request.ConsistentRead)
		items := []map[string]types.AttributeValue{}
		var units float64
		for i, key := range bt.keys {
			if bytes >= maxBatchGetBytes {
				left := bt.request
				left.Keys = copyItems(bt.keys[i:])
				out.UnprocessedKeys[bt.name] = left
				break
			}
			item := bt.t.records[bt.t.encodeKey(key)].visible(strong, l)
			units += capacity.ReadUnits(capacity.ItemSize(item), strong)
			if item == nil {
				continue
			}
			bytes += capacity.ItemSize(item)
			if bt.projection != nil {
				items = append(items, project(item, bt.projection))
			} else {
				items = append(items, copyItem(item))
			}
		}
		db.stats.ReadUnits += units
		out.Responses[bt.name] = items
		if c := consumed(in.ReturnConsumedCapacity, bt.name, units, nil); c != nil {
			out.ConsumedCapacity = append(out.ConsumedCapacity, *c)
		}
	}
	return out, nil
}

func copyItems(items []map[string]types.AttributeValue) []map[string]types.AttributeValue {
	out := make([]map[string]types.AttributeValue, len(items))
	for i, it := range items {
		out[i] = copyItem(it)
	}
	return out
}
