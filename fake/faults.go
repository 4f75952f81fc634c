package fake

import (
	"context"
	"errors"
	"net"
	"net/http"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// Faults as the SDK reports them. A *dynamodb.Client answers a request
// DynamoDB refused with an HTTP error response around DynamoDB's
// exception; with its default retryer it makes up to 3 attempts at a
// throttled request, a server error or a broken connection before it
// gives up and returns the last attempt's error in a
// *retry.MaxAttemptsError; it reports a context that ended first as a
// *smithy.CanceledError; and it wraps every error in a
// *smithy.OperationError. [DB.FailNext] shapes the error a test gives it
// the same way, so that code under test sees exactly what it would see
// from DynamoDB: errors.As finds the exception and the HTTP status, and
// the SDK's own retry rules classify it as they would.

// asTheSDKReports returns err in the wrappers the SDK's transport would
// put around it; [afterRetries] adds the retryer's, and [call] the
// *smithy.OperationError.
func asTheSDKReports(err error) error {
	var (
		oe  *smithy.OperationError
		mae *retry.MaxAttemptsError
		ce  *smithy.CanceledError
		re  *smithyhttp.ResponseError
		rse *smithyhttp.RequestSendError
		ae  smithy.APIError
		ne  net.Error
	)
	switch {
	case errors.As(err, &oe), errors.As(err, &mae):
		return err // shaped by the test itself
	case errors.As(err, &re):
		// In its transport's wrapper already: only the retries are missing.
	case errors.As(err, &ce):
		return noResponse(err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return inFlight(err)
	case errors.As(err, &rse):
		err = noResponse(err)
	case errors.As(err, &ae):
		status := http.StatusBadRequest
		if ae.ErrorFault() == smithy.FaultServer {
			status = http.StatusInternalServerError
		}
		err = httpError(status, err)
	case errors.As(err, &ne):
		err = noResponse(&smithyhttp.RequestSendError{Err: err})
	default:
		return err
	}
	return retried{err}
}

// retried marks an error of one attempt, which [call] puts in a
// *retry.MaxAttemptsError when the call's retryer would have retried it
// to the last attempt ([afterRetries]).
type retried struct{ error }

// afterRetries returns err as the SDK returns it after its retryer: the
// last attempt's error in a *retry.MaxAttemptsError when the retryer the
// call's options give would retry it, else as it is. A per-call option
// can change the retryer (dynamosession's versioned writes retry only
// what proves a write was not applied), so the fake asks the retryer that
// a *dynamodb.Client would use for this call: the default standard
// retryer, with optFns applied.
func afterRetries(err error, optFns []func(*dynamodb.Options)) error {
	r, ok := err.(retried)
	if !ok {
		return err
	}
	rt := callRetryer(optFns)
	if rt.IsErrorRetryable(r.error) {
		return &retry.MaxAttemptsError{Attempt: rt.MaxAttempts(), Err: r.error}
	}
	return r.error
}

// callRetryer is the retryer a *dynamodb.Client with the default retryer
// uses for a call with optFns.
func callRetryer(optFns []func(*dynamodb.Options)) aws.Retryer {
	o := dynamodb.Options{Retryer: retry.NewStandard()}
	for _, fn := range optFns {
		fn(&o)
	}
	if o.Retryer == nil {
		return aws.NopRetryer{}
	}
	return o.Retryer
}

// httpError wraps an API error in the HTTP response errors the SDK reports
// it in.
func httpError(status int, err error) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{StatusCode: status, Header: http.Header{}}},
			Err:      err,
		},
		RequestID: "FAKE00000000000000000000000000000000000000000000000000",
	}
}

// noResponse wraps the error of an attempt that got no response (a broken
// connection, a context that ended in flight) as the SDK does: its
// transport answers such an attempt with an empty response, which the
// SDK's ResponseErrorWrapper puts around the error anyway, with status 0
// and no request ID ("https response error StatusCode: 0, RequestID: ,
// request send failed, …"; smithy-go transport/http/client.go,
// aws-sdk-go-v2 aws/transport/http/response_error_middleware.go).
func noResponse(err error) error {
	return &awshttp.ResponseError{
		ResponseError: &smithyhttp.ResponseError{
			Response: &smithyhttp.Response{Response: &http.Response{Header: http.Header{}, Body: http.NoBody}},
			Err:      err,
		},
	}
}

// inFlight is the error of a request whose context ended while it was in
// flight: the SDK's transport reports the context's error in a
// *smithy.CanceledError, with no response.
func inFlight(ctxErr error) error {
	return noResponse(&smithy.CanceledError{Err: ctxErr})
}

// fault is a queued failure for calls of op ("" for any).
type fault struct {
	op  string
	n   int
	err error // returned instead of doing the call
	// lost marks a lost response: the call is done, and then done again,
	// as the SDK sends it again after the connection broke.
	lost bool
}

