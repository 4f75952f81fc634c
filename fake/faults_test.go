package fake_test

import (
	"context"
	"errors"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"syscall"
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
	db := newDB(t)
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
// a *dynamodb.Client returns for it (once its retryer gives up, for what
// it retries), and against the SDK's own retry rules, which code under
// test may use to classify it.
func TestFaultsLookLikeTheSDKs(t *testing.T) {
	const requestID = "RequestID: FAKE00000000000000000000000000000000000000000000000000"
	reset := &net.OpError{Op: "read", Net: "tcp",
		Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 49152},
		Addr:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443},
		Err:    os.NewSyscallError("read", syscall.ECONNRESET)}
	tests := []struct {
		name    string
		err     error
		want    string // the error, as the SDK words it
		check   func(error) bool
		retried bool // the SDK would have retried it, so it says it gave up
	}{
		{"throttling", &types.ProvisionedThroughputExceededException{Message: aws.String("Throughput exceeds the current capacity of your table or index.")},
			"operation error DynamoDB: GetItem, exceeded maximum number of attempts, 3, https response error StatusCode: 400, " + requestID + ", ProvisionedThroughputExceededException: Throughput exceeds the current capacity of your table or index.",
			func(err error) bool {
				var pte *types.ProvisionedThroughputExceededException
				var re *awshttp.ResponseError
				return errors.As(err, &pte) && errors.As(err, &re) && re.HTTPStatusCode() == 400
			}, true},
		{"request limit", &types.RequestLimitExceeded{},
			"operation error DynamoDB: GetItem, exceeded maximum number of attempts, 3, https response error StatusCode: 400, " + requestID + ", RequestLimitExceeded: ",
			func(err error) bool {
				var rle *types.RequestLimitExceeded
				return errors.As(err, &rle)
			}, true},
		{"server error", &types.InternalServerError{Message: aws.String("Internal server error")},
			"operation error DynamoDB: GetItem, exceeded maximum number of attempts, 3, https response error StatusCode: 500, " + requestID + ", InternalServerError: Internal server error",
			func(err error) bool {
				var re *awshttp.ResponseError
				var ise *types.InternalServerError
				return errors.As(err, &re) && re.HTTPStatusCode() == 500 && errors.As(err, &ise)
			}, true},
		{"client error, not retried", &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")},
			"operation error DynamoDB: GetItem, https response error StatusCode: 400, " + requestID + ", ResourceNotFoundException: Requested resource not found",
			func(err error) bool {
				var rnf *types.ResourceNotFoundException
				return errors.As(err, &rnf)
			}, false},
		{"validation error", &smithy.GenericAPIError{Code: "ValidationException", Message: "bad", Fault: smithy.FaultClient},
			"operation error DynamoDB: GetItem, https response error StatusCode: 400, " + requestID + ", api error ValidationException: bad",
			func(err error) bool {
				var ae smithy.APIError
				return errors.As(err, &ae) && ae.ErrorCode() == "ValidationException"
			}, false},
		{"network error", reset,
			"operation error DynamoDB: GetItem, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, read tcp 127.0.0.1:49152->127.0.0.1:443: read: connection reset by peer",
			func(err error) bool {
				var rse *smithyhttp.RequestSendError
				return errors.As(err, &rse) && errors.Is(err, syscall.ECONNRESET)
			}, true},
		{"bare errno", syscall.ECONNRESET,
			"operation error DynamoDB: GetItem, exceeded maximum number of attempts, 3, https response error StatusCode: 0, RequestID: , request send failed, connection reset by peer",
			func(err error) bool {
				var rse *smithyhttp.RequestSendError
				return errors.As(err, &rse) && errors.Is(err, syscall.ECONNRESET)
			}, true},
		{"deadline", context.DeadlineExceeded,
			"operation error DynamoDB: GetItem, https response error StatusCode: 0, RequestID: , canceled, context deadline exceeded",
			func(err error) bool {
				var ce *smithy.CanceledError
				return errors.As(err, &ce) && errors.Is(err, context.DeadlineExceeded)
			}, false},
		{"canceled", context.Canceled,
			"operation error DynamoDB: GetItem, https response error StatusCode: 0, RequestID: , canceled, context canceled",
			func(err error) bool {
				var ce *smithy.CanceledError
				return errors.As(err, &ce) && errors.Is(err, context.Canceled)
			}, false},
		{"shaped by the test", &retry.MaxAttemptsError{Attempt: 5, Err: &smithyhttp.RequestSendError{Err: reset}},
			"operation error DynamoDB: GetItem, exceeded maximum number of attempts, 5, request send failed, read tcp 127.0.0.1:49152->127.0.0.1:443: read: connection reset by peer",
			func(err error) bool {
				var mae *retry.MaxAttemptsError
				return errors.As(err, &mae) && mae.Attempt == 5
			}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := fake.New("sessions")
			db.FailNext("GetItem", 1, tt.err)
			_, err := db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}})
			if diff := cmp.Diff(tt.want, errString(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if !tt.check(err) {
				t.Errorf("error %v does not unwrap as the SDK's does", err)
			}
			var oe *smithy.OperationError
			if !errors.As(err, &oe) || oe.Operation() != "GetItem" || oe.Service() != "DynamoDB" {
				t.Errorf("error %v is not a *smithy.OperationError of DynamoDB GetItem", err)
			}
			var mae *retry.MaxAttemptsError
			if diff := cmp.Diff(tt.retried, errors.As(err, &mae)); diff != "" {
				t.Errorf("error %v says the retryer gave up mismatch (-want +got):\n%s", err, diff)
			}
			// The SDK's rules would have retried the last attempt's error
			// inside, and would not retry what it does not give up on.
			inner := oe.Err
			if tt.retried {
				inner = mae.Err
			}
			if got := retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(inner) == aws.TrueTernary; got != tt.retried {
				t.Errorf("the SDK classes %v as retryable: %v, want %v", inner, got, tt.retried)
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
	db := fake.New("sessions")
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

// onWait returns a context that ends only once the call is waiting: it
// is live until something asks for its Done channel (the fake does only
// while it holds a call for its latency, after checking Err), and then
// becomes the context end makes. A context ended by another goroutine or
// a short timer could end before the call starts on a loaded machine,
// which is a different case (a context that ended before the call).
func onWait(end func() (context.Context, context.CancelFunc)) func() (context.Context, context.CancelFunc) {
	return func() (context.Context, context.CancelFunc) {
		w := &waitCtx{Context: context.Background(), end: end}
		return w, func() {
			w.mu.Lock()
			defer w.mu.Unlock()
			if w.cancel != nil {
				w.cancel()
			}
		}
	}
}

type waitCtx struct {
	context.Context // Background: values and, until the wait, no deadline
	end             func() (context.Context, context.CancelFunc)
	once            sync.Once
	mu              sync.Mutex
	ended           context.Context
	cancel          context.CancelFunc
}

func (w *waitCtx) Done() <-chan struct{} {
	w.once.Do(func() {
		ctx, cancel := w.end()
		w.mu.Lock()
		w.ended, w.cancel = ctx, cancel
		w.mu.Unlock()
	})
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.ended.Done()
}

func (w *waitCtx) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended == nil {
		return nil
	}
	return w.ended.Err()
}

func (w *waitCtx) Deadline() (time.Time, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ended == nil {
		return time.Time{}, false
	}
	return w.ended.Deadline()
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
		{"canceled during latency", onWait(func() (context.Context, context.CancelFunc) {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			return ctx, cancel
		}), time.Hour, context.Canceled},
		{"deadline during latency", onWait(func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(context.Background(), time.Millisecond)
		}), time.Hour, context.DeadlineExceeded},
		{"no latency", func() (context.Context, context.CancelFunc) {
			return context.WithCancel(context.Background())
		}, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newDB(t)
			db.SetLatency(tt.latency)
			ctx, cancel := tt.ctx()
			defer cancel()
			_, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("sessions"), Item: item{"id": s("a")}})
			if !errors.Is(err, tt.want) {
				t.Fatalf("PutItem: got %v, want %v", err, tt.want)
			}
			if tt.want != nil {
				// As the SDK reports it: a context that ended before the
				// call is its error alone (the retryer checks it before
				// each attempt); one that ended in flight is a
				// *smithy.CanceledError in a response error of status 0.
				var ce *smithy.CanceledError
				var oe *smithy.OperationError
				var re *awshttp.ResponseError
				inFlight := tt.latency > 0
				if !errors.As(err, &oe) || errors.As(err, &ce) != inFlight || errors.As(err, &re) != inFlight {
					t.Errorf("PutItem error %v: want the context's error in a *smithy.OperationError, in a *smithy.CanceledError and a response error only in flight (%v)", err, inFlight)
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

// TestLatencyFollowsTheClock: on the DB's standing clock, a call held by
// latency returns once the test has moved the clock past it, and not by
// waiting.
func TestLatencyFollowsTheClock(t *testing.T) {
	db := fake.New("sessions")
	db.SetLatency(time.Minute)
	start := db.Now()
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
			if moved := db.Now().Sub(start); moved < time.Minute {
				t.Errorf("the call returned after the clock moved %v, want at least a minute", moved)
			}
			return
		default:
			db.Advance(time.Second)
			runtime.Gosched()
		}
	}
}

func TestReplicaLagConvergesWithTheClock(t *testing.T) {
	db := fake.New("sessions")
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
		db.Advance(st.advance)
		got := [2]string{read(false), read(true)}
		if diff := cmp.Diff([2]string{st.eventual, st.stronglyRead}, got); diff != "" {
			t.Errorf("after %v more: eventual and strong reads mismatch (-want +got):\n%s", st.advance, diff)
		}
	}
}

