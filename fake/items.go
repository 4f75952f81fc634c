package fake

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// consumed builds ConsumedCapacity as DynamoDB fills it for single-item
// operations, Scan and Query: under TOTAL, TableName and CapacityUnits,
// the table's units plus every index's (ReadCapacityUnits and
// WriteCapacityUnits stay nil; the service sets them only for
// transactions); under INDEXES, also the Table arm and, when the request
// involved indexes, a GlobalSecondaryIndexes map of them.
func consumed(mode types.ReturnConsumedCapacity, tableName string, tableUnits float64, indexUnits map[string]float64) *types.ConsumedCapacity {
	total := tableUnits
	for _, u := range indexUnits {
		total += u
	}
	switch mode {
	case types.ReturnConsumedCapacityTotal:
		return &types.ConsumedCapacity{TableName: aws.String(tableName), CapacityUnits: aws.Float64(total)}
	case types.ReturnConsumedCapacityIndexes:
		c := &types.ConsumedCapacity{
			TableName:     aws.String(tableName),
			CapacityUnits: aws.Float64(total),
			Table:         &types.Capacity{CapacityUnits: aws.Float64(tableUnits)},
		}
		for name, u := range indexUnits {
			if c.GlobalSecondaryIndexes == nil {
				c.GlobalSecondaryIndexes = map[string]types.Capacity{}
			}
			c.GlobalSecondaryIndexes[name] = types.Capacity{CapacityUnits: aws.Float64(u)}
		}
		return c
	}
	return nil
}

// chargeWrite adds a write's table and index units to the running totals.
func (db *DB) chargeWrite(tableUnits float64, indexUnits map[string]float64) {
	db.stats.WriteUnits += tableUnits
	for _, u := range indexUnits {
		db.stats.WriteUnits += u
	}
}

func checkConsumedMode(mode types.ReturnConsumedCapacity) error {
	switch mode {
	case "", types.ReturnConsumedCapacityNone, types.ReturnConsumedCapacityTotal, types.ReturnConsumedCapacityIndexes:
		return nil
	}
	return enumError(string(mode), "returnConsumedCapacity", "INDEXES, TOTAL, NONE")
}

// checkReturnValues validates ReturnValues. Put and Delete accept NONE and
// ALL_OLD, as DynamoDB does; UpdateItem also ALL_NEW. UPDATED_OLD and
// UPDATED_NEW are not implemented: nothing in dynamosession asks for them.
func checkReturnValues(rv types.ReturnValue, update bool) error {
	switch rv {
	case "", types.ReturnValueNone, types.ReturnValueAllOld:
		return nil
	case types.ReturnValueAllNew, types.ReturnValueUpdatedOld, types.ReturnValueUpdatedNew:
		switch {
		case !update:
			return validationError("Return values set to invalid value")
		case rv != types.ReturnValueAllNew:
			return notImplemented("ReturnValues %s", rv)
		}
		return nil
	}
	return enumError(string(rv), "returnValues", "ALL_NEW, UPDATED_OLD, ALL_OLD, NONE, UPDATED_NEW")
}

func checkReturnOnFailure(rv types.ReturnValuesOnConditionCheckFailure) error {
	switch rv {
	case "", types.ReturnValuesOnConditionCheckFailureNone, types.ReturnValuesOnConditionCheckFailureAllOld:
		return nil
	}
	return enumError(string(rv), "returnValuesOnConditionCheckFailure", "ALL_OLD, NONE")
}

// cleanItem validates every value of an item to be written and returns a
// canonical deep copy.
func cleanItem(item map[string]types.AttributeValue) (map[string]types.AttributeValue, error) {
	out := make(map[string]types.AttributeValue, len(item))
	for name, v := range item {
		if name == "" {
			return nil, validationError("One or more parameter values were invalid: An AttributeValue may not contain an empty attribute name")
		}
		name, msg := checkName(name)
		if msg != "" {
			return nil, validationError("%s", msg)
		}
		c, msg := cleanValue(v)
		if msg != "" {
			return nil, validationError("%s", msg)
		}
		out[name] = c
	}
	if tooDeep(out) {
		return nil, validationError("%s: Attributes in the item have nested levels beyond supported limit", msgTooDeep)
	}
	return out, nil
}

// failCondition charges the write a failed condition costs, the size of
// the existing item (at least one unit), and returns the exception, with
// the item when ALL_OLD was asked for.
func (db *DB) failCondition(old map[string]types.AttributeValue, rv types.ReturnValuesOnConditionCheckFailure) error {
	db.stats.WriteUnits += capacity.WriteUnits(capacity.ItemSize(old))
	var item map[string]types.AttributeValue
	if rv == types.ReturnValuesOnConditionCheckFailureAllOld && old != nil {
		item = copyItem(old)
	}
	return conditionFailed(item)
}

