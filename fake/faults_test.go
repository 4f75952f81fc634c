package fake_test

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/fake"
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
	// The put consumes the "" rule; the gets consume the GetItem rule. The
	// error is wrapped as the SDK wraps every error.
	want := []string{"operation error DynamoDB: PutItem, boom", "operation error DynamoDB: GetItem, boom", "ok",
		"operation error DynamoDB: GetItem, boom", "ok", "ok"}
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
	// An error that already is an operation error is returned as it is.
	own := &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "GetItem", Err: boom}
	db.FailNext("GetItem", 1, own)
	var oe *smithy.OperationError
	if err := get(); !errors.As(err, &oe) || oe != own {
		t.Errorf("FailNext of an operation error returned %v, want it unchanged", err)
	}
}

// TestFaultsLookLikeTheSDKs checks each injected fault against the shape
// a *dynamodb.Client returns once its retryer gives up, and against the
// SDK's own retry rules, which code under test may use to classify it.
func TestFaultsLookLikeTheSDKs(t *testing.T) {
	tests := []struct {
		name   string
		inject func(db *fake.DB)
		want   string // the error, as the SDK words it
		check  func(error) bool
	}{
		{"throttling", func(db *fake.DB) { db.ThrottleNext("GetItem", 1) },
			"operation error DynamoDB: GetItem, exceeded maximum number of attempts, 3, https response error StatusCode: 400, RequestID: FAKE00000000000000000000000000000000000000000000000000, ProvisionedThroughputExceededException: The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
			func(err error) bool {
				var pte *types.ProvisionedThroughputExceededException
				return errors.As(err, &pte)
			}},
		{"server error", func(db *fake.DB) { db.FailNext("GetItem", 1, fake.ServerError()) },
			"operation error DynamoDB: GetItem, exceeded maximum number of attempts, 3, https response error StatusCode: 500, RequestID: FAKE00000000000000000000000000000000000000000000000000, InternalServerError: Internal server error",
			func(err error) bool {
				var re *awshttp.ResponseError
				var ise *types.InternalServerError
				return errors.As(err, &re) && re.HTTPStatusCode() == 500 && errors.As(err, &ise)
			}},
		{"network error", func(db *fake.DB) { db.FailNext("GetItem", 1, fake.NetworkError()) },
			"operation error DynamoDB: GetItem, exceeded maximum number of attempts, 3, request send failed, read tcp 127.0.0.1:49152->127.0.0.1:443: read: connection reset by peer",
			func(err error) bool {
				var rse *smithyhttp.RequestSendError
				return errors.As(err, &rse)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := fake.NewSessions()
			tt.inject(db)
			_, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}})
			if diff := cmp.Diff(tt.want, errString(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if !tt.check(err) {
				t.Errorf("error %v does not unwrap as the SDK's does", err)
			}
			var mae *retry.MaxAttemptsError
			if !errors.As(err, &mae) {
				t.Errorf("error %v does not say the retryer gave up", err)
			}
			// The SDK's rules would have retried the attempt inside.
			if got := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(mae.Err); got != aws.TrueTernary {
				t.Errorf("the SDK classes the attempt's error %v as retryable = %v, want true", mae.Err, got)
			}
		})
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}

func TestLoseResponseNext(t *testing.T) {
	db := fake.NewSessions()
	ctx := context.Background()
	db.LoseResponseNext("PutItem", 1)
	// A create-only write: its first attempt lands, the response is lost,
	// and the SDK's retry finds the item its first attempt created.
	_, err := db.PutItem(ctx, &dynamodb.PutItemInput{
		TableName: aws.String("sessions"), Item: item{"id": s("a"), "token": s("t1")},
		ConditionExpression:                 aws.String("attribute_not_exists(#k)"),
		ExpressionAttributeNames:            map[string]string{"#k": "id"},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	var ccf *types.ConditionalCheckFailedException
	if !errors.As(err, &ccf) {
		t.Fatalf("PutItem after a lost response = %v, want the retry's ConditionalCheckFailedException", err)
	}
	if diff := cmp.Diff(item{"id": s("a"), "token": s("t1")}, ccf.Item, avCmp); diff != "" {
		t.Errorf("the item the retry found mismatch (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"PutItem": 2}, db.Stats().Calls); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
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
			if tt.want != nil {
				// As the SDK reports a request its context cut short.
				var ce *smithy.CanceledError
				var oe *smithy.OperationError
				if !errors.As(err, &ce) || !errors.As(err, &oe) {
					t.Errorf("PutItem error %v is not a *smithy.CanceledError in a *smithy.OperationError", err)
				}
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

// TestLatencyFollowsTheClock: on the standing clock of NewSessions, a call
// held by latency returns once the test has moved the clock past it, and
// not by waiting.
func TestLatencyFollowsTheClock(t *testing.T) {
	db := fake.NewSessions()
	db.SetLatency(time.Minute)
	start := db.Clock().Now()
	done := make(chan error, 1)
	go func() {
		_, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}})
		done <- err
	}()
	// Move the clock a second at a time until the call comes back: it
	// cannot come back before the clock has moved a minute past its
	// arrival, and it arrived at or after start.
	for {
		select {
		case err := <-done:
			if err != nil {
				t.Fatalf("GetItem: %v", err)
			}
			if moved := db.Clock().Now().Sub(start); moved < time.Minute {
				t.Errorf("the call returned after the clock moved %v, want at least a minute", moved)
			}
			return
		default:
			db.Clock().Advance(time.Second)
			runtime.Gosched()
		}
	}
}

func TestReplicaLagConvergesWithTheClock(t *testing.T) {
	db := fake.NewSessions()
	ctx := context.Background()
	db.SetReplicaLag(time.Second)
	mustPut(t, db, "sessions", item{"id": s("a"), "v": n("1")})
	mustPut(t, db, "sessions", item{"id": s("a"), "v": n("2")})
	read := func(strong bool) string {
		out, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}, ConsistentRead: aws.Bool(strong)})
		if err != nil {
			t.Fatal(err)
		}
		if out.Item == nil {
			return "none"
		}
		return out.Item["v"].(*types.AttributeValueMemberN).Value
	}
	steps := []struct {
		advance      time.Duration
		eventual     string
		stronglyRead string
	}{
		{0, "1", "2"},
		{999 * time.Millisecond, "1", "2"},
		{time.Millisecond, "2", "2"},
	}
	for _, st := range steps {
		db.Clock().Advance(st.advance)
		got := [2]string{read(false), read(true)}
		if diff := cmp.Diff([2]string{st.eventual, st.stronglyRead}, got); diff != "" {
			t.Errorf("after %v more: eventual and strong reads mismatch (-want +got):\n%s", st.advance, diff)
		}
	}
}

