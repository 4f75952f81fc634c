package golden

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// recorder is a testing.TB that keeps the failures Check reports.
type recorder struct {
	testing.TB
	fails []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.fails = append(r.fails, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.Errorf(format, args...)
	runtime.Goexit()
}

func (r *recorder) Fatal(args ...any) {
	r.fails = append(r.fails, fmt.Sprint(args...))
	runtime.Goexit()
}

// check runs Check on a recorder, with -update set to upd, and returns
// the failures it reported.
func check(t *testing.T, upd bool, path string, got []byte) []string {
	t.Helper()
	defer func(old bool) { *update = old }(*update)
	*update = upd
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		Check(r, path, got)
	}()
	<-done
	return r.fails
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name      string
		stored    *string // the file's content before; nil: no file
		update    bool
		got       string
		wantFail  string // substring of the one failure; "" for none
		wantAfter *string
	}{
		{name: "same", stored: ptr("a\nb\n"), got: "a\nb\n", wantAfter: ptr("a\nb\n")},
		{name: "different", stored: ptr("a\nb\n"), got: "a\nc\n", wantFail: "mismatch (-want +got)", wantAfter: ptr("a\nb\n")},
		{name: "missing", got: "a\n", wantFail: "run go test with -update to create it"},
		{name: "update rewrites", stored: ptr("a\nb\n"), update: true, got: "a\nc\n", wantAfter: ptr("a\nc\n")},
		{name: "update creates directories", update: true, got: "new\n", wantAfter: ptr("new\n")},
		{name: "empty output", stored: ptr(""), got: "", wantAfter: ptr("")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "testdata", "sub", "x.golden")
			store(t, path, tt.stored)
			fails := check(t, tt.update, path, []byte(tt.got))
			switch {
			case tt.wantFail == "" && len(fails) != 0:
				t.Errorf("Check failed: %q", fails)
			case tt.wantFail != "" && (len(fails) != 1 || !strings.Contains(fails[0], tt.wantFail)):
				t.Errorf("Check failures %q, want one saying %q", fails, tt.wantFail)
			}
			checkFile(t, path, tt.wantAfter)
		})
	}
}

func ptr(s string) *string { return &s }

// store writes content to path, creating directories; nil writes nothing.
func store(t *testing.T, path string, content *string) {
	t.Helper()
	if content == nil {
		return
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(*content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkFile checks the file at path holds want; nil wants no file.
func checkFile(t *testing.T, path string, want *string) {
	t.Helper()
	got, err := os.ReadFile(path)
	if want == nil {
		if !os.IsNotExist(err) {
			t.Errorf("%s: %q, %v; want no file", path, got, err)
		}
		return
	}
	if diff := cmp.Diff(*want, string(got)); err != nil || diff != "" {
		t.Errorf("%s mismatch (-want +got), %v:\n%s", path, err, diff)
	}
}

func TestSeed(t *testing.T) {
	tests := []struct {
		name      string
		stored    *string
		update    bool
		wantAfter *string
	}{
		{name: "without -update, nothing is written", wantAfter: nil},
		{name: "-update writes a missing seed", update: true, wantAfter: ptr("new")},
		{name: "-update keeps an existing seed", stored: ptr("old"), update: true, wantAfter: ptr("old")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "testdata", "fuzz", "FuzzX", "seed")
			store(t, path, tt.stored)
			defer func(old bool) { *update = old }(*update)
			*update = tt.update
			Seed(t, path, []byte("new"))
			checkFile(t, path, tt.wantAfter)
		})
	}
}

// TestOneUpdateFlag: no test in any module of the repository declares an
// -update flag of its own (there were five, under three names); they all
// use this package's.
func TestOneUpdateFlag(t *testing.T) {
	root := filepath.Join("..", "..")
	own := regexp.MustCompile(`flag\.(Bool|BoolVar)\([^"]*"update`)
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path != root && (d.Name() == "testdata" || d.Name() == "node_modules" || strings.HasPrefix(d.Name(), ".")) {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || path == filepath.Join(root, "internal", "golden", "golden.go") {
			return nil
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if loc := own.FindIndex(src); loc != nil {
			t.Errorf("%s declares its own -update flag (%s); use internal/golden", path, src[loc[0]:loc[1]])
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
