package fake_test

// Fidelity cases for global secondary indexes, Query and BatchGetItem:
// what the owner index of issue 16 needs (a sparse index, Query on it by
// partition key with paging, per-index capacity), run on the fake and on
// DynamoDB Local like the rest of the fidelity table.
//
// AWS documentation relied on, besides that of fidelity_test.go:
//
//   - [gsi] "Using Global Secondary Indexes in DynamoDB",
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html,
//     and its "Provisioned throughput considerations", Write capacity units:
//     one write to put an entry or to remove one, two when the index key
//     changes, one when only projected attributes change, none when the
//     item is in the index neither before nor after;
//   - [rw] "DynamoDB read and write operations",
//     https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html:
//     BatchGetItem processes each item as an individual GetItem, and a
//     read of an item that does not exist still consumes the minimum.

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

// ownerTable is the library's table with the indexes the cases query: a
// sparse KEYS_ONLY index on owner (the one issue 16 plans), an INCLUDE one
// projecting expires and note, and an ALL one with a sort key.
func ownerTable() *dynamodb.CreateTableInput {
	in := keyS.input()
	in.AttributeDefinitions = append(in.AttributeDefinitions,
		types.AttributeDefinition{AttributeName: aws.String("owner"), AttributeType: types.ScalarAttributeTypeS},
		types.AttributeDefinition{AttributeName: aws.String("at"), AttributeType: types.ScalarAttributeTypeN})
	hash := func(name string) types.KeySchemaElement {
		return types.KeySchemaElement{AttributeName: aws.String(name), KeyType: types.KeyTypeHash}
	}
	in.GlobalSecondaryIndexes = []types.GlobalSecondaryIndex{
		{IndexName: aws.String("byOwner"), KeySchema: []types.KeySchemaElement{hash("owner")},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly}},
		{IndexName: aws.String("byOwnerExp"), KeySchema: []types.KeySchemaElement{hash("owner")},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeInclude, NonKeyAttributes: []string{"expires", "note"}}},
		{IndexName: aws.String("byOwnerAt"), KeySchema: []types.KeySchemaElement{hash("owner"), {AttributeName: aws.String("at"), KeyType: types.KeyTypeRange}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeAll}},
	}
	return in
}

// owned is a session of owner, as the coming owner feature stores it.
func owned(id, owner string) item {
	return item{"id": s(id), "owner": s(owner), "sess": s("{}"), "expires": n("1900000000"), "at": n("1")}
}

// capacityWant is the ConsumedCapacity a case expects, rendered.
func capacityWant(total float64, table *float64, gsi map[string]float64) string {
	return renderCapacity(&types.ConsumedCapacity{CapacityUnits: &total, Table: tableArm(table), GlobalSecondaryIndexes: gsiArms(gsi)})
}

func tableArm(u *float64) *types.Capacity {
	if u == nil {
		return nil
	}
	return &types.Capacity{CapacityUnits: u}
}

func gsiArms(m map[string]float64) map[string]types.Capacity {
	if m == nil {
		return nil
	}
	out := map[string]types.Capacity{}
	for k, v := range m {
		out[k] = types.Capacity{CapacityUnits: aws.Float64(v)}
	}
	return out
}

func renderCapacity(c *types.ConsumedCapacity) string {
	if c == nil {
		return "<none>"
	}
	out := fmt.Sprintf("total=%v", aws.ToFloat64(c.CapacityUnits))
	if c.Table != nil {
		out += fmt.Sprintf(" table=%v", aws.ToFloat64(c.Table.CapacityUnits))
	}
	if c.GlobalSecondaryIndexes != nil {
		out += " gsi={"
		for _, k := range slices.Sorted(maps.Keys(c.GlobalSecondaryIndexes)) {
			out += fmt.Sprintf("%s:%v ", k, aws.ToFloat64(c.GlobalSecondaryIndexes[k].CapacityUnits))
		}
		out = strings.TrimSuffix(out, " ") + "}"
	}
	if c.ReadCapacityUnits != nil || c.WriteCapacityUnits != nil {
		out += " (read/write units set)"
	}
	return out
}

func f(v float64) *float64 { return &v }

// expect returns nil when got matches want, else an error saying how they
// differ, for requests that check their own output.
func expect(what, want, got string) error {
	if diff := cmp.Diff(want, got); diff != "" {
		return fmt.Errorf("%s mismatch (-want +got):\n%s", what, diff)
	}
	return nil
}

