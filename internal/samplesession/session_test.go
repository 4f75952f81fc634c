package samplesession_test

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/internal/samplesession"
)

func TestNewSize(t *testing.T) {
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	for _, size := range []int{512, 1024, 2048, 4096, 16 << 10} {
		for seed := range uint64(3) {
			t.Run(fmt.Sprintf("%d/seed%d", size, seed), func(t *testing.T) {
				s := samplesession.New(rand.New(rand.NewPCG(seed, 0)), size, now)
				b, err := json.Marshal(s)
				if err != nil {
					t.Fatal(err)
				}
				if n := len(b); n > size || n < size-16 {
					t.Errorf("JSON is %d bytes, want %d minus at most 16", n, size)
				}
				again := samplesession.New(rand.New(rand.NewPCG(seed, 0)), size, now)
				if diff := cmp.Diff(s, again); diff != "" {
					t.Errorf("same seed, different session (-first +second):\n%s", diff)
				}
			})
		}
	}
}