func TestCallsRecordWhatHappened(t *testing.T) {
	db := fake.New("sessions")
	ctx := context.Background()
	mustPut(t, db, "sessions", item{"id": s("session#a")})
	db.FailNext("GetItem", 1, &types.ProvisionedThroughputExceededException{Message: aws.String("slow down")})
	_, _ = db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("session#a")}, ConsistentRead: aws.Bool(true)})
	_, _ = db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("sessions"), Key: item{"id": s("session#a")},
		UpdateExpression: aws.String("SET #d = :d"), ConditionExpression: aws.String("attribute_exists(#x)"),
		ExpressionAttributeNames: map[string]string{"#d": "sess", "#x": "x"}, ExpressionAttributeValues: item{":d": s("{}")}})
	_, _ = db.Query(ctx, &dynamodb.QueryInput{TableName: aws.String("sessions"), IndexName: aws.String("owner-index"),
		KeyConditionExpression: aws.String("#o = :o"), ExpressionAttributeNames: map[string]string{"#o": "owner"},
		ExpressionAttributeValues: item{":o": s("ada")}})
	_, _ = db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("nope"), Key: item{"id": s("x")}})
	want := []string{
		"#1 PutItem sessions (1 attributes): ok",
		"#2 GetItem sessions id=session#a (strong): exceeded maximum number of attempts, 3, https response error StatusCode: 400, RequestID: FAKE00000000000000000000000000000000000000000000000000, ProvisionedThroughputExceededException: slow down",
		"#3 UpdateItem sessions id=session#a SET #d = :d IF attribute_exists(#x): ConditionalCheckFailedException: The conditional request failed",
		"#4 Query sessions INDEX owner-index #o = :o: ok",
		"#5 DeleteItem nope id=x: ResourceNotFoundException: Requested resource not found",
	}
	if diff := cmp.Diff(want, db.Calls()); diff != "" {
		t.Errorf("calls mismatch (-want +got):\n%s", diff)
	}
	db.ResetStats()
	if got := db.Calls(); len(got) != 0 {
		t.Errorf("Calls after ResetStats = %v, want none", got)
	}
}