// writeCapacity runs a write with ReturnConsumedCapacity INDEXES (or mode)
// and checks the capacity it reports.
func writeCapacity(mode types.ReturnConsumedCapacity, write func(ctx context.Context, c fidelityAPI, table string, mode types.ReturnConsumedCapacity) (*types.ConsumedCapacity, error), want string) request {
	return func(ctx context.Context, c fidelityAPI, table string) error {
		cc, err := write(ctx, c, table, mode)
		if err != nil {
			return err
		}
		return expect("ConsumedCapacity", want, renderCapacity(cc))
	}
}

func putCC(it item) func(context.Context, fidelityAPI, string, types.ReturnConsumedCapacity) (*types.ConsumedCapacity, error) {
	return func(ctx context.Context, c fidelityAPI, table string, mode types.ReturnConsumedCapacity) (*types.ConsumedCapacity, error) {
		out, err := c.PutItem(ctx, &dynamodb.PutItemInput{TableName: &table, Item: it, ReturnConsumedCapacity: mode})
		if err != nil {
			return nil, err
		}
		return out.ConsumedCapacity, nil
	}
}

func updateCC(id, expr string, names map[string]string, values item) func(context.Context, fidelityAPI, string, types.ReturnConsumedCapacity) (*types.ConsumedCapacity, error) {
	return func(ctx context.Context, c fidelityAPI, table string, mode types.ReturnConsumedCapacity) (*types.ConsumedCapacity, error) {
		out, err := c.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: &table, Key: item{"id": s(id)},
			UpdateExpression: &expr, ExpressionAttributeNames: names, ExpressionAttributeValues: values, ReturnConsumedCapacity: mode})
		if err != nil {
			return nil, err
		}
		return out.ConsumedCapacity, nil
	}
}

func deleteCC(id string) func(context.Context, fidelityAPI, string, types.ReturnConsumedCapacity) (*types.ConsumedCapacity, error) {
	return func(ctx context.Context, c fidelityAPI, table string, mode types.ReturnConsumedCapacity) (*types.ConsumedCapacity, error) {
		out, err := c.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &table, Key: item{"id": s(id)}, ReturnConsumedCapacity: mode})
		if err != nil {
			return nil, err
		}
		return out.ConsumedCapacity, nil
	}
}

func TestFidelityIndexTables(t *testing.T) {
	// create runs CreateTable with in under a name of its own, deleting
	// the table again when it was created.
	create := func(edit func(in *dynamodb.CreateTableInput)) request {
		return func(ctx context.Context, c fidelityAPI, table string) error {
			in := ownerTable()
			in.TableName = aws.String(table + "-2")
			edit(in)
			_, err := c.CreateTable(ctx, in)
			if err == nil {
				_, _ = c.DeleteTable(context.Background(), &dynamodb.DeleteTableInput{TableName: in.TableName})
			}
			return err
		}
	}
	describe := func(ctx context.Context, c fidelityAPI, table string) error {
		out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
		if err != nil {
			return err
		}
		var got []string
		for _, g := range out.Table.GlobalSecondaryIndexes {
			got = append(got, fmt.Sprintf("%s %s %s %v %d %s", aws.ToString(g.IndexName), g.IndexStatus,
				g.Projection.ProjectionType, g.Projection.NonKeyAttributes, aws.ToInt64(g.ItemCount),
				strings.TrimPrefix(aws.ToString(g.IndexArn), strings.TrimSuffix(aws.ToString(out.Table.TableArn), "")+"/")))
		}
		slices.Sort(got)
		return expect("indexes", strings.Join([]string{
			"byOwner ACTIVE KEYS_ONLY [] 0 index/byOwner",
			"byOwnerAt ACTIVE ALL [] 0 index/byOwnerAt",
			"byOwnerExp ACTIVE INCLUDE [expires note] 0 index/byOwnerExp",
		}, "\n"), strings.Join(got, "\n"))
	}
	runFidelity(t, []fidelityCase{
		{name: "described", table: withIndexes, do: describe},
		{name: "index key not defined", do: create(func(in *dynamodb.CreateTableInput) { in.AttributeDefinitions = in.AttributeDefinitions[:2] }), want: invalid},
		{name: "attribute defined but unused", do: create(func(in *dynamodb.CreateTableInput) {
			in.AttributeDefinitions = append(in.AttributeDefinitions, types.AttributeDefinition{AttributeName: aws.String("x"), AttributeType: types.ScalarAttributeTypeS})
		}), want: invalid},
		{name: "INCLUDE without attributes", do: create(func(in *dynamodb.CreateTableInput) {
			in.GlobalSecondaryIndexes[1].Projection.NonKeyAttributes = nil
		}), want: invalid},
		{name: "KEYS_ONLY with attributes", do: create(func(in *dynamodb.CreateTableInput) {
			in.GlobalSecondaryIndexes[0].Projection.NonKeyAttributes = []string{"x"}
		}), want: invalid},
		{name: "duplicate index names", do: create(func(in *dynamodb.CreateTableInput) {
			in.GlobalSecondaryIndexes[1].IndexName = aws.String("byOwner")
		}), want: invalid},
		{name: "index name too short", do: create(func(in *dynamodb.CreateTableInput) {
			in.GlobalSecondaryIndexes[0].IndexName = aws.String("by")
		}), want: invalid},
		{name: "index throughput on demand", local: "Local accepts ProvisionedThroughput for an index of a PAY_PER_REQUEST table; the API reference (GlobalSecondaryIndex) says to use ProvisionedThroughput or OnDemandThroughput according to the table's capacity mode, and AWS refuses it", do: create(func(in *dynamodb.CreateTableInput) {
			in.GlobalSecondaryIndexes[0].ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
		}), want: invalid},
		{name: "provisioned index without throughput", do: create(func(in *dynamodb.CreateTableInput) {
			in.BillingMode = types.BillingModeProvisioned
			in.ProvisionedThroughput = &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
		}), want: invalid},
		{name: "provisioned indexes", do: create(func(in *dynamodb.CreateTableInput) {
			in.BillingMode = types.BillingModeProvisioned
			pt := &types.ProvisionedThroughput{ReadCapacityUnits: aws.Int64(1), WriteCapacityUnits: aws.Int64(1)}
			in.ProvisionedThroughput = pt
			for i := range in.GlobalSecondaryIndexes {
				in.GlobalSecondaryIndexes[i].ProvisionedThroughput = pt
			}
		})},
	})
}

