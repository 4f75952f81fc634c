package fake

import (
	"cmp"
	"fmt"
	"slices"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// Global secondary indexes, as the Developer Guide describes them
// ("Using Global Secondary Indexes in DynamoDB",
// https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html):
//
//   - sparse: an item is in an index only when it has the index's key
//     attributes; the others cost the index nothing;
//   - an entry holds the table's key, the index's key and the projected
//     attributes (none for KEYS_ONLY, the listed ones for INCLUDE, all for
//     ALL), and a Query of the index reads and returns entries;
//   - eventually consistent: a Query of an index cannot ask for a strongly
//     consistent read, and while replicas lag ([DB.SetReplicaLag]) it sees
//     the entries of the versions lagging table reads see;
//   - a write to the table writes each index it changes: one write of the
//     entry's size to add or remove an entry, one of the larger entry's
//     size to change projected attributes in place, and two (a delete and
//     a put, each of its own size) when the index key changes. An index
//     whose entry the write leaves as it was costs nothing and does not
//     appear in ConsumedCapacity ("Provisioned throughput considerations
//     for Global Secondary Indexes", Write capacity units).

// index is one global secondary index of a table.
type index struct {
	name       string
	pos        int // its place in table.indexes and in record.entries
	hashKey    string
	hashType   types.ScalarAttributeType
	rangeKey   string // "" when the index has no sort key
	rangeType  types.ScalarAttributeType
	keySchema  []types.KeySchemaElement
	projection types.ProjectionType
	include    []string // the NonKeyAttributes of an INCLUDE projection
	rcu, wcu   int64    // provisioned throughput; 0 on PAY_PER_REQUEST
	entries    ordered[*indexEntry]
}

// indexEntry is an item's entry in an index.
type indexEntry struct {
	rec  *record
	hash uint64               // where the index partition key sorts
	pk   string               // keyPart of the index partition key
	sk   types.AttributeValue // the index sort key; nil without one
	item map[string]types.AttributeValue
	// prev marks the entry of the item's version before its latest write,
	// which only stale reads see.
	prev bool
}

// compareEntries orders the entries of an index: by partition key hash and
// value, then sort key, then the table's own order (a pivot without a
// record comes first), then the current entry before the previous one.
func compareEntries(a, b *indexEntry) int {
	switch {
	case a.hash != b.hash:
		return cmp.Compare(a.hash, b.hash)
	case a.pk != b.pk:
		return cmp.Compare(a.pk, b.pk)
	case (a.sk == nil) != (b.sk == nil):
		return compareBool(a.sk != nil, b.sk != nil)
	case a.sk != nil:
		if c, _ := compareScalars(a.sk, b.sk); c != 0 {
			return c
		}
	}
	if a.rec == nil || b.rec == nil {
		return compareBool(a.rec != nil, b.rec != nil)
	}
	if c := compareRecords(a.rec, b.rec); c != 0 {
		return c
	}
	return compareBool(a.prev, b.prev)
}

// entryFor returns rec's entry for item, or nil when item lacks the
// index's key attributes (or, seeded with PutRaw, holds them with another
// type): the index is sparse.
func (ix *index) entryFor(t *table, rec *record, item map[string]types.AttributeValue) *indexEntry {
	if item == nil {
		return nil
	}
	hk, ok := item[ix.hashKey]
	if !ok || typeName(hk) != string(ix.hashType) {
		return nil
	}
	e := &indexEntry{rec: rec, hash: partitionHash(hk), pk: keyPart(hk)}
	if ix.rangeKey != "" {
		rk, ok := item[ix.rangeKey]
		if !ok || typeName(rk) != string(ix.rangeType) {
			return nil
		}
		e.sk = rk
	}
	if ix.projection == types.ProjectionTypeAll {
		e.item = item // stored items are never changed in place
		return e
	}
	e.item = make(map[string]types.AttributeValue, 4+len(ix.include))
	for _, name := range slices.Concat(t.keyNames(), ix.keyNames(), ix.include) {
		if v, ok := item[name]; ok {
			e.item[name] = v
		}
	}
	return e
}

func (ix *index) keyNames() []string {
	if ix.rangeKey == "" {
		return []string{ix.hashKey}
	}
	return []string{ix.hashKey, ix.rangeKey}
}

// projects reports whether the index's entries hold the attribute name.
func (ix *index) projects(t *table, name string) bool {
	return ix.projection == types.ProjectionTypeAll || t.isKey(name) ||
		slices.Contains(ix.keyNames(), name) || slices.Contains(ix.include, name)
}

// writeUnits is what a write that turns entry old into entry new (either
// nil when the item is not in the index) costs the index, and whether it
// touched the index at all.
func writeUnits(old, new *indexEntry) (float64, bool) {
	size := func(e *indexEntry) int { return capacity.ItemSize(e.item) }
	switch {
	case old == nil && new == nil:
		return 0, false
	case old == nil:
		return capacity.WriteUnits(size(new)), true
	case new == nil:
		return capacity.WriteUnits(size(old)), true
	case old.pk != new.pk || !equalKeys(old.sk, new.sk):
		return capacity.WriteUnits(size(old)) + capacity.WriteUnits(size(new)), true
	case equalItems(old.item, new.item):
		return 0, false
	}
	return capacity.WriteUnits(max(size(old), size(new))), true
}

func equalKeys(a, b types.AttributeValue) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return equalValues(a, b)
}

