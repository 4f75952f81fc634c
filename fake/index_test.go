package fake_test

// Index behaviour that only the fake can show: stale index reads, seeding
// with PutRaw, live counts. What DynamoDB Local can check too is in
// fidelity_index_test.go.

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/fake"
)

func newIndexedDB(t *testing.T) *fake.DB {
	t.Helper()
	db := newDB(t)
	in := ownerTable()
	in.TableName = aws.String("owned")
	mustCreate(t, db, in)
	return db
}

// ownerIDs returns the ids a Query of byOwner finds for owner, sorted.
func ownerIDs(t *testing.T, db *fake.DB, owner string) []string {
	t.Helper()
	out, err := db.Query(context.Background(), &dynamodb.QueryInput{
		TableName: aws.String("owned"), IndexName: aws.String("byOwner"),
		KeyConditionExpression:   aws.String("#o = :o"),
		ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: item{":o": s(owner)},
	})
	if err != nil {
		t.Fatalf("Query: %v", err)
	}
	var ids []string
	for _, it := range out.Items {
		ids = append(ids, it["id"].(*types.AttributeValueMemberS).Value)
	}
	slices.Sort(ids)
	return ids
}

func TestIndexFollowsWrites(t *testing.T) {
	db := newIndexedDB(t)
	ctx := context.Background()
	steps := []struct {
		name string
		do   func() error
		u1   []string
		u2   []string
	}{
		{"put two owned, one anonymous", func() error {
			for _, it := range []item{owned("a", "u1"), owned("b", "u1"), {"id": s("anon")}} {
				if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("owned"), Item: it}); err != nil {
					return err
				}
			}
			return nil
		}, []string{"a", "b"}, nil},
		{"move b to u2", func() error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("owned"), Key: item{"id": s("b")},
				UpdateExpression: aws.String("SET #o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"},
				ExpressionAttributeValues: item{":o": s("u2")}})
			return err
		}, []string{"a"}, []string{"b"}},
		{"give anon an owner", func() error {
			_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("owned"), Key: item{"id": s("anon")},
				UpdateExpression: aws.String("SET #o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"},
				ExpressionAttributeValues: item{":o": s("u1")}})
			return err
		}, []string{"a", "anon"}, []string{"b"}},
		{"delete a", func() error {
			_, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("owned"), Key: item{"id": s("a")}})
			return err
		}, []string{"anon"}, []string{"b"}},
		{"seed with PutRaw", func() error {
			return db.PutRaw("owned", owned("raw", "u2"))
		}, []string{"anon"}, []string{"b", "raw"}},
		{"an expired item stays until swept", func() error {
			return db.PutRaw("owned", item{"id": s("old"), "owner": s("u2"), "expires": n("1")})
		}, []string{"anon"}, []string{"b", "old", "raw"}},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if diff := cmp.Diff(st.u1, ownerIDs(t, db, "u1")); diff != "" {
			t.Errorf("%s: sessions of u1 mismatch (-want +got):\n%s", st.name, diff)
		}
		if diff := cmp.Diff(st.u2, ownerIDs(t, db, "u2")); diff != "" {
			t.Errorf("%s: sessions of u2 mismatch (-want +got):\n%s", st.name, diff)
		}
	}
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("owned")})
	if err != nil {
		t.Fatalf("DescribeTable: %v", err)
	}
	counts := map[string]int64{}
	for _, g := range out.Table.GlobalSecondaryIndexes {
		counts[aws.ToString(g.IndexName)] = aws.ToInt64(g.ItemCount)
	}
	// byOwnerAt needs "at", which anon and old lack.
	if diff := cmp.Diff(map[string]int64{"byOwner": 4, "byOwnerExp": 4, "byOwnerAt": 2}, counts); diff != "" {
		t.Errorf("index item counts mismatch (-want +got):\n%s", diff)
	}
}