func TestFidelityIndexWrites(t *testing.T) {
	long := func(n int) string { return strings.Repeat("k", n) }
	seed := []item{owned("a", "u1")}
	all := map[string]float64{"byOwner": 1, "byOwnerExp": 1, "byOwnerAt": 1}
	idx := types.ReturnConsumedCapacityIndexes
	runFidelity(t, []fidelityCase{
		// What an index will not hold is refused, not left out.
		{name: "index key of the wrong type", table: withIndexes, do: put(item{"id": s("a"), "owner": n("1")}), want: invalid},
		{name: "index key empty", table: withIndexes, do: put(item{"id": s("a"), "owner": s("")}), want: invalid},
		{name: "index key of 2049 bytes", table: withIndexes, do: put(item{"id": s("a"), "owner": s(long(2049))}), want: invalid},
		{name: "index key of 2048 bytes", table: withIndexes, do: put(item{"id": s("a"), "owner": s(long(2048))})},
		{name: "index sort key of the wrong type", table: withIndexes, do: put(item{"id": s("a"), "owner": s("u1"), "at": s("1")}), want: invalid},
		{name: "update to an index key of the wrong type", table: withIndexes, seed: seed,
			local: "Local stores a wrong-typed index key from UpdateItem though it refuses it from PutItem; the Developer Guide calls such a value an index key violation (\"Detecting and correcting index key violations\") and AWS refuses it from both",
			do: updateItem(dynamodb.UpdateItemInput{Key: item{"id": s("a")}, UpdateExpression: aws.String("SET #o = :o"),
				ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: item{":o": n("1")}}),
			want: invalid, read: item{"id": s("a")}, stored: seed[0]},

		// Capacity, per index ([gsi], write capacity units).
		{name: "put of an owned session", table: withIndexes,
			do: writeCapacity(idx, putCC(owned("a", "u1")), capacityWant(4, f(1), all))},
		{name: "put of an anonymous session", table: withIndexes,
			do: writeCapacity(idx, putCC(item{"id": s("a"), "sess": s("{}")}), capacityWant(1, f(1), nil))},
		{name: "identical put", table: withIndexes, seed: seed,
			do: writeCapacity(idx, putCC(owned("a", "u1")), capacityWant(1, f(1), nil))},
		{name: "update of an unprojected attribute", table: withIndexes, seed: seed,
			do: writeCapacity(idx, updateCC("a", "SET #d = :d", map[string]string{"#d": "sess"}, item{":d": s(`{"n":1}`)}),
				capacityWant(2, f(1), map[string]float64{"byOwnerAt": 1}))},
		{name: "update of the expiry, a touch", table: withIndexes, seed: seed,
			do: writeCapacity(idx, updateCC("a", "SET #e = :e", map[string]string{"#e": "expires"}, item{":e": n("1900000001")}),
				capacityWant(3, f(1), map[string]float64{"byOwnerExp": 1, "byOwnerAt": 1}))},
		{name: "update of the owner", table: withIndexes, seed: seed,
			do: writeCapacity(idx, updateCC("a", "SET #o = :o", map[string]string{"#o": "owner"}, item{":o": s("u2")}),
				capacityWant(7, f(1), map[string]float64{"byOwner": 2, "byOwnerExp": 2, "byOwnerAt": 2}))},
		{name: "removal of the owner", table: withIndexes, seed: seed,
			do: writeCapacity(idx, updateCC("a", "REMOVE #o", map[string]string{"#o": "owner"}, nil), capacityWant(4, f(1), all))},
		{name: "delete of an owned session", table: withIndexes, seed: seed,
			do: writeCapacity(idx, deleteCC("a"), capacityWant(4, f(1), all))},
		{name: "delete of an anonymous session", table: withIndexes, seed: []item{{"id": s("a"), "sess": s("{}")}},
			do: writeCapacity(idx, deleteCC("a"), capacityWant(1, f(1), nil))},
		{name: "TOTAL counts the indexes", table: withIndexes, seed: seed,
			do: writeCapacity(types.ReturnConsumedCapacityTotal, updateCC("a", "SET #o = :o", map[string]string{"#o": "owner"}, item{":o": s("u2")}),
				capacityWant(7, nil, nil))},
		{name: "in-place change sized on the larger entry", table: withIndexes, seed: seed,
			do: writeCapacity(idx, updateCC("a", "SET #n = :n", map[string]string{"#n": "note"}, item{":n": s(long(3000))}),
				capacityWant(9, f(3), map[string]float64{"byOwnerExp": 3, "byOwnerAt": 3}))},
		{name: "index key change charges each half on its own entry", table: withIndexes,
			seed: []item{{"id": s("a"), "owner": s("u1"), "note": s(long(1500))}},
			do: writeCapacity(idx, updateCC("a", "SET #o = :o", map[string]string{"#o": "owner"}, item{":o": s("u2")}),
				capacityWant(8, f(2), map[string]float64{"byOwner": 2, "byOwnerExp": 4}))},
		{name: "failed condition touches no index", table: withIndexes, seed: seed,
			do: updateItem(dynamodb.UpdateItemInput{Key: item{"id": s("a")}, UpdateExpression: aws.String("SET #o = :o"),
				ConditionExpression:      aws.String("attribute_not_exists(#o)"),
				ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: item{":o": s("u2")}}),
			want: condFailed},
	})
}

