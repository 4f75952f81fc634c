// Package consistency decides, per read, whether a repository asks DynamoDB
// for a strongly consistent read.
//
// An eventually consistent read costs half as much (0.5 read unit per 4 KB
// against 1) and is what almost every request needs. The exception is the
// request right after a write on another connection, typically the page
// after login: it must see the session the login just wrote. Mark that one
// request's context with [WithStrongRead] instead of paying for strong reads
// everywhere.
package consistency

import "context"

// A Policy decides whether a read made with ctx is strongly consistent.
type Policy interface {
	ConsistentRead(ctx context.Context) bool
}

// PolicyFunc adapts a function to a [Policy].
type PolicyFunc func(ctx context.Context) bool

// ConsistentRead calls f(ctx).
func (f PolicyFunc) ConsistentRead(ctx context.Context) bool { return f(ctx) }

// The two fixed policies. Eventual is the repository default.
var (
	Eventual Policy = PolicyFunc(func(context.Context) bool { return false })
	Strong   Policy = PolicyFunc(func(context.Context) bool { return true })
)

type overrideKey struct{}

// WithStrongRead returns a context whose reads are strongly consistent
// whatever the repository's policy: use it for the request that must read
// its own write.
func WithStrongRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, overrideKey{}, true)
}

// WithEventualRead returns a context whose reads are eventually consistent
// whatever the repository's policy.
func WithEventualRead(ctx context.Context) context.Context {
	return context.WithValue(ctx, overrideKey{}, false)
}

// Resolve reports whether a read with ctx is strongly consistent: a context
// override wins, then p; a nil p means [Eventual].
func Resolve(ctx context.Context, p Policy) bool {
	if v, ok := ctx.Value(overrideKey{}).(bool); ok {
		return v
	}
	if p == nil {
		return false
	}
	return p.ConsistentRead(ctx)
}