func orEmpty(item map[string]types.AttributeValue) map[string]types.AttributeValue {
	if item == nil {
		return map[string]types.AttributeValue{}
	}
	return item
}

func current(t *table, enc string) map[string]types.AttributeValue {
	if r := t.records[enc]; r != nil {
		return r.item
	}
	return nil
}

// GetItem reads one item. ConsistentRead selects a strongly consistent
// read; otherwise, while replicas lag ([DB.SetReplicaLag]), the read may
// see the previous version. A missing item costs the minimum read.
func (db *DB) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	return call(db, ctx, "GetItem", in, db.getItem, optFns)
}

func (db *DB) getItem(in *dynamodb.GetItemInput) (*dynamodb.GetItemOutput, error) {
	if in == nil {
		in = &dynamodb.GetItemInput{}
	}
	if err := required("GetItemInput", in.TableName, in.Key != nil, "Key"); err != nil {
		return nil, err
	}
	if in.AttributesToGet != nil {
		return nil, legacyParam("AttributesToGet")
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	p, err := parseRequest(in.ExpressionAttributeNames, nil, expressions{projection: in.ProjectionExpression})
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	key, err := t.checkKey(in.Key, "")
	if err != nil {
		return nil, err
	}
	strong := aws.ToBool(in.ConsistentRead)
	item := t.records[t.encodeKey(key)].visible(strong, db.lag())
	units := capacity.ReadUnits(capacity.ItemSize(item), strong)
	db.stats.ReadUnits += units
	out := &dynamodb.GetItemOutput{ConsumedCapacity: consumed(in.ReturnConsumedCapacity, t.name, units, nil)}
	switch {
	case item == nil:
	case p.projection != nil:
		out.Item = project(item, p.projection)
	default:
		out.Item = copyItem(item)
	}
	return out, nil
}

// required mirrors the SDK's client-side check of required members.
func required(context string, tableName *string, other bool, otherName string) error {
	var missing []string
	if tableName == nil {
		missing = append(missing, "TableName")
	}
	if !other {
		missing = append(missing, otherName)
	}
	if len(missing) > 0 {
		return missingParams(context, missing...)
	}
	return nil
}

// PutItem creates or replaces an item, subject to ConditionExpression.
func (db *DB) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	return call(db, ctx, "PutItem", in, db.putItem, optFns)
}

func (db *DB) putItem(in *dynamodb.PutItemInput) (*dynamodb.PutItemOutput, error) {
	if in == nil {
		in = &dynamodb.PutItemInput{}
	}
	if err := required("PutItemInput", in.TableName, in.Item != nil, "Item"); err != nil {
		return nil, err
	}
	switch {
	case in.Expected != nil:
		return nil, legacyParam("Expected")
	case in.ConditionalOperator != "":
		return nil, legacyParam("ConditionalOperator")
	}
	if err := firstError(
		checkConsumedMode(in.ReturnConsumedCapacity),
		checkReturnValues(in.ReturnValues, false),
		checkReturnOnFailure(in.ReturnValuesOnConditionCheckFailure),
	); err != nil {
		return nil, err
	}
	p, err := parseRequest(in.ExpressionAttributeNames, in.ExpressionAttributeValues, expressions{condition: in.ConditionExpression})
	if err != nil {
		return nil, err
	}
	item, err := cleanItem(in.Item)
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	key, err := t.checkItemKey(item)
	if err != nil {
		return nil, err
	}
	if err := t.checkIndexKeys(item, nil); err != nil {
		return nil, err
	}
	newSize := capacity.ItemSize(item)
	if newSize > capacity.MaxItemBytes {
		return nil, validationError("Item size has exceeded the maximum allowed size")
	}
	enc := t.encodeKey(key)
	old := current(t, enc)
	if p.condition != nil && !evalCondition(p.condition, orEmpty(old)) {
		return nil, db.failCondition(old, in.ReturnValuesOnConditionCheckFailure)
	}
	units := capacity.WriteUnits(max(capacity.ItemSize(old), newSize))
	indexUnits := t.write(key, enc, item, db.lag())
	db.chargeWrite(units, indexUnits)
	out := &dynamodb.PutItemOutput{ConsumedCapacity: consumed(in.ReturnConsumedCapacity, t.name, units, indexUnits)}
	if in.ReturnValues == types.ReturnValueAllOld && old != nil {
		out.Attributes = copyItem(old)
	}
	return out, nil
}

func firstError(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// UpdateItem edits an item with UpdateExpression, creating it when it does
// not exist (unless ConditionExpression fails). Without UpdateExpression it
// creates an item of just the key, as DynamoDB does.
func (db *DB) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	return call(db, ctx, "UpdateItem", in, db.updateItem, optFns)
}

