package ttl_test

import (
	"testing"
	"time"

	"github.com/dynamosession/dynamosession/internal/ttlcheck"
	"github.com/dynamosession/dynamosession/ttl"
)

var t0 = time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)

func TestSliding(t *testing.T) {
	const life = 24 * time.Hour
	tests := []struct {
		name string
		now  time.Time
		want time.Time
	}{
		{"on a whole second", t0, t0.Add(life)},
		{"a nanosecond past", t0.Add(time.Nanosecond), t0.Add(life + time.Second)},
		{"0.7 s past: rounded up, never down", t0.Add(700 * time.Millisecond), t0.Add(life + time.Second)},
		{"a nanosecond short", t0.Add(time.Second - time.Nanosecond), t0.Add(life + time.Second)},
		{"before the Unix epoch", time.Unix(-10, 300), time.Unix(-10+int64(life/time.Second)+1, 0)},
	}
	p := ttl.Sliding(life)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := p.Expiry(tt.now); !got.Equal(tt.want) {
				t.Errorf("Expiry(%s) = %s, want %s", tt.now.Format(time.RFC3339Nano), got.Format(time.RFC3339Nano), tt.want.Format(time.RFC3339Nano))
			}
		})
	}
	if p.Lifetime() != life {
		t.Errorf("Lifetime = %v", p.Lifetime())
	}
}

func TestTouchAfter(t *testing.T) {
	const life = 24 * time.Hour
	written := t0
	expires := written.Add(life)
	tests := []struct {
		name     string
		throttle ttl.Throttle
		now      time.Time
		expires  time.Time
		want     bool
	}{
		{"just written", ttl.TouchAfter(time.Hour), written, expires, false},
		{"inside interval", ttl.TouchAfter(time.Hour), written.Add(59 * time.Minute), expires, false},
		{"at interval", ttl.TouchAfter(time.Hour), written.Add(time.Hour), expires, true},
		{"past interval", ttl.TouchAfter(time.Hour), written.Add(5 * time.Hour), expires, true},
		{"no expiry stored", ttl.TouchAfter(time.Hour), written, time.Time{}, true},
		{"lifetime shortened since", ttl.TouchAfter(time.Hour), written, expires.Add(48 * time.Hour), true},
		{"another server's clock a second ahead", ttl.TouchAfter(time.Hour), written.Add(-time.Second), expires, false},
		{"always", ttl.TouchAfter(0), written, expires, true},
		{"never", ttl.Never(), written.Add(23 * time.Hour), expires, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.throttle.Due(tt.now, tt.expires, life); got != tt.want {
				t.Errorf("Due = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDefaultThrottle(t *testing.T) {
	tests := []struct {
		name string
		p    ttl.Policy
		want time.Duration
	}{
		{"a day", ttl.Sliding(24 * time.Hour), 2*time.Hour + 24*time.Minute},
		{"14 days", ttl.Sliding(14 * 24 * time.Hour), 33*time.Hour + 36*time.Minute},
		{"an hour", ttl.Sliding(time.Hour), 6 * time.Minute},
		{"a nanosecond: touch on every read", ttl.Sliding(time.Nanosecond), 0},
		{"no policy: touch on every read", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			th := ttl.DefaultThrottle(tt.p)
			if got := th.Interval(); got != tt.want {
				t.Errorf("interval %v, want %v", got, tt.want)
			}
			if tt.p != nil {
				if err := ttlcheck.Check(tt.p, th); err != nil {
					t.Errorf("the default does not pass the repository's check: %v", err)
				}
			}
		})
	}
}

func TestBadArgumentsPanic(t *testing.T) {
	for name, fn := range map[string]func(){
		"Sliding(0)":      func() { ttl.Sliding(0) },
		"TouchAfter(-1s)": func() { ttl.TouchAfter(-time.Second) },
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Errorf("%s did not panic", name)
				}
			}()
			fn()
		})
	}
}
