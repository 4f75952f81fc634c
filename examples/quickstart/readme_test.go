package main

import (
	"os"
	"strings"
	"testing"
)

// TestREADMEQuickStart keeps the README's quick start and this program the
// same text, so the README shows code that compiles.
func TestREADMEQuickStart(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	code := string(src)
	code = code[strings.Index(code, "package main"):]
	if !strings.Contains(string(readme), "```go\n"+code+"```") {
		t.Fatal("README.md's quick start differs from examples/quickstart/main.go; copy main.go (from `package main`) into the README")
	}
}
