package fake_test

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

func TestStaleReads(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	table := aws.String("sessions")
	key := item{"id": s("a")}
	read := func(strong bool) string {
		t.Helper()
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: table, Key: key, ConsistentRead: aws.Bool(strong)})
		if err != nil {
			t.Fatalf("GetItem: %v", err)
		}
		if out.Item == nil {
			return "<none>"
		}
		return out.Item["v"].(*types.AttributeValueMemberS).Value
	}
	scanCount := func(strong bool) int32 {
		t.Helper()
		out, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: table, ConsistentRead: aws.Bool(strong)})
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		return out.Count
	}
	put := func(v string) { mustPut(t, db, "sessions", item{"id": s("a"), "v": s(v)}) }
	del := func() {
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: table, Key: key}); err != nil {
			t.Fatalf("DeleteItem: %v", err)
		}
	}

	db.SetReplicaLag(time.Hour)
	type view struct {
		Eventual, Strong         string
		EventualScan, StrongScan int32
	}
	steps := []struct {
		name string
		do   func()
		want view
	}{
		{"created", func() { put("one") }, view{"<none>", "one", 0, 1}},
		{"replaced", func() { put("two") }, view{"one", "two", 1, 1}},
		{"replaced again", func() { put("three") }, view{"two", "three", 1, 1}},
		{"deleted", del, view{"three", "<none>", 1, 0}},
		{"recreated", func() { put("four") }, view{"<none>", "four", 0, 1}},
		{"caught up", func() { db.SetReplicaLag(0) }, view{"four", "four", 1, 1}},
		{"stale again, no write yet", func() { db.SetReplicaLag(time.Hour) }, view{"four", "four", 1, 1}},
	}
	for _, st := range steps {
		st.do()
		got := view{read(false), read(true), scanCount(false), scanCount(true)}
		if diff := cmp.Diff(st.want, got); diff != "" {
			t.Errorf("%s: reads mismatch (-want +got):\n%s", st.name, diff)
		}
	}
}
