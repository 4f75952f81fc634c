package ttl_test

import (
	"errors"
	"testing"
	"time"

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
		{"always", ttl.Always(), written, expires, true},
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
				if err := ttl.Validate(tt.p, th); err != nil {
					t.Errorf("the default does not validate: %v", err)
				}
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name    string
		p       ttl.Policy
		th      ttl.Throttle
		wantErr error
	}{
		{"default", ttl.Sliding(24 * time.Hour), ttl.TouchAfter(time.Hour), nil},
		{"interval equals lifetime", ttl.Sliding(time.Hour), ttl.TouchAfter(time.Hour), ttl.ErrThrottleOutlivesTTL},
		{"interval longer", ttl.Sliding(time.Hour), ttl.TouchAfter(2 * time.Hour), ttl.ErrThrottleOutlivesTTL},
		{"always", ttl.Sliding(time.Minute), ttl.Always(), nil},
		{"never", ttl.Sliding(time.Minute), ttl.Never(), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := ttl.Validate(tt.p, tt.th)
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Validate = %v, want %v", err, tt.wantErr)
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

func TestParseExpiry(t *testing.T) {
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{"1800003600", time.Unix(1800003600, 0), false},
		{"1800003600.25", time.Unix(1800003600, 250_000_000), false},
		{"1800003600250", time.Unix(1800003600, 250_000_000), false},
		{"1e9", time.Unix(1_000_000_000, 0), false},
		{"NaN", time.Time{}, true},
		{"soon", time.Time{}, true},
		{"-5", time.Unix(-5, 0), false},
		{"1e21", time.Unix(1e18, 0), false}, // milliseconds: the last second read
		{"-1e18", time.Unix(-1e18, 0), false},
	}
	for _, tt := range tests {
		got, err := ttl.ParseExpiry(tt.in)
		if (err != nil) != tt.wantErr || !got.Equal(tt.want) {
			t.Errorf("ParseExpiry(%q) = %v, %v; want %v (error %v)", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if got := ttl.FormatExpiry(time.Unix(1800003600, 999_000_000)); got != "1800003600" {
		t.Errorf("FormatExpiry = %q", got)
	}
}

// TestParseExpiryOutOfRange: a stored expiry beyond what an int64 of
// seconds holds was converted with Go's float-to-int conversion, whose
// result is implementation-specific: MinInt64 on amd64 (the session read
// as expired), saturated on arm64 (never expiring). Every such value is
// now an error wrapping ErrExpiryRange, on every platform.
func TestParseExpiryOutOfRange(t *testing.T) {
	for _, in := range []string{"1e125", "-1e125", "9.9999999999999999999999999999999999999E+125", "1.0000001e21", "-1.0000001e18", "9.3e21", "-9223372036854775808", "1e300"} {
		t.Run(in, func(t *testing.T) {
			got, err := ttl.ParseExpiry(in)
			if !errors.Is(err, ttl.ErrExpiryRange) {
				t.Errorf("ParseExpiry(%q) = %v, %v; want an error wrapping ErrExpiryRange", in, got, err)
			}
		})
	}
}

func TestParseThrottle(t *testing.T) {
	for in, want := range map[string]time.Duration{"1h": time.Hour, "30m": 30 * time.Minute, "always": 0, "NEVER": -1} {
		th, err := ttl.ParseThrottle(in)
		if err != nil || th == nil || th.Interval() != want {
			t.Errorf("ParseThrottle(%q) = %v, %v; want interval %v", in, th, err, want)
		}
	}
	// The empty string leaves the choice to the repository's default.
	if th, err := ttl.ParseThrottle(""); th != nil || err != nil {
		t.Errorf(`ParseThrottle("") = %v, %v; want nil, nil`, th, err)
	}
	for _, in := range []string{"soon", "-1h"} {
		if _, err := ttl.ParseThrottle(in); err == nil {
			t.Errorf("ParseThrottle(%q) succeeded", in)
		}
	}
}