func TestCallsKeepTheLastThousand(t *testing.T) {
	db := fake.New("sessions")
	for range 1005 {
		_, _ = db.GetItem(context.Background(), &dynamodb.GetItemInput{TableName: aws.String("sessions"), Key: item{"id": s("a")}})
	}
	calls := db.Calls()
	if len(calls) != 1000 || !strings.HasPrefix(calls[0], "#6 ") || !strings.HasPrefix(calls[999], "#1005 ") {
		t.Errorf("kept %d calls, %q to %q; want 1000, #6 to #1005", len(calls), calls[0], calls[len(calls)-1])
	}
}

// TestFaultsFollowTheCallsRetryer: a per-call option that changes the
// retryer changes what the SDK would have done, so the fake follows it
// (found by a breaker: a versioned write of dynamosession, whose option
// retries only what proves a write was not applied, got "exceeded maximum
// number of attempts, 3" for a server error the real client tried once).
func TestFaultsFollowTheCallsRetryer(t *testing.T) {
	noRetries := func(o *dynamodb.Options) { o.Retryer = aws.NopRetryer{} }
	put := &dynamodb.PutItemInput{TableName: aws.String("sessions"), Item: item{"id": s("a")}}
	tests := []struct {
		name      string
		setup     func(db *fake.DB)
		optFns    []func(*dynamodb.Options)
		want      string
		wantCalls int
		stored    bool
	}{
		{"server error, default retryer", func(db *fake.DB) { db.FailNext("PutItem", 1, &types.InternalServerError{}) }, nil,
			"operation error DynamoDB: PutItem, exceeded maximum number of attempts, 3, https response error StatusCode: 500, RequestID: FAKE00000000000000000000000000000000000000000000000000, InternalServerError: ", 1, false},
		{"server error, no retries", func(db *fake.DB) { db.FailNext("PutItem", 1, &types.InternalServerError{}) }, []func(*dynamodb.Options){noRetries},
			"operation error DynamoDB: PutItem, https response error StatusCode: 500, RequestID: FAKE00000000000000000000000000000000000000000000000000, InternalServerError: ", 1, false},
		{"lost response, default retryer", func(db *fake.DB) { db.LoseResponseNext("PutItem", 1) }, nil, "<nil>", 2, true},
		{"lost response, no retries", func(db *fake.DB) { db.LoseResponseNext("PutItem", 1) }, []func(*dynamodb.Options){noRetries},
			"operation error DynamoDB: PutItem, https response error StatusCode: 0, RequestID: , request send failed, connection reset by peer", 1, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := fake.New("sessions")
			tt.setup(db)
			_, err := db.PutItem(context.Background(), put, tt.optFns...)
			if diff := cmp.Diff(tt.want, errString(err)); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantCalls, db.Stats().Calls["PutItem"]); diff != "" {
				t.Errorf("calls mismatch (-want +got):\n%s", diff)
			}
			_, stored := db.Item("sessions", item{"id": s("a")})
			if diff := cmp.Diff(tt.stored, stored); diff != "" {
				t.Errorf("stored mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
