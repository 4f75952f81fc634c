package fake

import (
	"context"
	"math/bits"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// maxPageBytes is how much item data one Scan or Query page reads at most.
const maxPageBytes = 1024 * 1024

// Scan reads the table in the order of its partition keys' hashes, as
// DynamoDB does, one page per call. Limit bounds the items read, and a
// page also ends after 1 MB of items; either way LastEvaluatedKey says
// where the next page starts. Segment and TotalSegments split the hash
// range into contiguous parallel segments. The page costs ReadUnits of the
// total size of the items read. A page costs what it reads: it starts at
// its ExclusiveStartKey without walking the items before it.
//
// FilterExpression, ProjectionExpression, Select and IndexName are not
// implemented (nothing in dynamosession sends them) and are refused with
// an error wrapping [ErrNotImplemented].
func (db *DB) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return call(db, ctx, "Scan", in, db.scan, optFns)
}

func (db *DB) scan(in *dynamodb.ScanInput) (*dynamodb.ScanOutput, error) {
	if in == nil {
		in = &dynamodb.ScanInput{}
	}
	if err := required("ScanInput", in.TableName, true, ""); err != nil {
		return nil, err
	}
	switch {
	case in.AttributesToGet != nil:
		return nil, legacyParam("AttributesToGet")
	case in.ScanFilter != nil:
		return nil, legacyParam("ScanFilter")
	case in.ConditionalOperator != "":
		return nil, legacyParam("ConditionalOperator")
	case in.FilterExpression != nil:
		return nil, notImplemented("FilterExpression")
	case in.ProjectionExpression != nil:
		return nil, notImplemented("ProjectionExpression")
	case in.Select != "":
		return nil, notImplemented("Select")
	case in.IndexName != nil:
		return nil, notImplemented("Scan of an index")
	case in.ExpressionAttributeNames != nil:
		return nil, validationError("ExpressionAttributeNames can only be specified when using expressions")
	case in.ExpressionAttributeValues != nil:
		return nil, validationError("ExpressionAttributeValues can only be specified when using expressions")
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	limit, err := checkLimit(in.Limit)
	if err != nil {
		return nil, err
	}
	segment, total, err := checkSegments(in.Segment, in.TotalSegments)
	if err != nil {
		return nil, err
	}

	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	// A segment is a contiguous run of the Scan order: start at its first
	// hash, or just after the starting key.
	start, after := &record{hash: segmentStart(segment, total)}, false
	if in.ExclusiveStartKey != nil {
		key, err := t.checkKey(in.ExclusiveStartKey, "The provided starting key is invalid: ")
		if err != nil {
			return nil, err
		}
		start, after = t.newRecord(key), true
		if segmentOf(start.hash, total) != segment {
			return nil, validationError("The provided Exclusive start key does not map to the provided Segment and TotalSegments values.")
		}
	}

	strong := aws.ToBool(in.ConsistentRead)
	l := db.lag()
	var p page
	for r := range t.order.from(start, after) {
		if segmentOf(r.hash, total) != segment {
			break
		}
		item := r.visible(strong, l)
		if item == nil {
			continue
		}
		if p.full(limit) {
			break
		}
		p.add(item, r.key)
	}
	units := p.readUnits(strong)
	db.stats.ReadUnits += units
	return &dynamodb.ScanOutput{
		Items:            p.result(),
		Count:            int32(len(p.items)),
		ScannedCount:     int32(len(p.items)),
		LastEvaluatedKey: p.lastKey(limit),
		ConsumedCapacity: consumed(in.ReturnConsumedCapacity, t.name, units, nil),
	}, nil
}

// page gathers the items of one Scan or Query page.
type page struct {
	items []map[string]types.AttributeValue
	bytes int
	last  map[string]types.AttributeValue // the key of the last item read
}

// full reports whether the page holds limit items (limit < 0: no limit)
// or has read a megabyte.
func (p *page) full(limit int) bool {
	return len(p.items) == limit || p.bytes >= maxPageBytes
}

func (p *page) add(item, key map[string]types.AttributeValue) {
	p.items = append(p.items, copyItem(item))
	p.bytes += capacity.ItemSize(item)
	p.last = key
}

// result is the page's items: an empty list, not nil, when there are none,
// as the SDK decodes DynamoDB's answer.
func (p *page) result() []map[string]types.AttributeValue {
	if p.items == nil {
		return []map[string]types.AttributeValue{}
	}
	return p.items
}

// lastKey is the LastEvaluatedKey of a page: set when the page stopped
// because it was full, even if nothing follows, as DynamoDB does.
func (p *page) lastKey(limit int) map[string]types.AttributeValue {
	if p.last == nil || !p.full(limit) {
		return nil
	}
	return copyItem(p.last)
}

// readUnits is what reading the page costs: its bytes rounded up to 4 KB
// once, for the page as a whole, and the minimum read for a page that read
// nothing: "Queries that do not return results consume the minimum read
// capacity units according to the type of read" (Query, API reference).
// DynamoDB Local charges nothing for an empty page; see the package
// documentation.
func (p *page) readUnits(strong bool) float64 {
	return capacity.ReadUnits(p.bytes, strong)
}

// checkLimit validates Limit and returns it, or -1 when unset.
func checkLimit(limit *int32) (int, error) {
	if limit == nil {
		return -1, nil
	}
	if *limit < 1 {
		return 0, validationError("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *limit)
	}
	return int(*limit), nil
}

const maxTotalSegments = 1000000

// checkSegments validates Segment and TotalSegments and returns them, or
// 0 and 1 for a whole-table scan.
func checkSegments(segment, total *int32) (int, int, error) {
	switch {
	case segment == nil && total == nil:
		return 0, 1, nil
	case total == nil:
		return 0, 0, validationError("The TotalSegments parameter is required but was not present in the request when Segment parameter is present")
	case segment == nil:
		return 0, 0, validationError("The Segment parameter is required but was not present in the request when parameter TotalSegments is present")
	case *total < 1:
		return 0, 0, validationError("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value greater than or equal to 1", *total)
	case *total > maxTotalSegments:
		return 0, 0, validationError("1 validation error detected: Value '%d' at 'totalSegments' failed to satisfy constraint: Member must have value less than or equal to 1000000", *total)
	case *segment < 0:
		return 0, 0, validationError("1 validation error detected: Value '%d' at 'segment' failed to satisfy constraint: Member must have value greater than or equal to 0", *segment)
	case *segment >= *total:
		return 0, 0, validationError("The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: %d is not less than TotalSegments: %d", *segment, *total)
	}
	return int(*segment), int(*total), nil
}

// segmentOf maps a partition key hash onto one of total equal slices of
// the hash range, so each segment is a contiguous run of the Scan order.
func segmentOf(hash uint64, total int) int {
	hi, _ := bits.Mul64(hash, uint64(total))
	return int(hi)
}

// segmentStart is the smallest hash in segment: the inverse of segmentOf,
// ceil(segment × 2^64 / total).
func segmentStart(segment, total int) uint64 {
	q, r := bits.Div64(uint64(segment), 0, uint64(total))
	if r != 0 {
		q++
	}
	return q
}
