// This file tests what a failing DynamoDB leaves behind: injected faults,
// cancellation, failed conditional writes, the SDK's retryer and deadlines.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
	"github.com/google/go-cmp/cmp"
)

func TestContextCanceled(t *testing.T) {
	repo, _ := dynamosession.New[cart](newFake(t), "sessions")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := repo.Put(ctx, "abc", cart{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Put with a canceled context = %v", err)
	}
}

// Bad input and faults. Every bad input that can be judged locally must
// come back as a named error without a request; every fault must come back
// as an error the caller can classify, after exactly one request from the
// repository, with the stored record either as it was or as it was meant
// to become, never in between.

// faultOp is one repository operation under a fault: run does it to the
// session "before" (read just before), and op is the DynamoDB request the
// fault hits.
type faultOp struct {
	name string
	op   string
	run  func(ctx context.Context, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error
}

func faultOps() []faultOp {
	return []faultOp{
		{"Get", "GetItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			_, err := r.Get(ctx, s.ID)
			return err
		}},
		{"Put", "PutItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			return put(r.Put(ctx, s.ID, cart{User: "replaced"}))
		}},
		{"Save", "UpdateItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			s.Data.Count++
			return r.Save(ctx, s)
		}},
		{"Touch", "UpdateItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			_, err := r.Touch(ctx, s)
			return err
		}},
		{"Delete", "DeleteItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			return r.Delete(ctx, s.ID)
		}},
		{"DeleteIfUnchanged", "DeleteItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			return r.DeleteIfUnchanged(ctx, s)
		}},
		{"Update/read", "GetItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			_, err := r.Update(ctx, s.ID, func(c *cart) error { c.Count++; return nil })
			return err
		}},
		{"Update/write", "UpdateItem", func(ctx context.Context, r *dynamosession.Repo[cart], s *dynamosession.Session[cart]) error {
			_, err := r.Update(ctx, s.ID, func(c *cart) error { c.Count++; return nil })
			return err
		}},
	}
}

// TestFaultsLeaveRecordIntact injects each fault into each operation's
// request and checks what the caller sees and what is stored: the fault
// reaches the caller in a form it can classify, the repository made
// exactly one request of the faulty kind (it has no retry loop of its own:
// retrying throttled requests is the SDK retryer's business, see
// TestSDKRetryerOwnsRetries), and the record is as it was.
func TestFaultsLeaveRecordIntact(t *testing.T) {
	faults := []struct {
		name string
		// inject runs as the target request reaches the fake; timeout is
		// the deadline of the call, 0 for none.
		inject  func(db *fake.DB, op string)
		timeout time.Duration
		check   func(err error) bool
	}{
		{"throttled once", func(db *fake.DB, op string) { db.FailNext(op, 1, &types.ProvisionedThroughputExceededException{}) }, 0, isThrottled},
		{"throttled without end", func(db *fake.DB, op string) { db.FailNext(op, 1000, &types.ProvisionedThroughputExceededException{}) }, 0, isThrottled},
		{"internal server error", func(db *fake.DB, op string) {
			db.FailNext(op, 1, &smithy.OperationError{ServiceID: "DynamoDB", OperationName: op,
				Err: &types.InternalServerError{Message: aws.String("Internal server error")}})
		}, 0, func(err error) bool {
			var ise *types.InternalServerError
			return errors.As(err, &ise)
		}},
		// A table that stops answering and a deadline: the call is cut off
		// while it waits, as a slow network would cut it. The deadline
		// leaves Update's read, which has no latency, ample time.
		{"timeout", func(db *fake.DB, op string) { db.SetLatency(time.Hour) }, 50 * time.Millisecond,
			func(err error) bool { return errors.Is(err, context.DeadlineExceeded) }},
	}
	for _, op := range faultOps() {
		for _, f := range faults {
			t.Run(op.name+"/"+f.name, func(t *testing.T) {
				db := newFake(t)
				h := &hookDB{DB: db, before: func(string) {}}
				var calls callLog
				repo := faultRepo[cart](t, h, &calls, versioned, func(o *dynamosession.Options[cart]) { o.Touch = ttl.TouchAfter(0) })
				s, before := faultSession(t, db, repo)
				calls.reset()
				db.ResetStats()
				h.before = onFirst(op.op, func() { f.inject(db, op.op) })
				defer db.SetLatency(0)
				ctx := context.Background()
				if f.timeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, f.timeout)
					defer cancel()
				}
				err := op.run(ctx, repo, s)
				if !f.check(err) {
					t.Fatalf("%s under %s = %v", op.name, f.name, err)
				}
				if strings.Contains(err.Error(), s.ID) {
					t.Errorf("error %q carries the whole session ID", err)
				}
				if n := calls.count(op.op); n != 1 {
					t.Errorf("%s made %d %s requests, want exactly 1", op.name, n, op.op)
				}
				// A call cut off while it waits never reaches the fake's
				// counters; every other one must have reached it once.
				if n := db.Stats().Calls[op.op]; f.timeout == 0 && n != 1 {
					t.Errorf("the fake received %d %s requests, want exactly 1", n, op.op)
				}
				if diff := cmp.Diff(before, faultStored(db, "session#"+s.ID), cmpAV); diff != "" {
					t.Errorf("the record changed after a failed %s (-want +got):\n%s", op.name, diff)
				}
			})
		}
	}
}