func (db *DB) updateItem(in *dynamodb.UpdateItemInput) (*dynamodb.UpdateItemOutput, error) {
	if in == nil {
		in = &dynamodb.UpdateItemInput{}
	}
	if err := required("UpdateItemInput", in.TableName, in.Key != nil, "Key"); err != nil {
		return nil, err
	}
	switch {
	case in.AttributeUpdates != nil:
		return nil, legacyParam("AttributeUpdates")
	case in.Expected != nil:
		return nil, legacyParam("Expected")
	case in.ConditionalOperator != "":
		return nil, legacyParam("ConditionalOperator")
	}
	if err := firstError(
		checkConsumedMode(in.ReturnConsumedCapacity),
		checkReturnValues(in.ReturnValues, true),
		checkReturnOnFailure(in.ReturnValuesOnConditionCheckFailure),
	); err != nil {
		return nil, err
	}
	p, err := parseRequest(in.ExpressionAttributeNames, in.ExpressionAttributeValues,
		expressions{update: in.UpdateExpression, condition: in.ConditionExpression})
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	key, err := t.checkKey(in.Key, "")
	if err != nil {
		return nil, err
	}
	if p.update != nil {
		for _, name := range p.update.names() {
			if t.isKey(name) {
				return nil, validationError("One or more parameter values were invalid: Cannot update attribute %s. This attribute is part of the key", name)
			}
		}
	}
	enc := t.encodeKey(key)
	old := current(t, enc)
	if p.condition != nil && !evalCondition(p.condition, orEmpty(old)) {
		return nil, db.failCondition(old, in.ReturnValuesOnConditionCheckFailure)
	}
	base := old
	if base == nil {
		base = copyItem(key)
	}
	next := copyItem(base)
	if p.update != nil {
		var msg string
		if next, msg = applyUpdate(p.update, base); msg != "" {
			return nil, validationError("%s", msg)
		}
	}
	if tooDeep(next) {
		return nil, validationError("%s", msgTooDeep)
	}
	if p.update != nil {
		if err := t.checkIndexKeys(next, p.update.names()); err != nil {
			return nil, err
		}
	}
	newSize := capacity.ItemSize(next)
	if newSize > capacity.MaxItemBytes {
		return nil, validationError("Item size to update has exceeded the maximum allowed size")
	}
	units := capacity.WriteUnits(max(capacity.ItemSize(old), newSize))
	indexUnits := t.write(key, enc, next, db.lag())
	db.chargeWrite(units, indexUnits)
	out := &dynamodb.UpdateItemOutput{ConsumedCapacity: consumed(in.ReturnConsumedCapacity, t.name, units, indexUnits)}
	switch in.ReturnValues {
	case types.ReturnValueAllOld:
		out.Attributes = copyItem(old)
	case types.ReturnValueAllNew:
		out.Attributes = copyItem(next)
	}
	return out, nil
}

// DeleteItem deletes an item, subject to ConditionExpression. Deleting a
// missing item succeeds and still costs one write unit.
func (db *DB) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	return call(db, ctx, "DeleteItem", in, db.deleteItem, optFns)
}

func (db *DB) deleteItem(in *dynamodb.DeleteItemInput) (*dynamodb.DeleteItemOutput, error) {
	if in == nil {
		in = &dynamodb.DeleteItemInput{}
	}
	if err := required("DeleteItemInput", in.TableName, in.Key != nil, "Key"); err != nil {
		return nil, err
	}
	switch {
	case in.Expected != nil:
		return nil, legacyParam("Expected")
	case in.ConditionalOperator != "":
		return nil, legacyParam("ConditionalOperator")
	}
	if err := firstError(
		checkConsumedMode(in.ReturnConsumedCapacity),
		checkReturnValues(in.ReturnValues, false),
		checkReturnOnFailure(in.ReturnValuesOnConditionCheckFailure),
	); err != nil {
		return nil, err
	}
	p, err := parseRequest(in.ExpressionAttributeNames, in.ExpressionAttributeValues, expressions{condition: in.ConditionExpression})
	if err != nil {
		return nil, err
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	key, err := t.checkKey(in.Key, "")
	if err != nil {
		return nil, err
	}
	enc := t.encodeKey(key)
	old := current(t, enc)
	if p.condition != nil && !evalCondition(p.condition, orEmpty(old)) {
		return nil, db.failCondition(old, in.ReturnValuesOnConditionCheckFailure)
	}
	units := capacity.WriteUnits(capacity.ItemSize(old))
	var indexUnits map[string]float64
	if old != nil {
		indexUnits = t.write(key, enc, nil, db.lag())
	}
	db.chargeWrite(units, indexUnits)
	out := &dynamodb.DeleteItemOutput{ConsumedCapacity: consumed(in.ReturnConsumedCapacity, t.name, units, indexUnits)}
	if in.ReturnValues == types.ReturnValueAllOld && old != nil {
		out.Attributes = copyItem(old)
	}
	return out, nil
}
