package fake

import (
	"context"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Query reads one partition of the table or of a global secondary index
// (IndexName), one page per call, in sort key order. The
// KeyConditionExpression names the partition key with "=" ("#k = :v", as
// the SDK's feature/dynamodb/expression package writes it). Limit bounds
// the items read and a page also ends after 1 MB; LastEvaluatedKey (the
// table's key, plus the index's for an index) says where the next page
// starts. A Query of an index reads its entries (the projected attributes)
// and is always eventually consistent. The page costs ReadUnits of the
// total size of what it read, charged to the index under INDEXES.
//
// Sort key conditions, ScanIndexForward false and FilterExpression are not
// implemented and are refused with an error wrapping [ErrNotImplemented].
func (db *DB) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	return call(db, ctx, "Query", in, db.query, optFns)
}

func (db *DB) query(in *dynamodb.QueryInput) (*dynamodb.QueryOutput, error) {
	if in == nil {
		in = &dynamodb.QueryInput{}
	}
	if err := required("QueryInput", in.TableName, true, ""); err != nil {
		return nil, err
	}
	switch {
	case in.KeyConditions != nil:
		return nil, legacyParam("KeyConditions")
	case in.QueryFilter != nil:
		return nil, legacyParam("QueryFilter")
	case in.AttributesToGet != nil:
		return nil, legacyParam("AttributesToGet")
	case in.ConditionalOperator != "":
		return nil, legacyParam("ConditionalOperator")
	case in.FilterExpression != nil:
		return nil, notImplemented("FilterExpression")
	case in.ScanIndexForward != nil && !*in.ScanIndexForward:
		return nil, notImplemented("ScanIndexForward false")
	case in.KeyConditionExpression == nil:
		return nil, validationError("Either the KeyConditions or KeyConditionExpression parameter must be specified in the request.")
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	p, err := parseRequest(in.ExpressionAttributeNames, in.ExpressionAttributeValues,
		expressions{key: in.KeyConditionExpression, projection: in.ProjectionExpression})
	if err != nil {
		return nil, err
	}

	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	var ix *index
	if in.IndexName != nil {
		if ix = t.index(*in.IndexName); ix == nil {
			return nil, validationError("The table does not have the specified index: %s", *in.IndexName)
		}
	}
	q := &querySpec{t: t, ix: ix}
	if err := q.checkSelect(in.Select, p.projection); err != nil {
		return nil, err
	}
	strong := aws.ToBool(in.ConsistentRead)
	if ix != nil && strong {
		return nil, validationError("Consistent read cannot be true when querying a GSI")
	}
	value, err := q.partition(p.key)
	if err != nil {
		return nil, err
	}

	var pg page
	if ix == nil {
		err = q.tablePage(&pg, value, in.ExclusiveStartKey, limit, strong, db.lag())
	} else {
		err = q.indexPage(&pg, value, in.ExclusiveStartKey, limit, db.lag())
	}
	if err != nil {
		return nil, err
	}
	units := pg.readUnits(strong)
	db.stats.ReadUnits += units
	out := &dynamodb.QueryOutput{
		Count:            int32(len(pg.items)),
		ScannedCount:     int32(len(pg.items)),
		LastEvaluatedKey: pg.lastKey(limit),
	}
	if ix == nil {
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t.name, units, nil)
	} else {
		// The read is the index's: the Table arm reports 0.
		out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t.name, 0, map[string]float64{ix.name: units})
	}
	switch {
	case in.Select == types.SelectCount:
	case p.projection != nil:
		out.Items = make([]map[string]types.AttributeValue, len(pg.items))
		for i, it := range pg.items {
			out.Items[i] = project(it, p.projection)
		}
	default:
		out.Items = pg.result()
	}
	return out, nil
}

func (t *table) index(name string) *index {
	for _, ix := range t.indexes {
		if ix.name == name {
			return ix
		}
	}
	return nil
}

// querySpec is what one Query reads: the table, or one of its indexes.
type querySpec struct {
	t  *table
	ix *index // nil for the table itself
}

func (q *querySpec) hashKey() (string, types.ScalarAttributeType) {
	if q.ix != nil {
		return q.ix.hashKey, q.ix.hashType
	}
	return q.t.hashKey, q.t.hashType
}

func (q *querySpec) rangeKey() string {
	if q.ix != nil {
		return q.ix.rangeKey
	}
	return q.t.rangeKey
}