// faultSession stores a session an hour old and reads it back.
func faultSession(t *testing.T, db *fake.DB, repo *dynamosession.Repo[cart]) (*dynamosession.Session[cart], map[string]types.AttributeValue) {
	t.Helper()
	id := newID(t)
	key := "session#" + id
	if err := db.PutRaw("sessions", map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: key},
		"sess":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"user": &types.AttributeValueMemberS{Value: "ada"}, "count": &types.AttributeValueMemberN{Value: "1"}}},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(faultNow.Add(23 * time.Hour).Unix())},
		"version": &types.AttributeValueMemberN{Value: "4"},
	}); err != nil {
		t.Fatal(err)
	}
	s, err := repo.Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return s, faultStored(db, key)
}

func isThrottled(err error) bool {
	var pte *types.ProvisionedThroughputExceededException
	return errors.As(err, &pte)
}

// TestCancelMidCall cancels each operation's request while it is in
// flight: the caller gets context.Canceled and the record is unchanged.
func TestCancelMidCall(t *testing.T) {
	for _, op := range faultOps() {
		t.Run(op.name, func(t *testing.T) {
			db := newFake(t)
			inFlight := make(chan struct{})
			h := &hookDB{DB: db, before: func(string) {}}
			var calls callLog
			repo := faultRepo[cart](t, h, &calls, versioned, func(o *dynamosession.Options[cart]) { o.Touch = ttl.TouchAfter(0) })
			s, before := faultSession(t, db, repo)
			calls.reset()
			// The target request finds a table that does not answer; the
			// test cancels once it is known to be waiting there.
			h.before = onFirst(op.op, func() { db.SetLatency(time.Hour); close(inFlight) })
			defer db.SetLatency(0)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			done := make(chan error, 1)
			go func() { done <- op.run(ctx, repo, s) }()
			<-inFlight
			cancel()
			if err := <-done; !errors.Is(err, context.Canceled) {
				t.Fatalf("%s canceled mid-call = %v, want context.Canceled", op.name, err)
			}
			if n := calls.count(op.op); n != 1 {
				t.Errorf("%s made %d %s requests, want exactly 1", op.name, n, op.op)
			}
			if diff := cmp.Diff(before, faultStored(db, "session#"+s.ID), cmpAV); diff != "" {
				t.Errorf("the record changed after a canceled %s (-want +got):\n%s", op.name, diff)
			}
		})
	}
}

