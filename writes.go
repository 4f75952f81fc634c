package dynamosession

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"sync/atomic"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/middleware"
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
}

func newWrite() *write {
	return &write{names: make(map[string]string, 6), values: make(map[string]types.AttributeValue, 8)}
}

// update returns the update expression, "SET a = :a, b = :b REMOVE c".
func (w *write) update() *string {
	var b strings.Builder
	if len(w.set) > 0 {
		b.WriteString("SET ")
		b.WriteString(strings.Join(w.set, ", "))
	}
	if len(w.remove) > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("REMOVE ")
		b.WriteString(strings.Join(w.remove, ", "))
	}
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

func (w *write) valuesOrNil() map[string]types.AttributeValue {
	if len(w.values) == 0 {
		return nil
	}
	return w.values
}

// Write tokens. A versioned write stores, beside the version, the tokens of
// the last writeTokens writes, newest first: 8 random bytes each, in one B
// attribute of writeTokens × 8 = 32 bytes. The SDK retries a request whose
// response was lost (a reset connection, a timeout), and when the first
// attempt had landed the retry fails its condition against the item that
// attempt wrote, or against a later write that built on it. Finding its
// own token in the list, the write knows it landed. Comparing data instead
// would be wrong: two Updates that both increment 1 to 2 write the same
// bytes, and taking the rival's write for ours loses an increment.
//
// When more than writeTokens-1 writes landed between a lost response and
// its retry, or the session was deleted or replaced by a writer that keeps
// no tokens (a Node.js store), the token is gone and nothing stored can
// tell; the write then reports ErrOutcomeUnknown instead of guessing.
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
	b, ok := item[r.opts.WriteTokenAttr].(*types.AttributeValueMemberB)
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