// checkSelect validates Select against the projection expression and, for
// an index, against what the index projects.
func (q *querySpec) checkSelect(sel types.Select, projection []string) error {
	switch sel {
	case "":
	case types.SelectAllAttributes:
		if projection != nil {
			return validationError("Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES")
		}
		if q.ix != nil && q.ix.projection != types.ProjectionTypeAll {
			return validationError("One or more parameter values were invalid: Select type ALL_ATTRIBUTES is not supported for global secondary index %s because its projection type is not ALL", q.ix.name)
		}
	case types.SelectAllProjectedAttributes:
		if q.ix == nil {
			return validationError("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
		}
		if projection != nil {
			return validationError("Cannot specify the ProjectionExpression when choosing to get ALL_PROJECTED_ATTRIBUTES")
		}
	case types.SelectSpecificAttributes:
		if projection == nil {
			return validationError("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
		}
	case types.SelectCount:
		if projection != nil {
			return validationError("Cannot specify the ProjectionExpression when choosing to get only the COUNT")
		}
	default:
		return enumError(string(sel), "select", "SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES")
	}
	if q.ix == nil {
		return nil
	}
	var missing []string
	for _, name := range projection {
		if !q.ix.projects(q.t, name) {
			missing = append(missing, name)
		}
	}
	if len(missing) > 0 {
		return validationError("One or more parameter values were invalid: Global secondary index %s does not project [%s]", q.ix.name, strings.Join(missing, ", "))
	}
	return nil
}

// partition checks the key condition against the key schema queried and
// returns the partition key value it asks for.
func (q *querySpec) partition(terms []keyTerm) (types.AttributeValue, error) {
	hash, hashType := q.hashKey()
	var value types.AttributeValue
	for _, term := range terms {
		switch term.name {
		case hash:
			if term.op != tokEq || value != nil {
				return nil, validationError("Query key condition not supported")
			}
			if typeName(term.value) != string(hashType) {
				return nil, validationError("One or more parameter values were invalid: Condition parameter type does not match schema type")
			}
			value = term.value
		case q.rangeKey():
			return nil, notImplemented("sort key conditions in KeyConditionExpression")
		default:
			if value == nil && len(terms) == 1 {
				return nil, validationError("Query condition missed key schema element: %s", hash)
			}
			return nil, validationError("Query key condition not supported")
		}
	}
	if value == nil {
		return nil, validationError("Query condition missed key schema element: %s", hash)
	}
	return value, nil
}

// tablePage reads a page of the partition value of the table itself.
func (q *querySpec) tablePage(pg *page, value types.AttributeValue, esk map[string]types.AttributeValue, limit int, strong bool, l lag) error {
	t := q.t
	start, after := &record{hash: partitionHash(value), pk: keyPart(value)}, false
	if esk != nil {
		key, err := t.checkKey(esk, "The provided starting key is invalid: ")
		if err != nil {
			return err
		}
		if !equalValues(key[t.hashKey], value) {
			return validationError("The provided starting key does not match the range key predicate")
		}
		start, after = t.newRecord(key), true
	}
	for r := range t.order.from(start, after) {
		if r.pk != start.pk {
			break
		}
		item := r.visible(strong, l)
		if item == nil {
			continue
		}
		if pg.full(limit) {
			break
		}
		pg.add(item, r.key)
	}
	return nil
}

// indexPage reads a page of the partition value of an index. Index reads
// are eventually consistent: while replicas lag they see the entries of
// the versions lagging table reads see.
func (q *querySpec) indexPage(pg *page, value types.AttributeValue, esk map[string]types.AttributeValue, limit int, l lag) error {
	t, ix := q.t, q.ix
	start, after := &indexEntry{hash: partitionHash(value), pk: keyPart(value)}, false
	if esk != nil {
		e, err := q.startEntry(esk)
		if err != nil {
			return err
		}
		if e.pk != start.pk {
			return validationError("The provided starting key does not match the range key predicate")
		}
		start, after = e, true
	}
	for e := range ix.entries.from(start, after) {
		if e.pk != start.pk {
			break
		}
		if e.prev != l.behind(e.rec) {
			continue // an entry lagging readers no longer see, or do not see yet
		}
		if pg.full(limit) {
			break
		}
		key := make(map[string]types.AttributeValue, 4)
		for _, name := range keyUnion(t, ix) {
			key[name] = e.item[name]
		}
		pg.add(e.item, key)
	}
	return nil
}

// startEntry turns an ExclusiveStartKey of an index (the table's key and
// the index's) into the position in the index it stands for.
func (q *querySpec) startEntry(esk map[string]types.AttributeValue) (*indexEntry, error) {
	t, ix := q.t, q.ix
	names := keyUnion(t, ix)
	if len(esk) != len(names) {
		return nil, validationError("Exclusive Start Key must have same size as table's key schema")
	}
	tableKey := make(map[string]types.AttributeValue, 2)
	for _, name := range t.keyNames() {
		tableKey[name] = esk[name]
	}
	key, err := t.checkKey(tableKey, "The provided starting key is invalid: ")
	if err != nil {
		return nil, err
	}
	rec := t.newRecord(key)
	item := make(map[string]types.AttributeValue, len(esk))
	for name, v := range esk {
		c, msg := cleanValue(v)
		if msg != "" {
			return nil, validationError("The provided starting key is invalid: %s", msg)
		}
		item[name] = c
	}
	e := ix.entryFor(t, rec, item)
	if e == nil {
		return nil, validationError("The provided starting key is invalid: The provided key element does not match the schema")
	}
	return e, nil
}

// keyUnion lists the key attributes of the table and of an index, each
// once: what an index's LastEvaluatedKey holds.
func keyUnion(t *table, ix *index) []string {
	out := t.keyNames()
	for _, name := range ix.keyNames() {
		if !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	return out
}
