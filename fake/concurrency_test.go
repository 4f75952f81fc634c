package fake_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

// TestConcurrentUse increments one counter from several goroutines with
// conditional writes (read, then write the next value only if the counter
// still holds what was read), alongside reads and scans. A conditional
// write is atomic, so no increment is lost and none is counted twice.
func TestConcurrentUse(t *testing.T) {
	db := newDB(t)
	ctx := context.Background()
	const workers, perWorker = 8, 50
	key := item{"id": s("counter")}
	mustPut(t, db, "sessions", item{"id": s("counter"), "hits": n("0")})
	increment := func() error {
		for {
			out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: key, ConsistentRead: aws.Bool(true)})
			if err != nil {
				return err
			}
			cur := out.Item["hits"].(*types.AttributeValueMemberN).Value
			v, _ := strconv.Atoi(cur)
			_, err = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String("sessions"), Key: key,
				UpdateExpression:          aws.String("SET #h = :next"),
				ConditionExpression:       aws.String("#h = :cur"),
				ExpressionAttributeNames:  map[string]string{"#h": "hits"},
				ExpressionAttributeValues: item{":cur": n(cur), ":next": n(strconv.Itoa(v + 1))},
			})
			var ccf *types.ConditionalCheckFailedException
			if !errors.As(err, &ccf) {
				return err
			}
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*perWorker)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range perWorker {
				if err := increment(); err != nil {
					errs <- err
				}
				if _, err := db.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String("sessions")}); err != nil {
					errs <- err
				}
				_ = db.Stats()
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent call: %v", err)
	}
	got, _ := db.Item("sessions", key)
	if diff := cmp.Diff(n(strconv.Itoa(workers*perWorker)), got["hits"], avCmp); diff != "" {
		t.Errorf("counter mismatch (-want +got):\n%s", diff)
	}
}