// FailNext makes the next n calls of operation op ("GetItem", "PutItem", …;
// "" matches every operation) fail with err without doing anything else,
// err shaped as the SDK reports such a failure (every error in a
// *smithy.OperationError naming the operation):
//
//   - DynamoDB's exceptions, from the SDK's types package or any
//     smithy.APIError: in the HTTP response error the SDK reports them in
//     (status 500 for a server fault, 400 otherwise), and, when the
//     call's retryer would retry them, in the *retry.MaxAttemptsError of
//     its last attempt (the call's retryer: the SDK's default, changed by
//     any per-call option the call is given, as a *dynamodb.Client would). &types.ProvisionedThroughputExceededException{} is a
//     throttled request, &types.InternalServerError{} a server error.
//   - A network error (a net.Error, such as a *net.OpError or
//     syscall.ECONNRESET): in the *smithyhttp.RequestSendError of a
//     request whose connection broke, inside an HTTP response error with
//     status 0 (the SDK's wrapping of an attempt that got no response),
//     after the last attempt. Whether
//     DynamoDB applied a write that fails this way is unknown to the
//     caller; [DB.LoseResponseNext] is the case where it did.
//   - context.DeadlineExceeded or context.Canceled: in a
//     *smithy.CanceledError inside an HTTP response error with status 0,
//     as when the caller's context ended while the request was in flight
//     ([DB.SetLatency] makes that happen for real). A context that ended
//     before the call is the context's error alone, as the SDK returns it.
//   - A *smithy.OperationError, or any other error: as it is.
//
// Rules queue up: a call consumes the oldest rule that matches it. n <= 0
// or a nil err adds nothing.
func (db *DB) FailNext(op string, n int, err error) {
	if err == nil {
		return
	}
	db.addFault(&fault{op: op, n: n, err: asTheSDKReports(err)})
}

// LoseResponseNext makes the next n calls of op ("" for any) lose their
// response after DynamoDB applied them: the connection breaks. When the
// call's retryer retries a broken connection (the SDK's default does),
// it sends the same request again and the caller gets the answer to that
// second attempt: a conditional write then typically fails its condition
// against its own first attempt, the case idempotent writes must
// recognise, and the call counts as two calls. When it does not (a
// per-call option, such as dynamosession's for versioned writes, can say
// so), the caller gets the broken connection's error, as [DB.FailNext]
// shapes syscall.ECONNRESET, though the write was applied.
func (db *DB) LoseResponseNext(op string, n int) {
	db.addFault(&fault{op: op, n: n, lost: true})
}

func (db *DB) addFault(f *fault) {
	if f.n <= 0 {
		return
	}
	db.mu.Lock()
	defer db.mu.Unlock()
	db.faults = append(db.faults, f)
}

// SetLatency makes every later call wait until the DB's clock has moved d
// past the moment the call arrived, as a slow network would hold it: the
// call returns once the test has moved the clock that far with
// [DB.Advance]. A call whose context ends first fails as the SDK fails
// it, with the context's error in a *smithy.CanceledError inside an HTTP
// response error with status 0 inside a *smithy.OperationError: a latency the test never advances past stands
// for a server that does not answer. Zero removes the latency.
func (db *DB) SetLatency(d time.Duration) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.latency = d
}

// call runs one operation the way every public method does: honour the
// context, wait out any latency, count and record the call, fire any
// injected fault, then run the operation, its error wrapped in a
// *smithy.OperationError as the SDK wraps errors.
func call[I, O any](db *DB, ctx context.Context, op string, in I, do func(I) (O, error), optFns []func(*dynamodb.Options)) (O, error) {
	var zero O
	if err := ctx.Err(); err != nil {
		// The SDK's retryer checks the context before each attempt and
		// returns its error as it is (aws/retry/middleware.go).
		return zero, opError(op, err)
	}
	db.mu.Lock()
	d := db.latency
	db.mu.Unlock()
	if d > 0 {
		if err := db.clock.sleep(ctx, d); err != nil {
			return zero, opError(op, inFlight(err))
		}
	}
	f := db.nextFault(op)
	switch {
	case f == nil:
	case f.lost:
		_, _ = do(in) // the attempt whose answer the network lost
		reset := asTheSDKReports(syscall.ECONNRESET)
		if callRetryer(optFns).IsErrorRetryable(reset.(retried).error) {
			db.count(op) // sent again
			break
		}
		reset = afterRetries(reset, optFns)
		db.record(op, in, reset)
		return zero, opError(op, reset)
	default:
		err := afterRetries(f.err, optFns)
		db.record(op, in, err)
		return zero, opError(op, err)
	}
	out, err := do(in)
	db.record(op, in, err)
	return out, opError(op, err)
}

// nextFault counts a call of op and takes the fault it meets, if any.
func (db *DB) nextFault(op string) *fault {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.stats.Calls[op]++
	for i, f := range db.faults {
		if f.op != "" && f.op != op {
			continue
		}
		f.n--
		if f.n == 0 {
			db.faults = append(db.faults[:i], db.faults[i+1:]...)
		}
		return f
	}
	return nil
}

func (db *DB) count(op string) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.stats.Calls[op]++
}

// opError wraps an error the way the SDK does, so that code which unwraps
// *smithy.OperationError behaves the same against the fake.
func opError(op string, err error) error {
	var oe *smithy.OperationError
	if err == nil || errors.As(err, &oe) {
		return err
	}
	return &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op, Err: err}
}
