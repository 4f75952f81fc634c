package ctxtime_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/dynamosession/dynamosession/internal/ctxtime"
)

func TestSleep(t *testing.T) {
	if err := ctxtime.Sleep(context.Background(), 0); err != nil {
		t.Errorf("Sleep(0) = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := ctxtime.Sleep(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Errorf("Sleep with a canceled context = %v, want context.Canceled", err)
	}
}