// TestIndexReadsAreStaleWithTheTable: a Query of an index is eventually
// consistent, so with stale reads on it misses a session created since
// and still finds one deleted or moved since, until the replicas settle.
// That is the window the owner feature must close for revocation.
func TestIndexReadsAreStaleWithTheTable(t *testing.T) {
	db := newIndexedDB(t)
	ctx := context.Background()
	mustPut(t, db, "owned", owned("a", "u1"))
	mustPut(t, db, "owned", owned("b", "u1"))
	db.SetReplicaLag(time.Hour)
	mustPut(t, db, "owned", owned("new", "u1"))
	if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("owned"), Key: item{"id": s("a")}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("owned"), Key: item{"id": s("b")},
		UpdateExpression: aws.String("SET #o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"},
		ExpressionAttributeValues: item{":o": s("u2")}}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"a", "b"}, ownerIDs(t, db, "u1")); diff != "" {
		t.Errorf("stale index read of u1 mismatch (-want +got):\n%s", diff)
	}
	if got := ownerIDs(t, db, "u2"); got != nil {
		t.Errorf("stale index read of u2 = %v, want none yet", got)
	}
	db.SetReplicaLag(0)
	if diff := cmp.Diff([]string{"new"}, ownerIDs(t, db, "u1")); diff != "" {
		t.Errorf("settled index read of u1 mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"b"}, ownerIDs(t, db, "u2")); diff != "" {
		t.Errorf("settled index read of u2 mismatch (-want +got):\n%s", diff)
	}
}

func TestUpdateChecksOnlyTheIndexKeysItWrites(t *testing.T) {
	db := newIndexedDB(t)
	ctx := context.Background()
	// An index key with the wrong type, as an older writer could leave it
	// (DynamoDB itself only flags such items when an index is added).
	if err := db.PutRaw("owned", item{"id": s("a"), "owner": n("1")}); err != nil {
		t.Fatal(err)
	}
	_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("owned"), Key: item{"id": s("a")},
		UpdateExpression: aws.String("SET #d = :d"), ExpressionAttributeNames: map[string]string{"#d": "sess"},
		ExpressionAttributeValues: item{":d": s("x")}})
	if err != nil {
		t.Errorf("update of another attribute: %v", err)
	}
	_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("owned"), Key: item{"id": s("a")},
		UpdateExpression: aws.String("SET #o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"},
		ExpressionAttributeValues: item{":o": n("2")}})
	want := validation("One or more parameter values were invalid: Type mismatch for Index Key owner Expected: S Actual: N IndexName: byOwner")
	if diff := cmp.Diff(want, apiError(err)); diff != "" {
		t.Errorf("update of the index key mismatch (-want +got):\n%s", diff)
	}
}

func TestQueryStopsAfterOneMegabyte(t *testing.T) {
	db := newIndexedDB(t)
	for _, id := range []string{"a", "b", "c", "d", "e"} {
		it := owned(id, "u1")
		it["note"] = s(strings.Repeat("x", 300*1024))
		mustPut(t, db, "owned", it)
	}
	in := &dynamodb.QueryInput{TableName: aws.String("owned"), IndexName: aws.String("byOwnerExp"),
		KeyConditionExpression:   aws.String("#o = :o"),
		ExpressionAttributeNames: map[string]string{"#o": "owner"}, ExpressionAttributeValues: item{":o": s("u1")},
		ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal}
	var pages []int32
	var units []float64
	for {
		out, err := db.Query(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		pages = append(pages, out.Count)
		units = append(units, aws.ToFloat64(out.ConsumedCapacity.CapacityUnits))
		if out.LastEvaluatedKey == nil {
			break
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
	if diff := cmp.Diff([]int32{4, 1}, pages); diff != "" {
		t.Errorf("page sizes mismatch (-want +got):\n%s", diff)
	}
	// 4 entries of 300 KB and a little: 301 started 4 KB units, halved.
	if diff := cmp.Diff([]float64{150.5, 38}, units); diff != "" {
		t.Errorf("page capacity mismatch (-want +got):\n%s", diff)
	}
}

func TestBatchGetItemUnprocessedBeyond16MB(t *testing.T) {
	db := newDB(t)
	var keys []item
	for i := range 45 {
		id := string(rune('A'+i/26)) + string(rune('a'+i%26))
		mustPut(t, db, "sessions", item{"id": s(id), "d": s(strings.Repeat("x", 399*1024))})
		keys = append(keys, item{"id": s(id)})
	}
	out, err := db.BatchGetItem(context.Background(), &dynamodb.BatchGetItemInput{
		RequestItems: map[string]types.KeysAndAttributes{"sessions": {Keys: keys}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got, left := len(out.Responses["sessions"]), len(out.UnprocessedKeys["sessions"].Keys)
	// 16 MB holds 41 items of 399 KB and a few bytes: the 42nd starts
	// past the limit.
	if diff := cmp.Diff([2]int{42, 3}, [2]int{got, left}); diff != "" {
		t.Errorf("items read and keys left mismatch (-want +got):\n%s", diff)
	}
}
