package consistency_test

import (
	"context"
	"testing"

	"github.com/dynamosession/dynamosession/consistency"
)

func TestResolve(t *testing.T) {
	bg := context.Background()
	tests := []struct {
		name string
		ctx  context.Context
		p    consistency.Policy
		want bool
	}{
		{"eventual", bg, consistency.Eventual, false},
		{"strong", bg, consistency.Strong, true},
		{"nil policy is eventual", bg, nil, false},
		{"override to strong", consistency.WithStrongRead(bg), consistency.Eventual, true},
		{"override to eventual", consistency.WithEventualRead(bg), consistency.Strong, false},
		{"innermost override wins", consistency.WithEventualRead(consistency.WithStrongRead(bg)), consistency.Eventual, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := consistency.Resolve(tt.ctx, tt.p); got != tt.want {
				t.Errorf("Resolve = %v, want %v", got, tt.want)
			}
		})
	}
}