// queryCheck runs a Query of the index (IndexName "" for the table) and
// checks the ids it returns (in any order within one page), the page
// sizes over every page when paging, and the capacity of the first page.
type queryCheck struct {
	in       dynamodb.QueryInput
	ids      []string // every id returned, over all pages, sorted
	pages    []int    // items per page; nil: do not page
	capacity string   // of the first page; "" not checked
	attrs    []string // the attributes of the first item; nil not checked
}

func (qc queryCheck) request() request {
	return func(ctx context.Context, c fidelityAPI, table string) error {
		in := qc.in
		in.TableName = &table
		var ids []string
		var pages []int
		var errs []error
		for first := true; ; first = false {
			out, err := c.Query(ctx, &in)
			if err != nil {
				return err
			}
			if first && qc.capacity != "" {
				errs = append(errs, expect("ConsumedCapacity", qc.capacity, renderCapacity(out.ConsumedCapacity)))
			}
			if first && qc.attrs != nil && len(out.Items) > 0 {
				errs = append(errs, expect("attributes", strings.Join(qc.attrs, ","), strings.Join(slices.Sorted(maps.Keys(out.Items[0])), ",")))
			}
			for _, it := range out.Items {
				if v, ok := it["id"].(*types.AttributeValueMemberS); ok {
					ids = append(ids, v.Value)
				}
			}
			if out.Items == nil && in.Select != types.SelectCount {
				errs = append(errs, fmt.Errorf("Items is nil, want a list"))
			}
			pages = append(pages, int(out.Count))
			if qc.pages == nil || out.LastEvaluatedKey == nil {
				break
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
		slices.Sort(ids)
		errs = append(errs, expect("ids", strings.Join(qc.ids, ","), strings.Join(ids, ",")))
		if qc.pages != nil {
			errs = append(errs, expect("page sizes", fmt.Sprint(qc.pages), fmt.Sprint(pages)))
		}
		for _, err := range errs {
			if err != nil {
				return err
			}
		}
		return nil
	}
}

// ownerQuery is the Query the owner feature sends, built by
// feature/dynamodb/expression: partition key equality, and optionally a
// projection of the session key.
func ownerQuery(indexName, owner string, projectID bool) dynamodb.QueryInput {
	b := expression.NewBuilder().WithKeyCondition(expression.Key("owner").Equal(expression.Value(owner)))
	if projectID {
		b = b.WithProjection(expression.NamesList(expression.Name("id")))
	}
	e, err := b.Build()
	if err != nil {
		panic(err)
	}
	return dynamodb.QueryInput{
		IndexName: &indexName, KeyConditionExpression: e.KeyCondition(), ProjectionExpression: e.Projection(),
		ExpressionAttributeNames: e.Names(), ExpressionAttributeValues: e.Values(),
	}
}

func TestFidelityQuery(t *testing.T) {
	seed := []item{owned("a", "u1"), owned("b", "u1"), owned("c", "u1"), owned("d", "u2"), {"id": s("anon"), "sess": s("{}")},
		{"id": s("e"), "owner": s("u3"), "note": s("n")}}
	q := func(index string, edit func(in *dynamodb.QueryInput)) dynamodb.QueryInput {
		in := ownerQuery(index, "u1", false)
		if edit != nil {
			edit(&in)
		}
		return in
	}
	idx := func(in dynamodb.QueryInput) dynamodb.QueryInput {
		in.ReturnConsumedCapacity = types.ReturnConsumedCapacityIndexes
		return in
	}
	raw := func(index, cond string, names map[string]string, values item) dynamodb.QueryInput {
		return dynamodb.QueryInput{IndexName: aws.String(index), KeyConditionExpression: &cond, ExpressionAttributeNames: names, ExpressionAttributeValues: values}
	}
	ownerNames := map[string]string{"#o": "owner"}
	u1 := item{":o": s("u1")}
	runFidelity(t, []fidelityCase{
		{name: "by owner", table: withIndexes, seed: seed, do: queryCheck{in: idx(q("byOwner", nil)), ids: []string{"a", "b", "c"},
			capacity: capacityWant(0.5, f(0), map[string]float64{"byOwner": 0.5}), attrs: []string{"id", "owner"}}.request()},
		{name: "by owner with the session key projected", table: withIndexes, seed: seed,
			do: queryCheck{in: ownerQuery("byOwner", "u1", true), ids: []string{"a", "b", "c"}, attrs: []string{"id"}}.request()},
		{name: "INCLUDE returns the projected attributes", table: withIndexes, seed: seed,
			do: queryCheck{in: q("byOwnerExp", nil), ids: []string{"a", "b", "c"}, attrs: []string{"expires", "id", "owner"}}.request()},
		{name: "ALL returns the whole item", table: withIndexes, seed: seed,
			do: queryCheck{in: q("byOwnerAt", nil), ids: []string{"a", "b", "c"}, attrs: []string{"at", "expires", "id", "owner", "sess"}}.request()},
		{name: "sparse: an item without the key attribute is not indexed", table: withIndexes, seed: seed,
			do: queryCheck{in: q("byOwnerAt", func(in *dynamodb.QueryInput) { in.ExpressionAttributeValues[":0"] = s("u3") }), ids: nil}.request()},
		{name: "no sessions", table: withIndexes, seed: seed, local: emptyPageCosts, do: queryCheck{in: idx(q("byOwner", func(in *dynamodb.QueryInput) {
			in.ExpressionAttributeValues[":0"] = s("nobody")
		})), ids: nil, capacity: capacityWant(0.5, f(0), map[string]float64{"byOwner": 0.5})}.request()},
		{name: "no sessions, items", table: withIndexes, seed: seed, do: queryCheck{in: q("byOwner", func(in *dynamodb.QueryInput) {
			in.ExpressionAttributeValues[":0"] = s("nobody")
		}), ids: nil}.request()},
		{name: "pages of 2", table: withIndexes, seed: seed, do: queryCheck{in: q("byOwner", func(in *dynamodb.QueryInput) { in.Limit = aws.Int32(2) }),
			ids: []string{"a", "b", "c"}, pages: []int{2, 1}}.request()},
		{name: "a full last page still says where it stopped", table: withIndexes, seed: seed, do: queryCheck{in: q("byOwner", func(in *dynamodb.QueryInput) { in.Limit = aws.Int32(3) }),
			ids: []string{"a", "b", "c"}, pages: []int{3, 0}}.request()},
		{name: "pages of 1 of an index with a sort key", table: withIndexes, seed: seed, do: queryCheck{in: q("byOwnerAt", func(in *dynamodb.QueryInput) { in.Limit = aws.Int32(1) }),
			ids: []string{"a", "b", "c"}, pages: []int{1, 1, 1, 0}}.request()},
		{name: "COUNT", table: withIndexes, seed: seed, do: queryCheck{in: q("byOwner", func(in *dynamodb.QueryInput) { in.Select = types.SelectCount }),
			ids: nil}.request()},
		{name: "the table itself", table: withIndexes, seed: seed, do: queryCheck{in: idx(dynamodb.QueryInput{KeyConditionExpression: aws.String("#i = :i"),
			ExpressionAttributeNames: map[string]string{"#i": "id"}, ExpressionAttributeValues: item{":i": s("b")}}), ids: []string{"b"},
			capacity: capacityWant(0.5, f(0.5), nil)}.request()},
		{name: "reversed comparison", table: withIndexes, seed: seed, do: queryCheck{in: raw("byOwner", ":o = #o", ownerNames, u1), ids: []string{"a", "b", "c"}}.request()},
		{name: "parenthesised", table: withIndexes, seed: seed, do: queryCheck{in: raw("byOwner", "(#o = :o)", ownerNames, u1), ids: []string{"a", "b", "c"}}.request()},
		{name: "start key at a gone item", table: withIndexes, seed: seed, do: func(ctx context.Context, c fidelityAPI, table string) error {
			in := q("byOwner", nil)
			in.TableName, in.ExclusiveStartKey = &table, item{"id": s("zzz"), "owner": s("u1")}
			_, err := c.Query(ctx, &in) // which items follow depends on the order, unspecified without a sort key
			return err
		}},
		{name: "strongly consistent", table: withIndexes, seed: seed, do: queryCheck{in: q("byOwner", func(in *dynamodb.QueryInput) { in.ConsistentRead = aws.Bool(true) })}.request(), want: invalid},
		{name: "ALL_ATTRIBUTES of a KEYS_ONLY index", table: withIndexes, do: queryCheck{in: q("byOwner", func(in *dynamodb.QueryInput) { in.Select = types.SelectAllAttributes })}.request(), want: invalid},
		{name: "ALL_ATTRIBUTES of an ALL index", table: withIndexes, seed: seed, do: queryCheck{in: q("byOwnerAt", func(in *dynamodb.QueryInput) { in.Select = types.SelectAllAttributes }), ids: []string{"a", "b", "c"}}.request()},
		{name: "projection of an unprojected attribute", table: withIndexes, do: queryCheck{in: q("byOwner", func(in *dynamodb.QueryInput) {
			in.ProjectionExpression = aws.String("#s")
			in.ExpressionAttributeNames["#s"] = "sess"
		})}.request(), want: invalid},
		{name: "condition on another attribute", table: withIndexes, do: queryCheck{in: raw("byOwner", "#o = :o", map[string]string{"#o": "sess"}, u1)}.request(), want: invalid},
		{name: "OR", table: withIndexes, do: queryCheck{in: raw("byOwner", "#o = :o OR #o = :o", ownerNames, u1)}.request(), want: invalid},
		{name: "less than on the partition key", table: withIndexes, do: queryCheck{in: raw("byOwner", "#o < :o", ownerNames, u1)}.request(), want: invalid},
		{name: "redundant parentheses", table: withIndexes, do: queryCheck{in: raw("byOwner", "((#o = :o))", ownerNames, u1)}.request(), want: invalid},
		{name: "value of the wrong type", table: withIndexes, do: queryCheck{in: raw("byOwner", "#o = :o", ownerNames, item{":o": n("1")})}.request(), want: invalid},
		{name: "no such index", table: withIndexes, do: queryCheck{in: q("nope", nil)}.request(), want: invalid},
		{name: "no key condition", table: withIndexes, do: queryCheck{in: dynamodb.QueryInput{IndexName: aws.String("byOwner")}}.request(), want: invalid},
		{name: "start key without the index key", table: withIndexes, do: queryCheck{in: q("byOwner", func(in *dynamodb.QueryInput) {
			in.ExclusiveStartKey = item{"id": s("a")}
		})}.request(), want: invalid},
		{name: "start key in another partition", table: withIndexes, do: queryCheck{in: q("byOwner", func(in *dynamodb.QueryInput) {
			in.ExclusiveStartKey = item{"id": s("a"), "owner": s("u2")}
		})}.request(), want: invalid},
		{name: "sort key condition", unsupported: true, table: withIndexes, seed: seed, do: queryCheck{in: raw("byOwnerAt", "#o = :o AND #a > :a",
			map[string]string{"#o": "owner", "#a": "at"}, item{":o": s("u1"), ":a": n("0")}), ids: []string{"a", "b", "c"}}.request()},
		{name: "descending", unsupported: true, table: withIndexes, seed: seed, do: queryCheck{in: q("byOwnerAt", func(in *dynamodb.QueryInput) {
			in.ScanIndexForward = aws.Bool(false)
		}), ids: []string{"a", "b", "c"}}.request()},
	})
}

// batchCheck runs a BatchGetItem of keys (ids of the case's table) and
// checks the ids returned and the capacity.
func batchCheck(ids []string, ka types.KeysAndAttributes, wantIDs []string, wantCapacity string) request {
	return func(ctx context.Context, c fidelityAPI, table string) error {
		ka := ka // the request runs once per backend
		ka.Keys = slices.Clone(ka.Keys)
		for _, id := range ids {
			ka.Keys = append(ka.Keys, item{"id": s(id)})
		}
		out, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{
			RequestItems:           map[string]types.KeysAndAttributes{table: ka},
			ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
		})
		if err != nil {
			return err
		}
		var got []string
		for _, it := range out.Responses[table] {
			if v, ok := it["id"].(*types.AttributeValueMemberS); ok {
				got = append(got, v.Value)
			} else {
				got = append(got, "attributes "+strings.Join(slices.Sorted(maps.Keys(it)), ","))
			}
		}
		slices.Sort(got)
		var cc *types.ConsumedCapacity
		if len(out.ConsumedCapacity) == 1 {
			cc = &out.ConsumedCapacity[0]
		}
		if err := expect("items", strings.Join(wantIDs, ","), strings.Join(got, ",")); err != nil {
			return err
		}
		if len(out.UnprocessedKeys) != 0 {
			return fmt.Errorf("UnprocessedKeys = %v, want none", out.UnprocessedKeys)
		}
		return expect("ConsumedCapacity", wantCapacity, renderCapacity(cc))
	}
}

func TestFidelityBatchGetItem(t *testing.T) {
	big := strings.Repeat("x", 3000)
	seed := []item{{"id": s("a"), "d": s(big)}, {"id": s("b"), "d": s(big)}, {"id": s("c"), "x": s("1")}}
	const missingCosts = "Local charges nothing for a key that matches no item; the Developer Guide says BatchGetItem reads each item as a GetItem, which costs the minimum for a missing item ([rw]), and AWS charges it (awslabs/amazon-dynamodb-tools#25)"
	var hundred, hundredOne []string
	for i := range 101 {
		hundredOne = append(hundredOne, fmt.Sprintf("k%03d", i))
	}
	hundred = hundredOne[:100]
	runFidelity(t, []fidelityCase{
		{name: "each item rounded up on its own", seed: seed, do: batchCheck([]string{"a", "b"}, types.KeysAndAttributes{}, []string{"a", "b"}, "total=1")},
		{name: "strongly consistent", seed: seed, do: batchCheck([]string{"a", "b"}, types.KeysAndAttributes{ConsistentRead: aws.Bool(true)}, []string{"a", "b"}, "total=2")},
		{name: "a missing key is left out", seed: seed, do: batchCheck([]string{"a", "zz"}, types.KeysAndAttributes{}, []string{"a"}, "total=1"), local: missingCosts},
		{name: "a missing key still costs a read", seed: seed, do: batchCheck([]string{"zz", "zy"}, types.KeysAndAttributes{ConsistentRead: aws.Bool(true)}, nil, "total=2"), local: missingCosts},
		{name: "projection", seed: seed, do: batchCheck([]string{"c"}, types.KeysAndAttributes{ProjectionExpression: aws.String("#x"),
			ExpressionAttributeNames: map[string]string{"#x": "x"}}, []string{"attributes x"}, "total=0.5")},
		{name: "projection of nothing there", seed: seed, do: batchCheck([]string{"c"}, types.KeysAndAttributes{ProjectionExpression: aws.String("#x"),
			ExpressionAttributeNames: map[string]string{"#x": "nothing"}}, []string{"attributes "}, "total=0.5")},
		{name: "100 keys", do: batchCheck(hundred, types.KeysAndAttributes{}, nil, "total=50"), local: missingCosts},
		{name: "101 keys", do: batchCheck(hundredOne, types.KeysAndAttributes{}, nil, ""), want: invalid},
		{name: "duplicate keys", do: batchCheck([]string{"a", "a"}, types.KeysAndAttributes{}, nil, ""), want: invalid},
		{name: "no keys", do: batchCheck(nil, types.KeysAndAttributes{Keys: []item{}}, nil, ""), want: invalid},
		{name: "key of another attribute", do: batchCheck(nil, types.KeysAndAttributes{Keys: []item{{"x": s("a")}}}, nil, ""), want: invalid},
		{name: "undefined name in the projection", do: batchCheck([]string{"a"}, types.KeysAndAttributes{ProjectionExpression: aws.String("#x")}, nil, ""), want: invalid},
		{name: "unused name", do: batchCheck([]string{"a"}, types.KeysAndAttributes{ProjectionExpression: aws.String("#x"),
			ExpressionAttributeNames: map[string]string{"#x": "x", "#y": "y"}}, nil, ""), want: invalid},
		{name: "no such table", do: func(ctx context.Context, c fidelityAPI, table string) error {
			_, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{table + "-none": {Keys: []item{{"id": s("a")}}}}})
			return err
		}, want: "*types.ResourceNotFoundException ResourceNotFoundException"},
		{name: "no tables", do: func(ctx context.Context, c fidelityAPI, table string) error {
			_, err := c.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: map[string]types.KeysAndAttributes{}})
			return err
		}, want: invalid},
	})
}

