package httpsession

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestLazyTimeoutContext: the store's context carries the request's
// values without its cancellation, makes its timer only when asked for a
// deadline, and answers context.Cause and a child's WithCancel with its
// own cancellation, never the request's: the context package finds the
// nearest cancelable context through Value with a key of type *int.
func TestLazyTimeoutContext(t *testing.T) {
	type key struct{}
	clientGone := errors.New("client hung up")
	newReq := func() context.Context {
		req, cancel := context.WithCancelCause(context.WithValue(context.Background(), key{}, "v"))
		cancel(clientGone)
		return req
	}
	tests := []struct {
		name      string
		d         time.Duration
		cancel    bool // the store's work is over
		wantErr   error
		wantCause error
	}{
		{"running", time.Hour, false, nil, nil},
		{"timed out", -time.Second, false, context.DeadlineExceeded, context.DeadlineExceeded},
		{"canceled", time.Hour, true, context.Canceled, context.Canceled},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lt := &lazyTimeout{values: newReq(), d: tt.d}
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
				t.Errorf("Cause = %v, want %v (never the request's %v)", got, tt.wantCause, clientGone)
			}
		})
	}
}
