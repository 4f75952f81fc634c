package fake_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
)

func TestFailNext(t *testing.T) {
	db, _ := newDB(t)
	ctx := context.Background()
	boom := errors.New("boom")
	get := func() error {
		_, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}})
		return err
	}
	put := func() error {
		_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("sessions"), Item: item{"id": s("a")}})
		return err
	}
	db.FailNext("GetItem", 2, boom)
	db.FailNext("", 1, boom)
	var got []string
	for _, call := range []func() error{put, get, put, get, get, put} {
		if err := call(); err != nil {
			got = append(got, err.Error())
		} else {
			got = append(got, "ok")
		}
	}
	// The put consumes the "" rule; the gets consume the GetItem rule.
	want := []string{"boom", "boom", "ok", "boom", "ok", "ok"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("results mismatch (-want +got):\n%s", diff)
	}
	// Injected failures happen before anything else: the failed put stored
	// nothing and nothing was charged for it.
	st := db.Stats()
	if diff := cmp.Diff(map[string]int{"GetItem": 3, "PutItem": 3}, st.Calls); diff != "" {
		t.Errorf("Calls mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(2.0, st.WriteUnits); diff != "" {
		t.Errorf("WriteUnits mismatch (-want +got):\n%s", diff)
	}
}

func TestThrottleNext(t *testing.T) {
	db, _ := newDB(t)
	db.ThrottleNext("UpdateItem", 1)
	ctx := context.Background()
	in := &dynamodb.UpdateItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}}
	_, err := db.UpdateItem(ctx, in)
	var pte *types.ProvisionedThroughputExceededException
	if !errors.As(err, &pte) {
		t.Fatalf("UpdateItem: got %v, want *types.ProvisionedThroughputExceededException", err)
	}
	if _, ok := db.Item("sessions", item{"id": s("a")}); ok {
		t.Error("a throttled UpdateItem created the item")
	}
	if _, err := db.UpdateItem(ctx, in); err != nil {
		t.Errorf("second UpdateItem: %v, want success", err)
	}
}

func TestContext(t *testing.T) {
	canceled, cancel := context.WithCancel(context.Background())
	cancel()
	expired, cancel2 := context.WithDeadline(context.Background(), time.Unix(0, 0))
	defer cancel2()
	tests := []struct {
		name    string
		ctx     func() (context.Context, context.CancelFunc)
		latency time.Duration
		want    error
	}{
		{"canceled before the call", func() (context.Context, context.CancelFunc) { return canceled, func() {} }, 0, context.Canceled},
		{"deadline passed before the call", func() (context.Context, context.CancelFunc) { return expired, func() {} }, 0, context.DeadlineExceeded},
		{"canceled during latency", func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			// Cancel from another goroutine once the call is waiting; the
			// hour of latency would otherwise block the test.
			go cancel()
			return ctx, cancel
		}, time.Hour, context.Canceled},
		{"deadline during latency", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Millisecond)
		}, time.Hour, context.DeadlineExceeded},
		{"short latency then success", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, time.Millisecond, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newDB(t)
			db.SetLatency(tt.latency)
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("sessions"), Item: item{"id": s("a")}})
			if !errors.Is(err, tt.want) {
				t.Fatalf("PutItem: got %v, want %v", err, tt.want)
			}
			_, stored := db.Item("sessions", item{"id": s("a")})
			if diff := cmp.Diff(tt.want == nil, stored); diff != "" {
				t.Errorf("item stored mismatch (-want +got):\n%s", diff)
			}
			// Only a call that reached the fake counts.
			wantCalls := 0
			if tt.want == nil {
				wantCalls = 1
			}
			if diff := cmp.Diff(wantCalls, db.Stats().Calls["PutItem"]); diff != "" {
				t.Errorf("PutItem calls mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