// emptyPageCosts is why the fake charges a page that read nothing.
const emptyPageCosts = "Local charges nothing for a Query or Scan page that reads nothing; the Query API reference says \"Queries that do not return results consume the minimum read capacity units according to the type of read\", and the fake charges a Scan page alike"

func TestFidelityCapacity(t *testing.T) {
	empty := func(want string, read func(ctx context.Context, c fidelityAPI, table string) (*types.ConsumedCapacity, error)) request {
		return func(ctx context.Context, c fidelityAPI, table string) error {
			cc, err := read(ctx, c, table)
			if err != nil {
				return err
			}
			return expect("ConsumedCapacity", want, renderCapacity(cc))
		}
	}
	runFidelity(t, []fidelityCase{
		{name: "Scan of an empty table", local: emptyPageCosts, do: empty("total=0.5", func(ctx context.Context, c fidelityAPI, table string) (*types.ConsumedCapacity, error) {
			out, err := c.Scan(ctx, &dynamodb.ScanInput{TableName: &table, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			if err != nil {
				return nil, err
			}
			return out.ConsumedCapacity, nil
		})},
		{name: "Query of an empty partition", local: emptyPageCosts, do: empty("total=1", func(ctx context.Context, c fidelityAPI, table string) (*types.ConsumedCapacity, error) {
			out, err := c.Query(ctx, &dynamodb.QueryInput{TableName: &table, KeyConditionExpression: aws.String("#i = :i"), ConsistentRead: aws.Bool(true),
				ExpressionAttributeNames: map[string]string{"#i": "id"}, ExpressionAttributeValues: item{":i": s("x")}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			if err != nil {
				return nil, err
			}
			return out.ConsumedCapacity, nil
		})},
		{name: "GetItem projection of nothing there", seed: []item{{"id": s("a")}}, do: func(ctx context.Context, c fidelityAPI, table string) error {
			out, err := c.GetItem(ctx, &dynamodb.GetItemInput{TableName: &table, Key: item{"id": s("a")}, ProjectionExpression: aws.String("#x"),
				ExpressionAttributeNames: map[string]string{"#x": "x"}, ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal})
			if err != nil {
				return err
			}
			if out.Item == nil || len(out.Item) != 0 {
				return fmt.Errorf("Item = %v, want an empty map", out.Item)
			}
			return expect("ConsumedCapacity", "total=0.5", renderCapacity(out.ConsumedCapacity))
		}},
	})
}
