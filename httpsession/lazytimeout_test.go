package httpsession

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLazyTimeoutContext: a store phase's context (detach) carries the
// request's values without its cancellation, a load's keeps it; both make
// their timer only when asked for a deadline, and answer context.Cause
// and a child's WithCancel with their own cancellation, never the
// request's: the context package finds the nearest cancelable context
// through Value with a key of type *int.
func TestLazyTimeoutContext(t *testing.T) {
	type key struct{}
	clientGone := errors.New("client hung up")
	newReq := func(t *testing.T, gone bool) context.Context {
		req, cancel := context.WithCancelCause(context.WithValue(context.Background(), key{}, "v"))
		if gone {
			cancel(clientGone)
		}
		t.Cleanup(func() { cancel(nil) })
		return req
	}
	tests := []struct {
		name      string
		detach    bool
		gone      bool // the client hung up before the store's work
		d         time.Duration
		cancel    bool // the store's work is over
		wantErr   error
		wantCause error
	}{
		{"store/running", true, true, time.Hour, false, nil, nil},
		{"store/timed out", true, true, -time.Second, false, context.DeadlineExceeded, context.DeadlineExceeded},
		{"store/canceled", true, true, time.Hour, true, context.Canceled, context.Canceled},
		{"load/running", false, false, time.Hour, false, nil, nil},
		{"load/client gone", false, true, time.Hour, false, context.Canceled, clientGone},
		{"load/timed out", false, false, -time.Second, false, context.DeadlineExceeded, context.DeadlineExceeded},
		{"load/canceled", false, false, time.Hour, true, context.Canceled, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lt := &lazyTimeout{values: newReq(t, tt.gone), d: tt.d, detach: tt.detach}
			if got := lt.Value(key{}); got != "v" {
				t.Errorf("Value = %v, want the request's value", got)
			}
			if lt.ctx != nil {
				t.Errorf("Value made the timer; want it made only for a deadline")
			}
			if tt.cancel {
				lt.cancel()
			}
			defer lt.cancel()
			child, stop := context.WithCancel(lt)
			defer stop()
			if err := lt.Err(); !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Errorf("Err = %v, want %v", err, tt.wantErr)
			}
			if err := child.Err(); (tt.wantErr == nil) != (err == nil) {
				t.Errorf("child's Err = %v, want %v", err, tt.wantErr)
			}
			if got := context.Cause(lt); got != tt.wantCause {
				t.Errorf("Cause = %v, want %v", got, tt.wantCause)
			}
		})
	}
}
