package ttlcheck_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/dynamosession/dynamosession/internal/ttlcheck"
	"github.com/dynamosession/dynamosession/ttl"
)

// noLifetime is a Policy a user might write that has no lifetime.
type noLifetime struct{}

func (noLifetime) Expiry(now time.Time) time.Time { return now }
func (noLifetime) Lifetime() time.Duration        { return 0 }

func TestCheck(t *testing.T) {
	tests := []struct {
		name    string
		p       ttl.Policy
		th      ttl.Throttle
		wantIs  error  // a sentinel the error must wrap
		wantErr string // a substring of the error; "" for nil
	}{
		{"interval shorter", ttl.Sliding(24 * time.Hour), ttl.TouchAfter(time.Hour), nil, ""},
		{"interval equals lifetime", ttl.Sliding(time.Hour), ttl.TouchAfter(time.Hour), ttlcheck.ErrThrottleOutlivesTTL, "interval 1h0m0s, lifetime 1h0m0s"},
		{"interval longer", ttl.Sliding(time.Hour), ttl.TouchAfter(2 * time.Hour), ttlcheck.ErrThrottleOutlivesTTL, "interval 2h0m0s"},
		{"always", ttl.Sliding(time.Minute), ttl.TouchAfter(0), nil, ""},
		{"never", ttl.Sliding(time.Minute), ttl.Never(), nil, ""},
		{"default of a nanosecond", ttl.Sliding(time.Nanosecond), ttl.DefaultThrottle(ttl.Sliding(time.Nanosecond)), nil, ""},
		{"no lifetime", noLifetime{}, ttl.TouchAfter(0), nil, "lifetime 0s must be positive"},
		{"nil policy", nil, ttl.TouchAfter(0), nil, "nil policy"},
		{"nil throttle", ttl.Sliding(time.Hour), nil, nil, "nil policy or throttle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ttlcheck.Check(tt.p, tt.th)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Check = %v, want nil", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Check = %v, want an error saying %q", err, tt.wantErr)
			case tt.wantIs != nil && !errors.Is(err, tt.wantIs):
				t.Fatalf("Check = %v, want an error wrapping %v", err, tt.wantIs)
			}
		})
	}
}