// TestFailedConditionalWrites: each conditional write that loses its
// condition is a named error after exactly one request, and the record is
// the one the winner wrote, whole.
func TestFailedConditionalWrites(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name string
		// race makes a rival write after s was read, and returns the
		// operation that must lose.
		race func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error
		want error
		op   string
	}{
		{"versioned Save after a rival Save", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			rival, _ := repo.Get(ctx, s.ID)
			rival.Data.User = "rival"
			if err := repo.Save(ctx, rival); err != nil {
				t.Fatal(err)
			}
			return func() error { s.Data.User = "loser"; return repo.Save(ctx, s) }
		}, dynamosession.ErrConflict, "UpdateItem"},
		{"Save after a Delete", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			if err := repo.Delete(ctx, s.ID); err != nil {
				t.Fatal(err)
			}
			return func() error { s.Data.User = "loser"; return repo.Save(ctx, s) }
		}, dynamosession.ErrNotFound, "UpdateItem"},
		{"versioned Put over a live session", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			return func() error { return put(repo.Put(ctx, s.ID, cart{User: "loser"})) }
		}, dynamosession.ErrConflict, "PutItem"},
		{"DeleteIfUnchanged of a stale version", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			rival, _ := repo.Get(ctx, s.ID)
			rival.Data.User = "rival"
			if err := repo.Save(ctx, rival); err != nil {
				t.Fatal(err)
			}
			return func() error { return repo.DeleteIfUnchanged(ctx, s) }
		}, dynamosession.ErrConflict, "DeleteItem"},
		{"Touch of a stale expiry", func(t *testing.T, repo *dynamosession.Repo[cart], s *dynamosession.Session[cart]) func() error {
			rival, _ := repo.Get(ctx, s.ID)
			rival.Data.User = "rival"
			if err := repo.Save(ctx, rival); err != nil {
				t.Fatal(err)
			}
			return func() error {
				touched, err := repo.Touch(ctx, s)
				if touched {
					return errors.New("stale Touch wrote")
				}
				return err // losing a touch race is not an error
			}
		}, nil, "UpdateItem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db := newFake(t)
			var calls callLog
			clock := testclock.New(faultNow)
			repo := faultRepo[cart](t, db, &calls, versioned, func(o *dynamosession.Options[cart]) {
				o.Touch = ttl.TouchAfter(0)
				o.Clock = clock.Now
			})
			id := newID(t)
			if _, err := repo.Put(ctx, id, cart{User: "first"}); err != nil {
				t.Fatal(err)
			}
			s, _ := repo.Get(ctx, id)
			clock.Advance(time.Minute) // the rival's write moves the expiry
			lose := tt.race(t, repo, s)
			winner := faultStored(db, "session#"+id)
			calls.reset()
			err := lose()
			if !errors.Is(err, tt.want) || (tt.want == nil && err != nil) {
				t.Fatalf("losing write = %v, want %v", err, tt.want)
			}
			if n := calls.count(tt.op); n != 1 || calls.count("") != 1 {
				t.Errorf("losing write sent %d requests (%d %s), want exactly 1", calls.count(""), n, tt.op)
			}
			if diff := cmp.Diff(winner, faultStored(db, "session#"+id), cmpAV); diff != "" {
				t.Errorf("the winner's record changed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSDKRetryerOwnsRetries puts a real *dynamodb.Client, with the SDK's
// standard retryer, in front of a loopback server that speaks DynamoDB's
// protocol and throttles. DynamoDB Local never throttles, so this is where
// the division of labour shows: the SDK retries (MaxAttempts HTTP requests),
// the repository makes one call and returns the SDK's final error with the
// exception reachable by errors.As.
func TestSDKRetryerOwnsRetries(t *testing.T) {
	tests := []struct {
		name        string
		maxAttempts int
		throttles   int // requests throttled before the server answers
		wantHTTP    int
		wantErr     bool
	}{
		{"throttled throughout, default attempts", retry.DefaultMaxAttempts, 1 << 30, retry.DefaultMaxAttempts, true},
		{"throttled throughout, retries off", 1, 1 << 30, 1, true},
		{"throttled twice, then served", retry.DefaultMaxAttempts, 2, 3, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var requests atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				n := requests.Add(1)
				if n <= int64(tt.throttles) {
					writeDynamoDB(w, http.StatusBadRequest, `{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"The level of configured provisioned throughput for the table was exceeded."}`)
					return
				}
				writeDynamoDB(w, http.StatusOK, `{}`) // GetItem of an absent item
			}))
			defer srv.Close()
			client := dynamodb.New(dynamodb.Options{
				Region:       "us-east-1",
				BaseEndpoint: aws.String(srv.URL),
				Credentials:  dynamotest.LocalCredentials,
				Retryer: retry.NewStandard(func(o *retry.StandardOptions) {
					o.MaxAttempts = tt.maxAttempts
					// The backoff is the retryer's; zero keeps the test
					// fast without changing what is retried.
					o.Backoff = retry.BackoffDelayerFunc(func(int, error) (time.Duration, error) { return 0, nil })
				}),
			})
			var calls callLog
			repo := faultRepo[cart](t, client, &calls)
			_, err := repo.Get(context.Background(), "abc")
			if got := int(requests.Load()); got != tt.wantHTTP {
				t.Errorf("server saw %d requests, want %d", got, tt.wantHTTP)
			}
			if n := calls.count(""); n != 1 {
				t.Errorf("repository made %d calls, want 1", n)
			}
			if tt.wantErr {
				if !isThrottled(err) {
					t.Fatalf("Get = %v, want a ProvisionedThroughputExceededException", err)
				}
				return
			}
			if !errors.Is(err, dynamosession.ErrNotFound) {
				t.Fatalf("Get after the retryer absorbed the throttling = %v, want ErrNotFound", err)
			}
		})
	}
}

