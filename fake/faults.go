package fake

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Faults as the SDK reports them. A *dynamodb.Client with its default
// retryer makes up to 3 attempts before it gives up on a throttled
// request, a server error or a broken connection, and then returns the
// last attempt's error in a *retry.MaxAttemptsError, inside the
// *smithy.OperationError every operation error is wrapped in. The
// constructors below build that inner error, so that code under test sees
// exactly what it would see from DynamoDB: errors.As finds the
// *types.ProvisionedThroughputExceededException, the HTTP status, the
// *smithyhttp.RequestSendError, and the SDK's own retry rules classify it
// as they would. Give them to [DB.FailNext].

// sdkAttempts is how many attempts the SDK's default retryer makes
// (retry.DefaultMaxAttempts).
const sdkAttempts = retry.DefaultMaxAttempts

// Throttling returns the error of a request DynamoDB throttled on every
// attempt: a *types.ProvisionedThroughputExceededException in an HTTP 400
// response.
func Throttling() error {
	return gaveUp(httpError(http.StatusBadRequest, &types.ProvisionedThroughputExceededException{
		Message: aws.String("The level of configured provisioned throughput for the table was exceeded. Consider increasing your provisioning level with the UpdateTable API."),
	}))
}

// ServerError returns the error of a request DynamoDB failed with an
// internal error on every attempt: a *types.InternalServerError in an HTTP
// 500 response.
func ServerError() error {
	return gaveUp(httpError(http.StatusInternalServerError, &types.InternalServerError{
		Message: aws.String("Internal server error"),
	}))
}

// NetworkError returns the error of a request whose connection broke on
// every attempt before an answer came: a *smithyhttp.RequestSendError
// around the connection reset the operating system reports. Whether
// DynamoDB applied a write that fails this way is unknown to the caller;
// [DB.LoseResponseNext] shows the case where it did.
func NetworkError() error {
	return gaveUp(&smithyhttp.RequestSendError{Err: &net.OpError{
		Op: "read", Net: "tcp",
		Source: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 49152},
		Addr:   &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 443},
		Err:    os.NewSyscallError("read", syscall.ECONNRESET),
	}})
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

func gaveUp(err error) error {
	return &retry.MaxAttemptsError{Attempt: sdkAttempts, Err: err}
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
// "" matches every operation) return err without doing anything else,
// wrapped in a *smithy.OperationError naming the operation as the SDK
// wraps every error (an err that already is one is returned as it is).
// Use [Throttling], [ServerError] and [NetworkError] for the failures
// DynamoDB and the network cause. Rules queue up: a call consumes the
// oldest rule that matches it. n <= 0 or a nil err adds nothing.
func (db *DB) FailNext(op string, n int, err error) {
	if err == nil {
		return
	}
	db.addFault(&fault{op: op, n: n, err: err})
}

// ThrottleNext is FailNext(op, n, Throttling()).
func (db *DB) ThrottleNext(op string, n int) {
	db.FailNext(op, n, Throttling())
}

// LoseResponseNext makes the next n calls of op ("" for any) lose their
// response after DynamoDB applied them: the SDK's retryer, seeing the
// connection break, sends the same request again, and the caller gets the
// answer to that second attempt. A conditional write then typically fails
// its condition against its own first attempt, the case idempotent writes
// must recognise. Each such call counts as two calls.
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

// SetLatency makes every later call wait until the DB's [Clock] has moved
// d past the moment the call arrived, as a slow network would hold it:
// with a standing clock ([NewSessions]) until the test advances it, with a
// running one (following time.Now or Options.Clock) for d of real time or
// until the test advances the Clock past it. A call whose context ends
// first fails as the SDK fails it, with the context's error in a
// *smithy.CanceledError inside a *smithy.OperationError. Zero removes the
// latency.
func (db *DB) SetLatency(d time.Duration) {
	db.mu.Lock()
	defer db.mu.Unlock()
	db.latency = d
}

// call runs one operation the way every public method does: honour the
// context, wait out any latency, count and record the call, fire any
// injected fault, then run the operation, its error wrapped in a
// *smithy.OperationError as the SDK wraps errors.
func call[I, O any](db *DB, ctx context.Context, op string, in I, do func(I) (O, error)) (O, error) {
	var zero O
	if err := ctx.Err(); err != nil {
		return zero, opError(op, &smithy.CanceledError{Err: err})
	}
	db.mu.Lock()
	d := db.latency
	db.mu.Unlock()
	if d > 0 {
		if err := db.clock.sleep(ctx, d); err != nil {
			return zero, opError(op, &smithy.CanceledError{Err: err})
		}
	}
	f := db.nextFault(op)
	switch {
	case f == nil:
	case f.lost:
		_, _ = do(in) // the attempt whose answer the network lost
		db.count(op)
	default:
		db.record(op, in, f.err)
		return zero, opError(op, f.err)
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
