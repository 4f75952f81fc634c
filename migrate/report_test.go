package migrate

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/codec"
)

// TestTallyReport: the checkpoint's counts become a Report: skip reasons
// and failures as maps, a checkpoint written before reasons were counted
// keeping its total under a reason of its own.
func TestTallyReport(t *testing.T) {
	cases := []struct {
		name string
		in   tally
		want Report
	}{
		{"nothing", tally{}, Report{}},
		{
			"reasons and failures",
			tally{Scanned: 9, Skipped: 3, SkippedPrefix: 2, SkippedSchema: 1, Failed: 2, Failures: []failure{
				{Key: "session#a", Format: codec.FormatJSON, Reason: "cannot decode: x"},
				{Key: "session#b", Reason: "sess is not a number"},
			}},
			Report{Scanned: 9, Skipped: map[string]int64{"other prefix": 2, "newer schema": 1}, Failed: 2, Failures: map[string]string{
				"session#a": "json: cannot decode: x",
				"session#b": "sess is not a number",
			}},
		},
		{
			"a checkpoint from before skip reasons",
			tally{Scanned: 5, Skipped: 3},
			Report{Scanned: 5, Skipped: map[string]int64{"reason not recorded": 3}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if diff := cmp.Diff(c.want, c.in.report(false)); diff != "" {
				t.Errorf("report mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
