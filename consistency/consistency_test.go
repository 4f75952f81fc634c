package consistency_test

import (
	"context"
	"testing"

	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/internal/readconsistency"
)

// adminPaths is a Policy a user writes: strong reads for requests marked
// as admin ones.
type adminPaths struct{}

type adminKey struct{}

func (adminPaths) ConsistentRead(ctx context.Context) bool { return ctx.Value(adminKey{}) != nil }

// TestPolicies: the context's override wins over the repository's policy,
// the innermost override over an outer one, and a nil policy is eventual.
func TestPolicies(t *testing.T) {
	bg := context.Background()
	admin := context.WithValue(bg, adminKey{}, true)
	tests := []struct {
		name string
		ctx  context.Context
		p    consistency.Policy
		want bool
	}{
		{"eventual", bg, consistency.Eventual, false},
		{"strong", bg, consistency.Strong, true},
		{"nil policy is eventual", bg, nil, false},
		{"a policy of one's own", admin, adminPaths{}, true},
		{"a policy of one's own, not admin", bg, adminPaths{}, false},
		{"override to strong", consistency.WithStrongRead(bg), consistency.Eventual, true},
		{"override to eventual", consistency.WithEventualRead(bg), consistency.Strong, false},
		{"override beats one's own policy", consistency.WithEventualRead(admin), adminPaths{}, false},
		{"innermost override wins", consistency.WithEventualRead(consistency.WithStrongRead(bg)), consistency.Eventual, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := readconsistency.Strong(tt.ctx, tt.p); got != tt.want {
				t.Errorf("strong read = %v, want %v", got, tt.want)
			}
		})
	}
}
