package fake_test

import (
	"context"
	"fmt"
	"runtime"
	"strconv"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// BenchmarkFullScan reads a whole table of n items in pages of 100, as
// migrate does. Its time per item must not grow with n: every page starts
// where the last one stopped, without revisiting the table.
func BenchmarkFullScan(b *testing.B) {
	for _, size := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("items=%d", size), func(b *testing.B) {
			db := newDB(b)
			for i := range size {
				mustPut(b, db, "sessions", item{"id": s("session#" + strconv.Itoa(i)), "sess": s("{}"), "expires": n("1700000000")})
			}
			b.ResetTimer()
			for range b.N {
				var start item
				seen := 0
				for {
					out, err := db.Scan(context.Background(), &dynamodb.ScanInput{TableName: aws.String("sessions"), Limit: aws.Int32(100), ExclusiveStartKey: start})
					if err != nil {
						b.Fatal(err)
					}
					seen += len(out.Items)
					if out.LastEvaluatedKey == nil {
						break
					}
					start = out.LastEvaluatedKey
				}
				if seen != size {
					b.Fatalf("scanned %d items, want %d", seen, size)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*size), "ns/item")
		})
	}
}

// TestScanPageCostIndependentOfTableSize pins what makes a full Scan
// linear: a page allocates for the items it returns, not for the table.
// Sorting or copying the table per page (which made a full scan of 10^5
// items take minutes) allocates in proportion to the table and fails.
func TestScanPageCostIndependentOfTableSize(t *testing.T) {
	perPage := func(size int) uint64 {
		db := newDB(t)
		for i := range size {
			mustPut(t, db, "sessions", item{"id": s("session#" + strconv.Itoa(i))})
		}
		in := &dynamodb.ScanInput{TableName: aws.String("sessions"), Limit: aws.Int32(20)}
		for range 3 { // start in the middle of the table
			out, err := db.Scan(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
		const pages = 20
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for range pages {
			out, err := db.Scan(context.Background(), in)
			if err != nil {
				t.Fatal(err)
			}
			in.ExclusiveStartKey = out.LastEvaluatedKey
		}
		runtime.ReadMemStats(&after)
		return (after.TotalAlloc - before.TotalAlloc) / pages
	}
	small, large := perPage(500), perPage(50000)
	t.Logf("bytes allocated per page of 20: %d with 500 items, %d with 50,000", small, large)
	if large > 2*small {
		t.Errorf("a page allocates %d bytes in a table of 50,000 items and %d in one of 500: the cost of a page grows with the table", large, small)
	}
}
