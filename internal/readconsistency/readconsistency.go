// Package readconsistency decides, for the repository and the adapters
// built on it, whether one read is strongly consistent: the context's
// override (set by consistency.WithStrongRead or WithEventualRead) first,
// then the repository's policy. It lives here, not in package
// consistency, because only this repository asks the question; users set
// a policy or mark a context and never need the answer.
package readconsistency

import "context"

// Policy is consistency.Policy, declared again so that package
// consistency can import this one.
type Policy interface {
	ConsistentRead(ctx context.Context) bool
}

type overrideKey struct{}

// WithOverride returns a context whose reads are strongly consistent when
// strong is true and eventually consistent when it is false, whatever the
// repository's policy.
func WithOverride(ctx context.Context, strong bool) context.Context {
	return context.WithValue(ctx, overrideKey{}, strong)
}

// Strong reports whether a read with ctx is strongly consistent: a context
// override wins (the innermost, if several), then p; a nil p means
// eventually consistent, the repository's default.
func Strong(ctx context.Context, p Policy) bool {
	if v, ok := ctx.Value(overrideKey{}).(bool); ok {
		return v
	}
	if p == nil {
		return false
	}
	return p.ConsistentRead(ctx)
}
