// This file holds the fake's faults to the real SDK's: the same fault
// (throttling, a server error, a connection reset, a deadline) injected
// with fake.DB.FailNext and produced for real by a *dynamodb.Client talking
// to DynamoDB Local through a misbehaving proxy must look the same to
// errors.As, errors.Is and IsRetryable, through the repository.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync/atomic"
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
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/google/go-cmp/cmp"
)

// errorShape is what a caller can learn from an error with the standard
// library's and the SDK's own tools.
type errorShape struct {
	OperationError, MaxAttempts, ResponseError, RequestSend, Canceled bool
	Status                                                            int
	APICode                                                           string
	Fault                                                             smithy.ErrorFault
	Throttle, InternalServer                                          bool
	NetError, ConnReset, DeadlineExceeded                             bool
	SDKRetryable                                                      aws.Ternary
	IsRetryable                                                       bool
	Chain                                                             string // the wrappers' types, outermost first, down to the fault itself
}

// chainOf names the types of err's wrappers, outermost first, stopping at
// the fault the test named (an API error, a net.Error, a context error),
// whose own insides differ (a real reset is a *url.Error around a
// *net.OpError; the fake's is the syscall.Errno a test gives).
func chainOf(err error) string {
	var names []string
	for err != nil {
		var ae smithy.APIError
		var ne net.Error
		if errors.As(err, &ae) && err == error(ae) || errors.As(err, &ne) && err == error(ne) ||
			err == context.DeadlineExceeded || err == context.Canceled {
			names = append(names, "fault")
			break
		}
		if _, ok := err.(*url.Error); ok {
			names = append(names, "fault")
			break
		}
		names = append(names, fmt.Sprintf("%T", err))
		err = errors.Unwrap(err)
	}
	return strings.Join(names, " > ")
}

func shapeOf(err error) errorShape {
	var (
		s   errorShape
		oe  *smithy.OperationError
		mae *retry.MaxAttemptsError
		re  *awshttp.ResponseError
		rse *smithyhttp.RequestSendError
		ce  *smithy.CanceledError
		ae  smithy.APIError
		pt  *types.ProvisionedThroughputExceededException
		ise *types.InternalServerError
		ne  net.Error
	)
	s.OperationError = errors.As(err, &oe)
	s.MaxAttempts = errors.As(err, &mae)
	if errors.As(err, &re) {
		s.ResponseError = true
		s.Status = re.HTTPStatusCode()
	}
	s.RequestSend = errors.As(err, &rse)
	s.Canceled = errors.As(err, &ce)
	if errors.As(err, &ae) {
		s.APICode = ae.ErrorCode()
		s.Fault = ae.ErrorFault()
	}
	s.Throttle = errors.As(err, &pt)
	s.InternalServer = errors.As(err, &ise)
	s.NetError = errors.As(err, &ne)
	s.ConnReset = errors.Is(err, syscall.ECONNRESET)
	s.DeadlineExceeded = errors.Is(err, context.DeadlineExceeded)
	s.SDKRetryable = retry.IsErrorRetryables(retry.DefaultRetryables).IsErrorRetryable(err)
	s.IsRetryable = dynamosession.IsRetryable(err)
	s.Chain = chainOf(err)
	return s
}

// faultProxy forwards requests to DynamoDB Local, or fails every one of
// them as its mode says.
type faultProxy struct {
	mode atomic.Value // string
	op   atomic.Value // the operation it fails ("" for all)
}

