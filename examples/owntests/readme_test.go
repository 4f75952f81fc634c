package owntests_test

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEOwnTests keeps the README's "Your own tests" example and
// cart_test.go the same text, so the README shows a test that runs.
func TestREADMEOwnTests(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("cart_test.go")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "```go\n"+string(src)+"```") {
		t.Fatal("README.md's own-tests example differs from examples/owntests/cart_test.go; copy the file into the README")
	}
}
