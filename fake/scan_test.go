package fake_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/fake"
)

// seedSessions stores count items with id "s00", "s01", … and n = index.
func seedSessions(t *testing.T, db *fake.DB, count int) []string {
	t.Helper()
	var ids []string
	for i := range count {
		id := fmt.Sprintf("s%02d", i)
		ids = append(ids, id)
		mustPut(t, db, "sessions", item{"id": s(id), "n": n(strconv.Itoa(i))})
	}
	return ids
}

// scanAll pages through a scan and returns the ids seen and the pages'
// (Count, ScannedCount) pairs.
func scanAll(t *testing.T, db *fake.DB, in dynamodb.ScanInput) (ids []string, pages [][2]int32) {
	t.Helper()
	for {
		out, err := db.Scan(context.Background(), &in)
		if err != nil {
			t.Fatalf("Scan: %v", err)
		}
		for _, it := range out.Items {
			ids = append(ids, it["id"].(*types.AttributeValueMemberS).Value)
		}
		pages = append(pages, [2]int32{out.Count, out.ScannedCount})
		if out.LastEvaluatedKey == nil {
			return ids, pages
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

func TestScanPagination(t *testing.T) {
	db := newDB(t)
	all := seedSessions(t, db, 50)
	ids, pages := scanAll(t, db, dynamodb.ScanInput{TableName: aws.String("sessions"), Limit: aws.Int32(7)})
	sort.Strings(ids)
	if diff := cmp.Diff(all, ids); diff != "" {
		t.Errorf("ids over all pages mismatch (-want +got):\n%s", diff)
	}
	want := [][2]int32{{7, 7}, {7, 7}, {7, 7}, {7, 7}, {7, 7}, {7, 7}, {7, 7}, {1, 1}}
	if diff := cmp.Diff(want, pages); diff != "" {
		t.Errorf("pages mismatch (-want +got):\n%s", diff)
	}
}

func TestScanSegments(t *testing.T) {
	db := newDB(t)
	all := seedSessions(t, db, 60)
	var union []string
	seen := map[string]int{}
	for seg := range int32(4) {
		ids, _ := scanAll(t, db, dynamodb.ScanInput{
			TableName: aws.String("sessions"), Segment: aws.Int32(seg), TotalSegments: aws.Int32(4), Limit: aws.Int32(5),
		})
		for _, id := range ids {
			seen[id]++
		}
		union = append(union, ids...)
	}
	sort.Strings(union)
	if diff := cmp.Diff(all, union); diff != "" {
		t.Errorf("union of segments mismatch (-want +got):\n%s", diff)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("item %s seen in %d segments, want 1", id, c)
		}
	}
}

func TestScanCapacity(t *testing.T) {
	tests := []struct {
		name   string
		sizes  []int
		strong bool
		want   float64
	}{
		// An empty page costs the minimum read (TestFidelityCapacity).
		{"empty table", nil, false, 0.5},
		{"empty table strong", nil, true, 1},
		{"sum rounded up once", []int{3000, 3000, 3000}, false, 1.5},
		{"sum rounded up once strong", []int{3000, 3000, 3000}, true, 3},
		{"exactly 4 KB", []int{2048, 2048}, true, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			for i, size := range tt.sizes {
				id := fmt.Sprintf("%c", 'a'+i)
				mustPut(t, db, "sessions", item{"id": s(id), "d": s(strings.Repeat("x", size-4))})
			}
			db.ResetStats()
			out, err := db.Scan(context.Background(), &dynamodb.ScanInput{
				TableName: aws.String("sessions"), ConsistentRead: aws.Bool(tt.strong), ReturnConsumedCapacity: types.ReturnConsumedCapacityTotal,
			})
			if err != nil {
				t.Fatalf("Scan: %v", err)
			}
			if diff := cmp.Diff(tt.want, aws.ToFloat64(out.ConsumedCapacity.CapacityUnits)); diff != "" {
				t.Errorf("CapacityUnits mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.want, db.Stats().ReadUnits); diff != "" {
				t.Errorf("Stats.ReadUnits mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScanStopsAfterOneMegabyte(t *testing.T) {
	db := newDB(t)
	for i := range 5 {
		mustPut(t, db, "sessions", item{"id": s(fmt.Sprintf("big%d", i)), "d": s(strings.Repeat("x", 300*1024))})
	}
	_, pages := scanAll(t, db, dynamodb.ScanInput{TableName: aws.String("sessions")})
	if diff := cmp.Diff([][2]int32{{4, 4}, {1, 1}}, pages); diff != "" {
		t.Errorf("pages mismatch (-want +got):\n%s", diff)
	}
}

func TestScanErrors(t *testing.T) {
	tests := []struct {
		name string
		in   dynamodb.ScanInput
		want string
	}{
		{"segment without total", dynamodb.ScanInput{Segment: aws.Int32(0)},
			"The TotalSegments parameter is required but was not present in the request when Segment parameter is present"},
		{"segment out of range", dynamodb.ScanInput{Segment: aws.Int32(2), TotalSegments: aws.Int32(2)},
			"The Segment parameter is zero-based and must be less than parameter TotalSegments: Segment: 2 is not less than TotalSegments: 2"},
		{"zero limit", dynamodb.ScanInput{Limit: aws.Int32(0)},
			"1 validation error detected: Value '0' at 'limit' failed to satisfy constraint: Member must have value greater than or equal to 1"},
		{"bad start key", dynamodb.ScanInput{ExclusiveStartKey: item{"nope": s("x")}},
			"The provided starting key is invalid: The provided key element does not match the schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			tt.in.TableName = aws.String("sessions")
			_, err := db.Scan(context.Background(), &tt.in)
			if diff := cmp.Diff(validation(tt.want), apiError(err)); diff != "" {
				t.Errorf("Scan error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestScanOrdersSortKeysWithinAPartition(t *testing.T) {
	db := newDB(t)
	for _, sk := range []string{"10", "2", "-1", "1.5"} {
		mustPut(t, db, "events", item{"pk": s("p"), "sk": n(sk)})
	}
	out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("events")})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	var got []string
	for _, it := range out.Items {
		got = append(got, it["sk"].(*types.AttributeValueMemberN).Value)
	}
	if diff := cmp.Diff([]string{"-1", "1.5", "2", "10"}, got); diff != "" {
		t.Errorf("sort key order mismatch (-want +got):\n%s", diff)
	}
}
