package dynamosession

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/middleware"

	"github.com/dynamosession/dynamosession/internal/capacity"
)

// write collects the parts of one conditional write: attribute names and
// values under placeholders, the SET and REMOVE clauses of an update, and
// condition clauses that must all hold.
type write struct {
	names  map[string]string
	values map[string]types.AttributeValue
	set    []string
	remove []string
	cond   []string

	// The clauses' first backing arrays, in the write itself (a write
	// rarely has more clauses): growing the slices from nil cost every
	// write an allocation or two.
	setBuf, condBuf [6]string
}

func newWrite() *write {
	w := &write{names: make(map[string]string, 6), values: make(map[string]types.AttributeValue, 8)}
	w.set, w.cond = w.setBuf[:0], w.condBuf[:0]
	return w
}

// update returns the update expression, "SET a = :a, b = :b REMOVE c".
func (w *write) update() *string {
	// Sized first, and the clauses written in place: joining them first
	// and growing the builder cost every write two allocations more.
	n := len("SET  REMOVE ")
	for _, cs := range [2][]string{w.set, w.remove} {
		for _, c := range cs {
			n += len(c) + len(", ")
		}
	}
	var b strings.Builder
	b.Grow(n)
	clauses := func(verb string, cs []string) {
		if len(cs) == 0 {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(verb)
		for i, c := range cs {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c)
		}
	}
	clauses("SET ", w.set)
	clauses("REMOVE ", w.remove)
	s := b.String()
	return &s
}

// condition returns the condition clauses joined with AND, or nil.
func (w *write) condition() *string {
	if len(w.cond) == 0 {
		return nil
	}
	s := strings.Join(w.cond, " AND ")
	return &s
}

// expressions returns the update expression, as update does, and the
// condition clauses joined with AND ("" for none), cut from one string:
// a Save spent four allocations on the two and their pointers.
func (w *write) expressions() (update, condition string) {
	n := len("SET  REMOVE ")
	for _, cs := range [3][]string{w.set, w.remove, w.cond} {
		for _, c := range cs {
			n += len(c) + len(" AND ")
		}
	}
	var b strings.Builder
	b.Grow(n)
	clauses := func(verb, sep string, cs []string) {
		if len(cs) == 0 {
			return
		}
		if b.Len() > 0 && verb != "" {
			b.WriteByte(' ')
		}
		b.WriteString(verb)
		for i, c := range cs {
			if i > 0 {
				b.WriteString(sep)
			}
			b.WriteString(c)
		}
	}
	clauses("SET ", ", ", w.set)
	clauses("REMOVE ", ", ", w.remove)
	u := b.Len()
	clauses("", " AND ", w.cond)
	both := b.String()
	return both[:u], both[u:]
}

// updateRequest is the UpdateItem a Save sends, with its write and what
// the input's pointers point to (the key's value, the expressions), in one
// allocation rather than six. The expiry's value is not among them: a
// read cache keeps the written values, and would keep the whole request
// with it.
type updateRequest struct {
	write
	in                dynamodb.UpdateItemInput
	key               types.AttributeValueMemberS
	update, condition string
}

// newUpdateRequest returns an updateRequest for the item at key, its write
// ready for clauses (as newWrite's).
func (r *Repo[T]) newUpdateRequest(key string) *updateRequest {
	u := &updateRequest{key: types.AttributeValueMemberS{Value: key}}
	u.names, u.values = make(map[string]string, 6), make(map[string]types.AttributeValue, 8)
	u.set, u.cond = u.setBuf[:0], u.condBuf[:0]
	u.in = dynamodb.UpdateItemInput{
		TableName: &r.table,
		Key:       map[string]types.AttributeValue{r.opts.KeyAttr: &u.key},
	}
	return u
}

