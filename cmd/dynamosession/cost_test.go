package main

import (
	"errors"
	"testing"
	"time"
)

// TestParseTouch: the -touch flag's spellings, and a usage error (exit
// status 2) for anything else.
func TestParseTouch(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want time.Duration // the throttle's interval
	}{
		{"1h", time.Hour},
		{"30m", 30 * time.Minute},
		{"0s", 0},
		{"always", 0},
		{"NEVER", -1},
	} {
		t.Run(tt.in, func(t *testing.T) {
			th, err := parseTouch(tt.in)
			if err != nil || th == nil || th.Interval() != tt.want {
				t.Errorf("parseTouch(%q) = %v, %v; want interval %v", tt.in, th, err, tt.want)
			}
		})
	}
	t.Run("empty leaves the repository's default", func(t *testing.T) {
		if th, err := parseTouch(""); th != nil || err != nil {
			t.Errorf(`parseTouch("") = %v, %v; want nil, nil`, th, err)
		}
	})
	for _, in := range []string{"soon", "-1h", "1 hour"} {
		t.Run(in, func(t *testing.T) {
			var usage usageError
			if th, err := parseTouch(in); !errors.As(err, &usage) {
				t.Errorf("parseTouch(%q) = %v, %v; want a usage error", in, th, err)
			}
		})
	}
}
