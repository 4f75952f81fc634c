// Package golden compares what a test produced with a file checked in
// under testdata, in every module of this repository, and rewrites those
// files with one flag:
//
//	go test ./httpsession -update
//	go test ./... -update     # every package of a module that imports golden
//
// Importing the package registers -update on the default flag set, so
// only test files import it (a package whose tests do not import it
// rejects the flag, as `go test` rejects any flag a test binary does not
// define). Review what -update changed with git diff before committing:
// a golden file that changed is a behaviour that changed.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata with what the tests produce")

// Update reports whether the test binary runs with -update. Check needs
// no help from it; it is for the golden files a test regenerates another
// way (a seed corpus, a record written at the current time).
func Update() bool { return *update }

// Check compares got with the file at path, relative to the test's package
// directory (as "testdata/name.golden"). With -update it first writes got
// there, creating directories as needed, so the comparison passes and git
// diff shows what changed. A missing file or a difference fails the test,
// the difference shown as "mismatch (-want +got)" line by line.
func Check(tb testing.TB, path string, got []byte) {
	tb.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		tb.Fatalf("%v (run go test with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		tb.Errorf("%s mismatch (-want +got), rerun with -update if the change is intended:\n%s", path, diff)
	}
}

// Seed writes content to path with -update when no file is there yet, and
// never rewrites one that is. It is for files whose old bytes are the
// point, such as the seed corpus of a decoder's fuzz target: a valid seed
// an earlier build wrote checks that later builds still read it, and
// regenerating it would also churn every seed that holds random bytes (a
// sealed envelope's nonce). Delete a seed to have -update write it anew.
func Seed(tb testing.TB, path string, content []byte) {
	tb.Helper()
	if !*update {
		return
	}
	if _, err := os.Stat(path); err == nil {
		return
	} else if !os.IsNotExist(err) {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, content, 0o644); err != nil {
		tb.Fatal(err)
	}
}