// input returns the request's input with the write's expressions, names
// and values; ReturnValuesOnConditionCheckFailure is the caller's.
func (u *updateRequest) input() *dynamodb.UpdateItemInput {
	u.update, u.condition = u.expressions()
	u.in.UpdateExpression = &u.update
	if u.condition != "" {
		u.in.ConditionExpression = &u.condition
	}
	u.in.ExpressionAttributeNames, u.in.ExpressionAttributeValues = u.names, u.valuesOrNil()
	return &u.in
}

// extraSet is an attribute the codec writes beside the data (codec.JSON's
// connect-dynamodb `type`) with its placeholders and SET clause, made once
// by New: every Save built them afresh (two allocations).
type extraSet struct {
	name                    string
	v                       types.AttributeValue
	namePH, valuePH, clause string
}

// newExtraSets returns the extraSets of extras, in the order of their
// names, and the size they add to an item (capacity.ItemSize of extras).
func newExtraSets(extras map[string]types.AttributeValue) ([]extraSet, int) {
	out := make([]extraSet, 0, len(extras))
	for i, name := range slices.Sorted(maps.Keys(extras)) {
		n, ph := "#x"+strconv.Itoa(i), ":x"+strconv.Itoa(i)
		out = append(out, extraSet{name, extras[name], n, ph, n + " = " + ph})
	}
	return out, capacity.ItemSize(extras)
}

// tooLarge returns an error wrapping ErrItemTooLarge when an item of size
// bytes (capacity.ItemSize) is larger than DynamoDB stores.
func tooLarge(size int) error {
	if size > capacity.MaxItemBytes {
		return fmt.Errorf("%w: %d bytes", ErrItemTooLarge, size)
	}
	return nil
}

func (w *write) valuesOrNil() map[string]types.AttributeValue {
	if len(w.values) == 0 {
		return nil
	}
	return w.values
}

// Write tokens. A versioned write stores, beside the version, the tokens of
// the last writeTokens writes, newest first: 8 random bytes each, in one B
// attribute of writeTokens × 8 = 32 bytes. When a write's response is lost
// (see provenRetries below), reading the item back settles it: its own
// token among the last four means it landed, even if other writes built on
// it since. Comparing data instead would be wrong: two Updates that both
// increment 1 to 2 write the same bytes, and taking the rival's write for
// ours loses an increment.
//
// When more than writeTokens-1 writes landed after it, or the session was
// deleted or replaced by a writer that keeps no tokens (a Node.js store),
// the token is gone and nothing stored can tell; the write then reports
// ErrOutcomeUnknown instead of guessing. A client that retries by itself,
// outside the SDK's retryer, may still send a write twice: the token list
// then recognises the second attempt's failed condition (landed), and the
// attempt count tells a certain conflict from an uncertain one.
const (
	writeTokens = 4
	tokenBytes  = 8
)

// newToken returns the random bytes that mark one versioned write.
func newToken() []byte {
	b := make([]byte, tokenBytes)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24
	return b
}

// tokenList returns token followed by the newest whole tokens of stored,
// at most writeTokens in all.
func tokenList(token, stored []byte) []byte {
	keep := min(len(stored)/tokenBytes, writeTokens-1) * tokenBytes
	out := make([]byte, 0, len(token)+keep)
	return append(append(out, token...), stored[:keep]...)
}

// landed reports whether item, the stored item a conditional write failed
// against, holds token among its recent write tokens: the write whose
// retry failed had landed.
func (r *Repo[T]) landed(item map[string]types.AttributeValue, token []byte) bool {
	if token == nil || item == nil {
		return false
	}
	b, ok := item[tokenAttr].(*types.AttributeValueMemberB)
	if !ok {
		return false
	}
	for list := b.Value; len(list) >= tokenBytes; list = list[tokenBytes:] {
		if bytes.Equal(list[:tokenBytes], token) {
			return true
		}
	}
	return false
}

// attempts counts the HTTP attempts the SDK's retryer makes for one call,
// so that a failed condition can be told apart: after a single attempt it
// is certain that this write did not land; after a retry it may have. A
// client that ignores the option (the in-memory fake, a test double)
// counts zero, which is read as one attempt: such a client never retries
// by itself.
type attempts struct{ n atomic.Int32 }