func TestCallsRecordWhatHappened(t *testing.T) {
	db := fake.NewSessions()
	ctx := context.Background()
	mustPut(t, db, "sessions", item{"id": s("session#a")})
	db.ThrottleNext("GetItem", 1)
	_, _ = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("session#a")}})
	_, _ = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("sessions"), Key: item{"id": s("session#a")},
		UpdateExpression: aws.String("SET #d = :d"), ConditionExpression: aws.String("attribute_exists(#x)"),
		ExpressionAttributeNames: map[string]string{"#d": "sess", "#x": "x"}, ExpressionAttributeValues: item{":d": s("{}")}})
	var lines []string
	for _, c := range db.Calls() {
		lines = append(lines, c.String())
	}
	want := []string{
		"#1 PutItem sessions (1 attributes): ok",
		"#2 GetItem sessions id=session#a: exceeded maximum number of attempts, 3, https response error StatusCode: 400, RequestID: FAKE00000000000000000000000000000000000000000000000000, ProvisionedThroughputExceededException: The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API.",
		"#3 UpdateItem sessions id=session#a SET #d = :d IF attribute_exists(#x): ConditionalCheckFailedException: The conditional request failed",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	if c := db.Calls()[2]; c.Op != "UpdateItem" || c.Table != "sessions" || !c.At.Equal(db.Clock().Now()) {
		t.Errorf("call #3 = %+v", c)
	}
	db.ResetStats()
	if got := db.Calls(); len(got) != 0 {
		t.Errorf("Calls after ResetStats = %v, want none", got)
	}
}

func TestCallsKeepTheLastThousand(t *testing.T) {
	db := fake.NewSessions()
	for range 1005 {
		_, _ = db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}})
	}
	calls := db.Calls()
	if len(calls) != 1000 || calls[0].Seq != 6 || calls[999].Seq != 1005 {
		t.Errorf("kept %d calls, #%d to #%d; want 1000, #6 to #1005", len(calls), calls[0].Seq, calls[len(calls)-1].Seq)
	}
}

func TestNewSessions(t *testing.T) {
	db := fake.NewSessions(func(st *fake.SessionTable) { st.Name, st.OwnerIndex = "carts", "byOwner" })
	ctx := context.Background()
	if calls := db.Stats().Calls; len(calls) != 0 {
		t.Errorf("setup left calls in the stats: %v", calls)
	}
	out, err := db.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String("carts")})
	if err != nil {
		t.Fatal(err)
	}
	ttl, err := db.DescribeTimeToLive(ctx, &dynamodb.DescribeTimeToLiveInput{TableName: aws.String("carts")})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	got = append(got, aws.ToString(out.Table.KeySchema[0].AttributeName), string(out.Table.BillingModeSummary.BillingMode),
		aws.ToString(ttl.TimeToLiveDescription.AttributeName), aws.ToString(out.Table.GlobalSecondaryIndexes[0].IndexName),
		aws.ToString(out.Table.GlobalSecondaryIndexes[0].KeySchema[0].AttributeName), db.Clock().Now().Format(time.RFC3339))
	want := []string{"id", "PAY_PER_REQUEST", "expires", "byOwner", "owner", "2025-01-01T00:00:00Z"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table mismatch (-want +got):\n%s", diff)
	}
	if !strings.Contains(func() (msg string) {
		defer func() { msg, _ = recover().(string) }()
		fake.NewSessions(func(st *fake.SessionTable) { st.Name = "x" })
		return ""
	}(), "fake.NewSessions: ") {
		t.Error("NewSessions with an invalid table name did not panic with a message naming it")
	}
}