func equalItems(a, b map[string]types.AttributeValue) bool {
	return equalValues(&types.AttributeValueMemberM{Value: a}, &types.AttributeValueMemberM{Value: b})
}

// reindex moves rec's entries from its current item to item, and returns
// the write units each index the change touched consumed. With keepPrev,
// the entries being replaced stay, marked prev, for lagging readers, in
// place of any older ones.
func (t *table) reindex(rec *record, item map[string]types.AttributeValue, keepPrev bool) map[string]float64 {
	var units map[string]float64
	for _, ix := range t.indexes {
		old, next := rec.entries[ix.pos], ix.entryFor(t, rec, item)
		if u, touched := writeUnits(old, next); touched {
			if units == nil {
				units = map[string]float64{}
			}
			units[ix.name] = u
		}
		if p := rec.prevEntries[ix.pos]; p != nil && keepPrev {
			ix.entries.delete(p)
			rec.prevEntries[ix.pos] = nil
		}
		if old != nil {
			ix.entries.delete(old)
			if keepPrev {
				stale := *old
				stale.prev = true
				ix.entries.insert(&stale)
				rec.prevEntries[ix.pos] = &stale
			}
		}
		if next != nil {
			ix.entries.insert(next)
		}
		rec.entries[ix.pos] = next
	}
	return units
}

// unindex removes every entry of rec, current and previous.
func (t *table) unindex(rec *record) {
	for _, ix := range t.indexes {
		for _, e := range []*indexEntry{rec.entries[ix.pos], rec.prevEntries[ix.pos]} {
			if e != nil {
				ix.entries.delete(e)
			}
		}
		rec.entries[ix.pos], rec.prevEntries[ix.pos] = nil, nil
	}
}

// settleIndexes drops rec's previous entries, once every replica is current.
func (t *table) settleIndexes(rec *record) {
	for _, ix := range t.indexes {
		if e := rec.prevEntries[ix.pos]; e != nil {
			ix.entries.delete(e)
			rec.prevEntries[ix.pos] = nil
		}
	}
}

// checkIndexKeys refuses an item whose index key attributes DynamoDB would
// not index: of another type than the index declares, empty, or beyond the
// 2048-byte partition and 1024-byte sort key limits. It checks only the
// attributes in touched when that is not nil: an update is refused for the
// values it writes, not for ones an older writer left.
func (t *table) checkIndexKeys(item map[string]types.AttributeValue, touched []string) error {
	for _, ix := range t.indexes {
		for _, k := range []struct {
			name  string
			typ   types.ScalarAttributeType
			limit int
		}{{ix.hashKey, ix.hashType, capacity.MaxPartitionKeyBytes}, {ix.rangeKey, ix.rangeType, capacity.MaxSortKeyBytes}} {
			v, ok := item[k.name]
			if k.name == "" || !ok || touched != nil && !slices.Contains(touched, k.name) {
				continue
			}
			if typeName(v) != string(k.typ) {
				return validationError("One or more parameter values were invalid: Type mismatch for Index Key %s Expected: %s Actual: %s IndexName: %s", k.name, k.typ, typeName(v), ix.name)
			}
			if capacity.AttributeSize(v) == 0 {
				return validationError("One or more parameter values are not valid. A value specified for a secondary index key is not supported. The AttributeValue for a key attribute cannot contain an empty %s value. IndexName: %s, IndexKey: %s", longType(k.typ), ix.name, k.name)
			}
			if capacity.AttributeSize(v) > k.limit {
				return validationError("One or more parameter values were invalid: Size limit exceeded for index key %s, IndexName: %s", k.name, ix.name)
			}
		}
	}
	return nil
}

func longType(t types.ScalarAttributeType) string {
	switch t {
	case types.ScalarAttributeTypeS:
		return "string"
	case types.ScalarAttributeTypeB:
		return "binary"
	}
	return "number"
}

// describe reports the index as DescribeTable does.
func (ix *index) describe(t *table) types.GlobalSecondaryIndexDescription {
	var count, size int64
	for e := range ix.entries.all() {
		if !e.prev {
			count++
			size += int64(capacity.ItemSize(e.item))
		}
	}
	d := types.GlobalSecondaryIndexDescription{
		IndexName:      aws.String(ix.name),
		IndexArn:       aws.String(fmt.Sprintf("arn:aws:dynamodb:%s:%s:table/%s/index/%s", region, accountID, t.name, ix.name)),
		IndexStatus:    types.IndexStatusActive,
		KeySchema:      copyKeySchema(ix.keySchema),
		Projection:     &types.Projection{ProjectionType: ix.projection, NonKeyAttributes: slices.Clone(ix.include)},
		ItemCount:      aws.Int64(count),
		IndexSizeBytes: aws.Int64(size),
	}
	if t.billing == types.BillingModeProvisioned {
		d.ProvisionedThroughput = &types.ProvisionedThroughputDescription{
			ReadCapacityUnits:      aws.Int64(ix.rcu),
			WriteCapacityUnits:     aws.Int64(ix.wcu),
			NumberOfDecreasesToday: aws.Int64(0),
		}
	}
	return d
}