func (p *faultProxy) handler(target *url.URL) http.Handler {
	forward := httputil.NewSingleHostReverseProxy(target)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode := p.mode.Load().(string)
		if op := p.op.Load().(string); op != "" && r.Header.Get("X-Amz-Target") != "DynamoDB_20120810."+op {
			mode = ""
		}
		if mode != "" {
			_, _ = io.Copy(io.Discard, r.Body)
		}
		switch mode {
		case "throttle":
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`)
		case "500":
			w.Header().Set("Content-Type", "application/x-amz-json-1.0")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `{"__type":"com.amazonaws.dynamodb.v20120810#InternalServerError","message":"Internal server error"}`)
		case "reset":
			c, _, err := http.NewResponseController(w).Hijack()
			if err != nil {
				panic(err)
			}
			c.(*net.TCPConn).SetLinger(0) // close with RST
			c.Close()
		case "hang":
			<-r.Context().Done()
		default:
			forward.ServeHTTP(w, r)
		}
	})
}

func TestFaultsMatchTheRealSDK(t *testing.T) {
	local := dynamotest.Client(t)
	endpoint, err := url.Parse(dynamotest.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{}
	p.mode.Store("")
	p.op.Store("")
	srv := httptest.NewServer(p.handler(endpoint))
	t.Cleanup(srv.Close)
	table := dynamotest.CreateTable(t, local, "id", "expires")
	// The SDK's default retryer, without its waits between attempts and
	// its retry quota (which a test making many failing calls would
	// drain), so the error shapes are the default retryer's.
	client, err := dynamotest.LocalClient(srv.URL, func(o *dynamodb.Options) {
		o.Retryer = retry.NewStandard(func(so *retry.StandardOptions) {
			so.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
			so.RateLimiter = noRateLimit{}
		})
	})
	if err != nil {
		t.Fatal(err)
	}
	real, err := dynamosession.New[cart](client, table)
	if err != nil {
		t.Fatal(err)
	}
	realVersioned, err := dynamosession.New[cart](client, table, func(o *dynamosession.Options[cart]) { o.Versioned = true })
	if err != nil {
		t.Fatal(err)
	}
	// Each fault is produced for real by the proxy (mode) within the
	// context ctx returns, and on the fake by fakeSetup, with fakeCtx.
	type fault struct {
		name      string
		mode      string
		ctx       func() (context.Context, context.CancelFunc)
		fakeSetup func(db *fake.DB)
		fakeCtx   func() (context.Context, context.CancelFunc)
		op        string // "" for a Get, "PutItem" for a versioned Put
	}
	background := func() (context.Context, context.CancelFunc) { return context.WithCancel(context.Background()) }
	expired := func() (context.Context, context.CancelFunc) {
		return context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
	}
	canceled := func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		return ctx, cancel
	}
	shortly := func() (context.Context, context.CancelFunc) {
		return context.WithTimeout(context.Background(), 100*time.Millisecond)
	}
	cancelShortly := func() (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(100*time.Millisecond, cancel)
		return ctx, cancel
	}
	failNext := func(err error) func(*fake.DB) {
		return func(db *fake.DB) { db.FailNext("GetItem", 1, err) }
	}
	failPut := func(err error) func(*fake.DB) {
		return func(db *fake.DB) { db.FailNext("PutItem", 1, err) }
	}
	latency := func(db *fake.DB) { db.SetLatency(time.Hour) } // never advanced: a server that does not answer
	tests := []fault{
		{"throttling", "throttle", background, failNext(&types.ProvisionedThroughputExceededException{}), background, ""},
		{"server error", "500", background, failNext(&types.InternalServerError{}), background, ""},
		{"connection reset", "reset", background, failNext(syscall.ECONNRESET), background, ""},
		{"deadline in flight", "hang", shortly, failNext(context.DeadlineExceeded), background, ""},
		{"deadline in flight, latency", "hang", shortly, latency, shortly, ""},
		{"canceled in flight", "hang", cancelShortly, failNext(context.Canceled), background, ""},
		{"canceled in flight, latency", "hang", cancelShortly, latency, cancelShortly, ""},
		{"deadline before the call", "", expired, func(*fake.DB) {}, expired, ""},
		{"canceled before the call", "", canceled, func(*fake.DB) {}, canceled, ""},
		// A versioned write retries only what proves it was not applied,
		// and settles the rest by reading the item back.
		{"versioned put, throttling", "throttle", background, failPut(&types.ProvisionedThroughputExceededException{}), background, "PutItem"},
		{"versioned put, server error", "500", background, failPut(&types.InternalServerError{}), background, "PutItem"},
		{"versioned put, connection reset", "reset", background, failPut(syscall.ECONNRESET), background, "PutItem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := tt.ctx()
			defer cancel()
			p.mode.Store(tt.mode)
			p.op.Store(tt.op)
			var realErr error
			if tt.op == "PutItem" {
				_, realErr = realVersioned.Put(ctx, "session-"+tt.name, cart{User: "ada"})
			} else {
				_, realErr = real.Get(ctx, "session-1")
			}
			p.mode.Store("")

			db := fake.New("sessions")
			fakeRepo, err := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = db.Now })
			if err != nil {
				t.Fatal(err)
			}
			fakeVersioned, err := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Clock = db.Now; o.Versioned = true })
			if err != nil {
				t.Fatal(err)
			}
			tt.fakeSetup(db)
			fctx, fcancel := tt.fakeCtx()
			defer fcancel()
			var fakeErr error
			if tt.op == "PutItem" {
				_, fakeErr = fakeVersioned.Put(fctx, "session-1", cart{User: "ada"})
			} else {
				_, fakeErr = fakeRepo.Get(fctx, "session-1")
			}
			if realErr == nil || fakeErr == nil {
				t.Fatalf("real %v, fake %v; want two errors", realErr, fakeErr)
			}
			if diff := cmp.Diff(shapeOf(realErr), shapeOf(fakeErr)); diff != "" {
				t.Errorf("fake's error differs from the SDK's (-real +fake):\nreal: %v\nfake: %v\n%s", realErr, fakeErr, diff)
			}
		})
	}
}

type noRateLimit struct{}

func (noRateLimit) AddTokens(uint) error { return nil }
func (noRateLimit) GetToken(context.Context, uint) (func() error, error) {
	return func() error { return nil }, nil
}
