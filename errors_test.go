// This file tests the errors the package returns: IsRetryable, DecodeError,
// encode errors, and the SDK's errors kept reachable.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/google/go-cmp/cmp"
)

func testDecodeError(t *testing.T, e *env) {
	repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.RewriteOnRead = true; o.Codec = codec.Msgpack[cart]() })
	ctx := context.Background()
	for name, sess := range map[string]types.AttributeValue{
		"number":        &types.AttributeValueMemberN{Value: "12"},
		"corrupt json":  &types.AttributeValueMemberS{Value: `{"user":`},
		"corrupt bytes": &types.AttributeValueMemberB{Value: []byte{0x92, 0x01}},
	} {
		t.Run(name, func(t *testing.T) {
			id := newID(t)
			item := map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "session#" + id},
				"sess":    sess,
				"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
			}
			e.putRaw(t, item)
			_, err := repo.Get(ctx, id)
			var de *dynamosession.DecodeError
			if !errors.As(err, &de) || de.ID != id || de.Attr != "sess" {
				t.Fatalf("Get = %v, want a *DecodeError naming session %s", err, id)
			}
			if diff := cmp.Diff(item, e.raw(t, "session#"+id), cmpAV); diff != "" {
				t.Errorf("record changed after a decode error (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSDKErrorsStayReachable(t *testing.T) {
	db := newFake(t)
	repo, _ := dynamosession.New[cart](db, "sessions")
	db.FailNext("GetItem", 1, &types.ProvisionedThroughputExceededException{})
	_, err := repo.Get(context.Background(), "abc")
	var pte *types.ProvisionedThroughputExceededException
	if !errors.As(err, &pte) {
		t.Fatalf("Get under throttling = %v, want a ProvisionedThroughputExceededException", err)
	}
	if strings.Contains(err.Error(), "abcdefgh") {
		t.Error("error leaks the session ID")
	}

	missing, _ := dynamosession.New[cart](db, "no-such-table")
	var rnf *types.ResourceNotFoundException
	if _, err := missing.Get(context.Background(), "abc"); !errors.As(err, &rnf) {
		t.Fatalf("Get on a missing table = %v, want ResourceNotFoundException", err)
	}
}

func TestDecodeErrorRedactsID(t *testing.T) {
	db := newFake(t)
	id := "0123456789abcdef0123456789abcdef"
	db.PutRaw("sessions", map[string]types.AttributeValue{
		"id":   &types.AttributeValueMemberS{Value: "session#" + id},
		"sess": &types.AttributeValueMemberBOOL{Value: true},
	})
	repo, _ := dynamosession.New[cart](db, "sessions")
	_, err := repo.Get(context.Background(), id)
	var de *dynamosession.DecodeError
	if !errors.As(err, &de) || de.ID != id {
		t.Fatalf("Get = %v", err)
	}
	if strings.Contains(err.Error(), id) || !strings.Contains(err.Error(), `"012345…"`) {
		t.Errorf("message %q must name the session by a redacted prefix only", err)
	}
}

// TestEncodeError: data the codec cannot encode is an error that wraps
// the codec's (errors.Is reaches its sentinel) and names the session by a
// redacted prefix and the format.
func TestEncodeError(t *testing.T) {
	type bad struct {
		V any `json:"v"`
	}
	repo, err := dynamosession.New[bad](newFake(t), "sessions", func(o *dynamosession.Options[bad]) { o.Codec = codec.JSON[bad]() })
	if err != nil {
		t.Fatal(err)
	}
	const id = "0123456789abcdef"
	_, err = repo.Put(context.Background(), id, bad{V: make(chan int)})
	if !isEncodeError(err, id, codec.FormatJSON) || !errors.Is(err, codec.ErrUnsupported) {
		t.Fatalf("Put of a channel = %v, want codec.ErrUnsupported naming the session and format", err)
	}
	if dynamosession.IsRetryable(err) {
		t.Errorf("IsRetryable(%v) = true", err)
	}
}

// isEncodeError reports whether err is the error of data that format's
// codec cannot encode, for session id: it names the format, and the
// session by its redacted prefix only. (It wraps the codec's error, which
// is codec.ErrUnsupported for what Map and JSON refuse, but not for every
// value msgpack refuses: see TestEncodeError.)
func isEncodeError(err error, id string, format codec.Format) bool {
	if err == nil || errors.Unwrap(err) == nil {
		return false
	}
	msg := err.Error()
	return strings.Contains(msg, "cannot encode as "+string(format)) &&
		strings.Contains(msg, fmt.Sprintf("%q", id[:6]+"…")) && !strings.Contains(msg, id)
}

// TestIsRetryableOnTheFake classifies the errors a repository returns for
// every fault and bad input the fake can produce.
func TestIsRetryableOnTheFake(t *testing.T) {
	ctx := context.Background()
	db := newFake(t)
	var calls callLog
	clock := testclock.New(faultNow)
	repo := faultRepo[cart](t, db, &calls, versioned, func(o *dynamosession.Options[cart]) { o.Clock = clock.Now })
	mapRepo := faultRepo[faultLoose](t, db, &calls)
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	fresh := func() *dynamosession.Session[cart] {
		s, err := repo.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	errs := map[string]error{"nil": nil}
	add := func(name string, err error) {
		if err == nil && name != "nil" {
			t.Fatalf("%s: no error to classify", name)
		}
		errs[name] = err
	}

	db.FailNext("GetItem", 1, &types.ProvisionedThroughputExceededException{})
	_, err := repo.Get(ctx, id)
	add("throttled", err)

	db.FailNext("GetItem", 1, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "GetItem",
		Err: &types.InternalServerError{Message: aws.String("Internal server error")}})
	_, err = repo.Get(ctx, id)
	add("internal server error", err)
	// A versioned write whose outcome a server error leaves open, and
	// that the item read back cannot settle: read before trying again.
	db.FailNext("PutItem", 1, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "PutItem",
		Err: &types.InternalServerError{Message: aws.String("Internal server error")}})
	add("outcome unknown", put(repo.Put(ctx, newID(t), cart{})))

	db.SetLatency(time.Hour)
	tctx, cancel := context.WithTimeout(ctx, time.Millisecond)
	_, err = repo.Get(tctx, id)
	cancel()
	add("deadline", err)
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	_, err = repo.Get(cctx, id)
	add("canceled", err)
	db.SetLatency(0)

	a, b := fresh(), fresh()
	a.Data.Count, b.Data.Count = 1, 2
	if err := repo.Save(ctx, a); err != nil {
		t.Fatal(err)
	}
	add("conflict", repo.Save(ctx, b))
	add("conflict in Put", put(repo.Put(ctx, id, cart{})))

	_, err = repo.Get(ctx, newID(t))
	add("not found", err)
	clock.Advance(25 * time.Hour)
	_, err = repo.Get(ctx, id)
	add("expired", err)
	clock.Advance(-25 * time.Hour)

	_, err = repo.Get(ctx, "")
	add("invalid ID", err)
	add("item too large", put(repo.Put(ctx, newID(t), cart{Blob: make([]byte, capacity.MaxItemBytes)})))
	add("encode error", put(mapRepo.Put(ctx, newID(t), faultLoose{F: math.NaN()})))
	_ = db.PutRaw("sessions", map[string]types.AttributeValue{
		"id":   &types.AttributeValueMemberS{Value: "session#bad"},
		"sess": &types.AttributeValueMemberBOOL{Value: true},
	})
	_, err = repo.Get(ctx, "bad")
	add("decode error", err)
	_, err = faultRepo[cart](t, db, &calls).Update(ctx, id, func(*cart) error { return nil })
	add("not versioned", err)
	_, err = dynamosession.New[cart](db, "x")
	add("invalid options", err)
	_, err = faultRepo[cart](t, fake.New(), &calls).Get(ctx, id) // no tables at all
	add("missing table", err)
	db.FailNext("GetItem", 1, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: "GetItem",
		Err: &smithy.GenericAPIError{Code: "ValidationException", Message: "One or more parameter values were invalid", Fault: smithy.FaultClient}})
	_, err = repo.Get(ctx, id)
	add("validation", err)

	want := map[string]bool{
		"nil": false, "throttled": true, "internal server error": true, "outcome unknown": false, "deadline": true, "canceled": false,
		"conflict": true, "conflict in Put": true, "not found": false, "expired": false, "invalid ID": false,
		"item too large": false, "encode error": false, "decode error": false, "not versioned": false,
		"invalid options": false, "missing table": false, "validation": false,
	}
	got := map[string]bool{}
	for name, err := range errs {
		got[name] = dynamosession.IsRetryable(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IsRetryable mismatch (-want +got):\n%s", diff)
	}
	var ce *dynamosession.DecodeError
	if !errors.As(errs["decode error"], &ce) {
		t.Errorf("decode error case is %v", errs["decode error"])
	}
}

// TestIsRetryableThroughTheSDK classifies errors as a real *dynamodb.Client
// returns them, after its retryer gave up, from a loopback server.
func TestIsRetryableThroughTheSDK(t *testing.T) {
	tests := []struct {
		name   string
		status int
		body   string
		want   bool
	}{
		{"throttled", 400, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"exceeded"}`, true},
		{"request limit", 400, `{"__type":"com.amazonaws.dynamodb.v20120810#RequestLimitExceeded","message":"exceeded"}`, true},
		{"throttling", 400, `{"__type":"com.amazonaws.dynamodb.v20120810#ThrottlingException","message":"rate"}`, true},
		{"internal server error", 500, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"oops"}`, true},
		{"service unavailable", 503, `{"__type":"com.amazonaws.dynamodb.v20120810#ServiceUnavailable","message":"down"}`, true},
		{"validation", 400, `{"__type":"com.amazon.coral.validate#ValidationException","message":"One or more parameter values were invalid"}`, false},
		{"missing table", 400, `{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}`, false},
		{"access denied", 400, `{"__type":"com.amazonaws.dynamodb.v20120810#AccessDeniedException","message":"no"}`, false},
		{"item too large", 400, `{"__type":"com.amazon.coral.validate#ValidationException","message":"Item size has exceeded the maximum allowed size"}`, false},
	}
	got, want := map[string]bool{}, map[string]bool{}
	for _, tt := range tests {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			writeDynamoDB(w, tt.status, tt.body)
		}))
		repo := faultRepo[cart](t, sdkClient(srv.URL, 0), &callLog{})
		_, err := repo.Put(context.Background(), "abc", cart{})
		srv.Close()
		if err == nil {
			t.Fatalf("%s: Put succeeded", tt.name)
		}
		got[tt.name], want[tt.name] = dynamosession.IsRetryable(err), tt.want
	}

	// A server that is gone: connection refused.
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	_, err := faultRepo[cart](t, sdkClient(url, 0), &callLog{}).Get(context.Background(), "abc")
	got["connection refused"], want["connection refused"] = dynamosession.IsRetryable(err), true

	// A server that holds every request until the test ends.
	hang, arrived := make(chan struct{}), make(chan struct{}, 10)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-hang
	}))
	defer slow.Close()
	defer close(hang)

	// The HTTP client's own timeout.
	_, err = faultRepo[cart](t, sdkClient(slow.URL, 20*time.Millisecond), &callLog{}).Get(context.Background(), "abc")
	<-arrived
	if !strings.Contains(strings.ToLower(fmt.Sprint(err)), "timeout") {
		t.Errorf("HTTP client timeout case returned %v", err)
	}
	got["HTTP client timeout"], want["HTTP client timeout"] = dynamosession.IsRetryable(err), true

	// The caller's deadline.
	dctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	_, err = faultRepo[cart](t, sdkClient(slow.URL, 0), &callLog{}).Get(dctx, "abc")
	cancel()
	<-arrived
	got["deadline"], want["deadline"] = dynamosession.IsRetryable(err), true

	// The caller giving up while the request is at the server.
	cctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	_, err = faultRepo[cart](t, sdkClient(slow.URL, 0), &callLog{}).Get(cctx, "abc")
	if !errors.Is(err, context.Canceled) {
		t.Errorf("canceled case returned %v", err)
	}
	got["canceled"], want["canceled"] = dynamosession.IsRetryable(err), false

	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("IsRetryable mismatch (-want +got):\n%s", diff)
	}
}

// sdkClient is a real DynamoDB client for url, with one attempt per call
// (so the test sees the first error unchanged) and, if timeout is set, an
// HTTP client that gives up after it.
func sdkClient(url string, timeout time.Duration) *dynamodb.Client {
	o := dynamodb.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  dynamotest.LocalCredentials,
		Retryer:      retry.AddWithMaxAttempts(retry.NewStandard(), 1),
	}
	if timeout > 0 {
		o.HTTPClient = &http.Client{Timeout: timeout}
	}
	return dynamodb.New(o)
}
