package main

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestREADMECostTable keeps the README's cost table what `dynamosession
// cost` prints, so the figures cannot drift from the code: `make readme`
// (scripts/readme-figures) regenerates it.
func TestREADMECostTable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the whole cost model (seconds)")
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- cost-table:begin", "<!-- cost-table:end"
	text := string(readme)
	i, j := strings.Index(text, begin), strings.Index(text, end)
	if i < 0 || j < i {
		t.Fatal("README.md has no cost-table markers")
	}
	block := text[i:j]
	var want []string
	for _, line := range strings.Split(block, "\n")[1:] {
		if strings.HasPrefix(line, "|") {
			want = append(want, line)
		}
	}
	out := cli(t, t.Context(), nil, nil, "cost")
	var got []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "|") {
			got = append(got, line)
		}
	}
	if len(got) == 0 {
		t.Fatalf("dynamosession cost printed no table:\n%s", out)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("README.md's cost table is not what dynamosession cost prints; run `make readme` (-README +command):\n%s", diff)
	}
}
