package fake

import (
	"context"
	"math/bits"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// maxScanBytes is how much item data one Scan page reads at most.
const maxScanBytes = 1024 * 1024

// Scan reads the table in the order of its partition keys' hashes, as
// DynamoDB does, one page per call. Limit bounds the items read (before
// FilterExpression), and a page also ends after 1 MB of items; either way
// LastEvaluatedKey says where the next page starts. Segment and
// TotalSegments split the hash range into contiguous parallel segments.
// The page costs ReadUnits of the total size of the items read.
func (db *DB) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	return call(db, ctx, "Scan", in, db.scan)
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
	}
	if err := checkConsumedMode(in.ReturnConsumedCapacity); err != nil {
		return nil, err
	}
	if err := checkSelect(in.Select, in.ProjectionExpression != nil, in.IndexName != nil); err != nil {
		return nil, err
	}
	limit := -1
	if in.Limit != nil {
		if *in.Limit < 1 {
			return nil, validationError("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1", *in.Limit)
		}
		limit = int(*in.Limit)
	}
	segment, total, err := checkSegments(in.Segment, in.TotalSegments)
	if err != nil {
		return nil, err
	}
	p, err := parseRequest(in.ExpressionAttributeNames, in.ExpressionAttributeValues,
		expressions{filter: in.FilterExpression, projection: in.ProjectionExpression})
	if err != nil {
		return nil, err
	}

	db.mu.Lock()
	defer db.mu.Unlock()
	t, err := db.lookup(*in.TableName)
	if err != nil {
		return nil, err
	}
	if in.IndexName != nil {
		return nil, validationError("The table does not have the specified index: %s", *in.IndexName)
	}
	var start *record
	if in.ExclusiveStartKey != nil {
		key, err := t.checkKey(in.ExclusiveStartKey, "The provided starting key is invalid: ")
		if err != nil {
			return nil, err
		}
		start = &record{key: key, hash: partitionHash(key[t.hashKey])}
		if segmentOf(start.hash, total) != segment {
			return nil, validationError("The provided Exclusive start key does not map to the provided Segment and TotalSegments values.")
		}
	}

	strong := aws.ToBool(in.ConsistentRead)
	out := &dynamodb.ScanOutput{}
	if in.Select != types.SelectCount {
		out.Items = []map[string]types.AttributeValue{}
	}
	var scanned, matched, bytes int
	var last *record
	for _, r := range t.sortedRecords() {
		if segmentOf(r.hash, total) != segment || (start != nil && !t.less(start, r)) {
			continue
		}
		item := r.visible(strong, db.staleReads)
		if item == nil {
			continue
		}
		if scanned == limit || bytes >= maxScanBytes {
			break
		}
		scanned++
		bytes += capacity.ItemSize(item)
		last = r
		if p.filter != nil && !evalCondition(p.filter, item) {
			continue
		}
		matched++
		switch {
		case in.Select == types.SelectCount:
		case p.projection != nil:
			out.Items = append(out.Items, project(item, p.projection))
		default:
			out.Items = append(out.Items, copyItem(item))
		}
	}
	if last != nil && (scanned == limit || bytes >= maxScanBytes) {
		out.LastEvaluatedKey = copyItem(last.key)
	}
	units := capacity.ReadUnits(bytes, strong)
	db.stats.ReadUnits += units
	out.Count = int32(matched)
	out.ScannedCount = int32(scanned)
	out.ConsumedCapacity = consumed(in.ReturnConsumedCapacity, t.name, units)
	return out, nil
}

func checkSelect(sel types.Select, projection, index bool) error {
	switch sel {
	case "":
	case types.SelectAllAttributes:
		if projection {
			return validationError("Cannot specify the ProjectionExpression when choosing to get ALL_ATTRIBUTES")
		}
	case types.SelectSpecificAttributes:
		if !projection {
			return validationError("Must specify the AttributesToGet or ProjectionExpression when choosing to get SPECIFIC_ATTRIBUTES")
		}
	case types.SelectCount:
		if projection {
			return validationError("Cannot specify the ProjectionExpression when choosing to get only the COUNT")
		}
	case types.SelectAllProjectedAttributes:
		if !index {
			return validationError("ALL_PROJECTED_ATTRIBUTES can be used only when Querying using an IndexName")
		}
	default:
		return enumError(string(sel), "select", "SPECIFIC_ATTRIBUTES, COUNT, ALL_ATTRIBUTES, ALL_PROJECTED_ATTRIBUTES")
	}
	return nil
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