// writeDynamoDB answers as DynamoDB does, CRC32 header included, so the
// SDK's response checks pass.
func writeDynamoDB(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.0")
	w.Header().Set("X-Amz-Crc32", fmt.Sprint(crc32.ChecksumIEEE([]byte(body))))
	w.Header().Set("X-Amzn-Requestid", "test")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

// TestDeadlinesOnDynamoDBLocal saves under deadlines short enough to cut
// requests off at any point on a real server, and reads the record after
// each: it is always one whole save (count, items and user agree), a save
// that reported success is what is stored, and a save that was cut off
// either never shows or shows whole. It also measures a fact callers must
// know: a cut-off write can land after the caller's next read, so "it
// failed" is not "it did not happen" (retry with a fresh Get, which the
// version condition makes safe).
func TestDeadlinesOnDynamoDBLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: skipping the DynamoDB Local deadline test")
	}
	client := dynamotest.Client(t)
	table := dynamotest.CreateTable(t, client, "id", "")
	repo, err := dynamosession.New[cart](client, table, func(o *dynamosession.Options[cart]) {
		o.Versioned = true
		o.Codec = codec.Msgpack[cart]()
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := consistency.WithStrongRead(context.Background())
	id := newID(t)
	whole := func(round int) cart {
		return cart{User: fmt.Sprint(round), Count: round, Items: []string{fmt.Sprint("item ", round)}}
	}
	if _, err := repo.Put(ctx, id, whole(0)); err != nil {
		t.Fatal(err)
	}
	// Deadlines spread over twice the time a save takes here, measured
	// after a warm-up, so that they cut requests at every stage on a fast
	// machine and on a loaded one alike.
	var took []time.Duration
	for range 20 {
		s, err := repo.Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		s.Data.Items = append(s.Data.Items, "warm-up")
		start := time.Now()
		if err := repo.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
		took = append(took, time.Since(start))
		s.Data = whole(0)
		if err := repo.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
	}
	slices.Sort(took)
	spread := 2 * took[len(took)/2]
	const rounds = 150
	var ok, conflicts, cut, cutSeen, cutSeenLate int
	attempted := map[int]bool{0: true} // rounds whose save may be stored
	pending := map[int]bool{}          // cut-off saves not seen yet
	lastVersion := int64(1)
	read := func(round int) *dynamosession.Session[cart] {
		t.Helper()
		got, err := repo.Get(ctx, id)
		if err != nil {
			t.Fatalf("round %d: Get = %v", round, err)
		}
		m := got.Data.Count
		if diff := cmp.Diff(whole(m), got.Data); diff != "" || !attempted[m] {
			t.Fatalf("round %d: stored record is not one whole save (-save %d +stored):\n%s", round, m, diff)
		}
		if got.Version < lastVersion {
			t.Fatalf("round %d: version went back from %d to %d", round, lastVersion, got.Version)
		}
		lastVersion = got.Version
		if pending[m] {
			delete(pending, m)
			cutSeen++
			if m < round {
				cutSeenLate++ // it was not there when round m read after its save
			}
		}
		return got
	}
	for round := 1; round <= rounds; round++ {
		s := read(round)
		s.Data = whole(round)
		attempted[round] = true
		cctx, cancel := context.WithTimeout(ctx, rand.N(spread))
		err := repo.Save(cctx, s)
		cancel()
		switch {
		case err == nil:
			ok++
			if got := read(round); got.Data.Count != round {
				t.Fatalf("round %d: Save succeeded but the record holds save %d", round, got.Data.Count)
			}
		case errors.Is(err, context.DeadlineExceeded):
			cut++
			pending[round] = true
			read(round)
		case errors.Is(err, dynamosession.ErrConflict):
			conflicts++ // an earlier cut-off save landed after this round's read
			read(round)
		default:
			t.Fatalf("round %d: Save = %v, want success, a deadline or a conflict", round, err)
		}
	}
	t.Logf("%d saves under random deadlines from 0 to %v (twice the median save): %d succeeded, %d cut off, %d conflicts; "+
		"of the cut-off saves %d were stored after all, %d of them only after the caller's next read",
		rounds, spread.Round(time.Microsecond), ok, cut, conflicts, cutSeen, cutSeenLate)
}
