package sessionid_test

import (
	"testing"

	"github.com/dynamosession/dynamosession/internal/sessionid"
)

func TestNew(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		id := sessionid.New()
		if len(id) != 43 || seen[id] {
			t.Fatalf("New() = %q: want 43 characters, never repeated", id)
		}
		seen[id] = true
	}
}
