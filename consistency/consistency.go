// Package consistency decides, per read, whether a repository asks DynamoDB
// for a strongly consistent read.
//
// An eventually consistent read costs half as much (0.5 read unit per 4 KB
// against 1) and is what almost every request needs. The exception is the
// request right after a write on another connection, typically the page
// after login: it must see the session the login just wrote. Mark that one
// request's context with [WithStrongRead] instead of paying for strong reads
// everywhere.
//
// A context marked with [WithStrongRead] or [WithEventualRead] wins over
// the repository's [Policy]; otherwise the policy decides.
package consistency

import (
	"context"

	"github.com/dynamosession/dynamosession/internal/readconsistency"
)

// A Policy decides whether a read made with ctx is strongly consistent.
// [Eventual] and [Strong] cover most needs; to decide per request (strong
// reads for an admin path, say), implement the one method on a type of
// your own. A context override from [WithStrongRead] or
// [WithEventualRead] is applied before the policy is asked.
type Policy interface {
	ConsistentRead(ctx context.Context) bool
}

// The two fixed policies. Eventual is the repository default.
var (
	Eventual Policy = fixed(false)
	Strong   Policy = fixed(true)
)

type fixed bool

func (f fixed) ConsistentRead(context.Context) bool { return bool(f) }

// WithStrongRead returns a context whose reads are strongly consistent
// whatever the repository's policy: use it for the request that must read
// its own write.
func WithStrongRead(ctx context.Context) context.Context {
	return readconsistency.WithOverride(ctx, true)
}

// WithEventualRead returns a context whose reads are eventually consistent
// whatever the repository's policy.
func WithEventualRead(ctx context.Context) context.Context {
	return readconsistency.WithOverride(ctx, false)
}
