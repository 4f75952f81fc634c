// Package metered wraps a DynamoDB client so that each request asks for
// ConsumedCapacity and is reported once it returns: the wrapper pattern
// the root package's [API] doc describes for metrics, for this
// repository's tests, CLI and cost model, which all meter a repository's
// requests the same way.
//
// [API]: https://pkg.go.dev/github.com/dynamosession/dynamosession#API
package metered

import (
	"context"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// API is the client a repository calls (dynamosession.API, which this
// package cannot import: building blocks never import the root package).
type API interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
}

type queryAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

type batchGetAPI interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

// Call describes one request.
type Call struct {
	Op       string                  // "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query" or "BatchGetItem"
	Table    string                  // the table the request names (see batchGet for a BatchGetItem of several)
	Consumed *types.ConsumedCapacity // as DynamoDB reported it; nil on most errors
	Latency  time.Duration           // wall time of the request, the SDK's retries included
	Err      error                   // the request's error, if any
}

// New returns client wrapped: every request asks for ConsumedCapacity
// INDEXES (the total, with the table's and each index's share; the total
// is what TOTAL reports) and is reported to observe when it returns.
// observe must be safe for concurrent use. The result has Query and
// BatchGetItem exactly when client has them, so a repository's owner
// operations (which need Query, and batch reads only when they can) behave
// as they do on client itself.
func New(client API, observe func(Call)) API {
	m := &meter{next: client, observe: observe}
	q, hasQuery := client.(queryAPI)
	b, hasBatch := client.(batchGetAPI)
	switch {
	case hasQuery && hasBatch:
		return &withBoth{withQuery{m, q}, b}
	case hasQuery:
		return &withQuery{m, q}
	case hasBatch:
		return &withBatch{m, b}
	}
	return m
}

type meter struct {
	next    API
	observe func(Call)
}

const mode = types.ReturnConsumedCapacityIndexes

// send makes one request, times it, and reports it with the capacity
// consumed reads from its output.
func send[O any](m *meter, op string, table *string, request func() (*O, error), consumed func(*O) *types.ConsumedCapacity) (*O, error) {
	start := time.Now()
	out, err := request()
	var cc *types.ConsumedCapacity
	if out != nil {
		cc = consumed(out)
	}
	m.observe(Call{Op: op, Table: aws.ToString(table), Consumed: cc, Latency: time.Since(start), Err: err})
	return out, err
}

func (m *meter) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	c := *in
	c.ReturnConsumedCapacity = mode
	return send(m, "GetItem", in.TableName, func() (*dynamodb.GetItemOutput, error) { return m.next.GetItem(ctx, &c, optFns...) },
		func(o *dynamodb.GetItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (m *meter) PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error) {
	c := *in
	c.ReturnConsumedCapacity = mode
	return send(m, "PutItem", in.TableName, func() (*dynamodb.PutItemOutput, error) { return m.next.PutItem(ctx, &c, optFns...) },
		func(o *dynamodb.PutItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (m *meter) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	c := *in
	c.ReturnConsumedCapacity = mode
	return send(m, "UpdateItem", in.TableName, func() (*dynamodb.UpdateItemOutput, error) { return m.next.UpdateItem(ctx, &c, optFns...) },
		func(o *dynamodb.UpdateItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

func (m *meter) DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error) {
	c := *in
	c.ReturnConsumedCapacity = mode
	return send(m, "DeleteItem", in.TableName, func() (*dynamodb.DeleteItemOutput, error) { return m.next.DeleteItem(ctx, &c, optFns...) },
		func(o *dynamodb.DeleteItemOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

type withQuery struct {
	*meter
	q queryAPI
}

func (m *withQuery) Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error) {
	c := *in
	c.ReturnConsumedCapacity = mode
	return send(m.meter, "Query", in.TableName, func() (*dynamodb.QueryOutput, error) { return m.q.Query(ctx, &c, optFns...) },
		func(o *dynamodb.QueryOutput) *types.ConsumedCapacity { return o.ConsumedCapacity })
}

type withBatch struct {
	*meter
	b batchGetAPI
}

func (m *withBatch) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return batchGet(ctx, m.meter, m.b, in, optFns)
}

type withBoth struct {
	withQuery
	b batchGetAPI
}

func (m *withBoth) BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	return batchGet(ctx, m.meter, m.b, in, optFns)
}

// batchGet sends a BatchGetItem and reports it with the capacity of the
// table the request names (the repository's name one); for a request of
// several tables, the alphabetically first table's name and the units of
// all.
func batchGet(ctx context.Context, m *meter, b batchGetAPI, in *dynamodb.BatchGetItemInput, optFns []func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error) {
	c := *in
	c.ReturnConsumedCapacity = mode
	var table *string
	for name := range in.RequestItems {
		if table == nil || name < *table {
			table = &name
		}
	}
	return send(m, "BatchGetItem", table, func() (*dynamodb.BatchGetItemOutput, error) { return b.BatchGetItem(ctx, &c, optFns...) },
		func(o *dynamodb.BatchGetItemOutput) *types.ConsumedCapacity {
			switch len(o.ConsumedCapacity) {
			case 0:
				return nil
			case 1:
				return &o.ConsumedCapacity[0]
			}
			var units float64
			for _, c := range o.ConsumedCapacity {
				units += aws.ToFloat64(c.CapacityUnits)
			}
			return &types.ConsumedCapacity{TableName: table, CapacityUnits: &units}
		})
}
