// Package ttlcheck holds the rule that ties a touch throttle to the expiry
// policy it throttles. dynamosession.New enforces it on a repository's
// options (wrapping the error in ErrInvalidOptions) and the CLI's cost
// model on a workload, so both refuse the same configurations.
package ttlcheck

import (
	"errors"
	"fmt"

	"github.com/dynamosession/dynamosession/ttl"
)

// ErrThrottleOutlivesTTL reports a touch interval that is not shorter than
// the lifetime it throttles: a session would expire before its first
// touch.
var ErrThrottleOutlivesTTL = errors.New("ttl: touch interval must be shorter than the TTL lifetime")

// Check returns nil when t can keep a session under p alive, that is when
// both are set, p's lifetime is positive and t's interval is shorter than
// it; otherwise an error saying which (wrapping [ErrThrottleOutlivesTTL]
// for an interval too long).
func Check(p ttl.Policy, t ttl.Throttle) error {
	if p == nil || t == nil {
		return errors.New("ttl: nil policy or throttle")
	}
	if p.Lifetime() <= 0 {
		return fmt.Errorf("ttl: lifetime %v must be positive", p.Lifetime())
	}
	if iv := t.Interval(); iv >= p.Lifetime() {
		return fmt.Errorf("%w: interval %v, lifetime %v", ErrThrottleOutlivesTTL, iv, p.Lifetime())
	}
	return nil
}