// option is a per-call option that installs the counter right after the
// SDK's retry middleware, where it runs once per attempt.
func (a *attempts) option(o *dynamodb.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		m := middleware.FinalizeMiddlewareFunc("dynamosession.CountAttempts",
			func(ctx context.Context, in middleware.FinalizeInput, next middleware.FinalizeHandler) (middleware.FinalizeOutput, middleware.Metadata, error) {
				a.n.Add(1)
				return next.HandleFinalize(ctx, in)
			})
		if err := st.Finalize.Insert(m, "Retry", middleware.After); err != nil {
			return st.Finalize.Add(m, middleware.After) // a stack without the standard retryer
		}
		return nil
	})
}

func (a *attempts) retried() bool { return a.n.Load() > 1 }

// Lost responses. The SDK's retryer sends a request again after a lost
// response (a reset connection, a timeout, a 5xx), but a versioned write
// whose first attempt landed must not land again: a retried Put would
// recreate a session deleted in the meantime. So versioned writes let the
// retryer retry only errors that prove the request was not applied
// (throttling, a connection that was never made), and settle any other
// failure by reading the item back: their own write token there means the
// write landed; the item exactly as it was read means it did not; anything
// else is ErrOutcomeUnknown.

// provenRetries is the per-call option that installs that retry policy.
func provenRetries(o *dynamodb.Options) {
	if o.Retryer != nil {
		o.Retryer = provenRetryer{o.Retryer}
	}
}

// provenRetryer is the client's retryer (its attempts, backoff and retry
// quota), retrying only errors after which the request was not applied.
type provenRetryer struct{ aws.Retryer }

func (p provenRetryer) IsErrorRetryable(err error) bool {
	return notApplied(err) && p.Retryer.IsErrorRetryable(err)
}

// notApplied reports an error that proves DynamoDB did not apply the
// request: it refused it for throughput (AWS documents throttled requests
// as not processed), or the connection was never made.
func notApplied(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded":
			return true
		}
		return false
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// maybeApplied reports an error after which a write may have landed: not a
// failed condition, not a request DynamoDB refused as the client's fault
// (validation, a missing table, throttling), but a lost response, a
// timeout, a canceled context or a server error.
func maybeApplied(err error) bool {
	if err == nil || notApplied(err) {
		return false
	}
	if _, ok := isConditionFailed(err); ok {
		return false
	}
	var ae smithy.APIError
	return !errors.As(err, &ae) || ae.ErrorFault() != smithy.FaultClient
}

// storedNow reads the item at key strongly consistent (1 read unit per
// started 4 KB), to settle a write whose outcome an error left open.
func (r *Repo[T]) storedNow(ctx context.Context, key string) (map[string]types.AttributeValue, error) {
	out, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName: &r.table, Key: r.keyAV(key), ConsistentRead: aws.Bool(true),
	})
	if err != nil {
		return nil, err
	}
	return out.Item, nil
}

// asRead reports whether item is provably the record s was read from,
// untouched since: the same version and the same random write tokens. A
// record without a version (another store wrote it last) proves nothing:
// the same data could be a write of ours that such a store, which keeps no
// tokens, overwrote with what it had read (found by a breaker).
func (r *Repo[T]) asRead(item map[string]types.AttributeValue, s *Session[T]) bool {
	if item == nil || item[r.opts.DataAttr] == nil || !s.hasVersion || s.tokens == nil {
		return false
	}
	v, hasV := item[versionAttr].(*types.AttributeValueMemberN)
	if hasV != s.hasVersion || hasV && v.Value != strconv.FormatInt(s.Version, 10) {
		return false
	}
	w, _ := item[tokenAttr].(*types.AttributeValueMemberB)
	if (w == nil) != (s.tokens == nil) || w != nil && !bytes.Equal(w.Value, s.tokens) {
		return false
	}
	return true
}
