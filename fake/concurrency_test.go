package fake_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/google/go-cmp/cmp"
)

func TestConcurrentUse(t *testing.T) {
	db, _ := newDB(t)
	ctx := context.Background()
	const workers, perWorker = 8, 50
	var wg sync.WaitGroup
	errs := make(chan error, workers*perWorker)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				_, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName: aws.String("sessions"), Key: item{"id": s("counter")},
					UpdateExpression:          aws.String("ADD hits :one SET #w = :w"),
					ExpressionAttributeNames:  map[string]string{"#w": fmt.Sprintf("w%d", w)},
					ExpressionAttributeValues: item{":one": n("1"), ":w": n(fmt.Sprint(i))},
				})
				if err != nil {
					errs <- err
				}
				if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("counter")}}); err != nil {
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
	got, _ := db.Item("sessions", item{"id": s("counter")})
	if diff := cmp.Diff(n(fmt.Sprint(workers*perWorker)), got["hits"], avCmp); diff != "" {
		t.Errorf("counter mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(workers*perWorker, db.Stats().Calls["UpdateItem"]); diff != "" {
		t.Errorf("UpdateItem calls mismatch (-want +got):\n%s", diff)
	}
}
