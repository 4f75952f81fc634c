package codec

import (
	"reflect"
	"testing"
	"time"
	"unsafe"

	"github.com/google/go-cmp/cmp"
)

type scanLine struct {
	SKU string    `json:"sku"`
	At  time.Time `json:"at"`
}

type scanNode struct {
	At   time.Time `json:"at"`
	Next *scanNode `json:"next"`
}

type scanSession struct {
	Created time.Time    `json:"created"`
	Seen    *time.Time   `json:"seen"`
	Line    scanLine     `json:"line"`
	LineP   *scanLine    `json:"lineP"`
	Lines   []scanLine   `json:"lines"`
	LinesP  []*scanLine  `json:"linesP"`
	Pair    [2]scanLine  `json:"pair"`
	Times   []time.Time  `json:"times"`
	Skipped time.Time    `json:"-"`
	Rows    [][]scanLine `json:"rows"`
	Fixed   [3]time.Time `json:"fixed"`
}

// TestJSONTimeScan: the compiled check finds a time RFC 3339 cannot
// write (an offset with seconds) wherever the rewrite would replace it,
// so that Marshal writes it in UTC, and types it cannot read (a map, an
// interface, a type that contains itself) are walked by reflection. The
// check finds nothing in a session whose times are all writable.
func TestJSONTimeScan(t *testing.T) {
	odd := time.FixedZone("odd", 3600+7) // seconds in the offset
	bad := time.Date(2026, 11, 21, 12, 0, 0, 5, odd)
	good := time.Date(2026, 11, 21, 12, 0, 0, 5, time.FixedZone("CET", 3600))
	fresh := func() *scanSession {
		seen := good
		return &scanSession{
			Created: good, Seen: &seen, Line: scanLine{"a", good}, LineP: &scanLine{"b", good},
			Lines:  []scanLine{{"c", good}, {"d", good}},
			LinesP: []*scanLine{nil, {"e", good}},
			Pair:   [2]scanLine{{"f", good}, {"g", good}},
			Times:  []time.Time{good, good},
			Rows:   [][]scanLine{{}, {{"h", good}, {"i", good}}},
			Fixed:  [3]time.Time{good, good, good},
		}
	}
	for name, set := range map[string]func(s *scanSession, at time.Time){
		"field":               func(s *scanSession, at time.Time) { s.Created = at },
		"pointer to a time":   func(s *scanSession, at time.Time) { *s.Seen = at },
		"struct field":        func(s *scanSession, at time.Time) { s.Line.At = at },
		"pointer to a struct": func(s *scanSession, at time.Time) { s.LineP.At = at },
		"last slice element":  func(s *scanSession, at time.Time) { s.Lines[1].At = at },
		"slice of pointers":   func(s *scanSession, at time.Time) { s.LinesP[1].At = at },
		"array element":       func(s *scanSession, at time.Time) { s.Pair[1].At = at },
		"slice of times":      func(s *scanSession, at time.Time) { s.Times[1] = at },
		"slice of slices":     func(s *scanSession, at time.Time) { s.Rows[1][1].At = at },
		"array of times":      func(s *scanSession, at time.Time) { s.Fixed[2] = at },
		"not encoded":         func(s *scanSession, at time.Time) { s.Skipped = at },
	} {
		t.Run(name, func(t *testing.T) {
			s, utc := fresh(), fresh()
			set(s, bad)
			set(utc, bad.UTC())
			got := jsonText(t, JSON[scanSession](), s)
			want := jsonText(t, JSON[scanSession](), utc)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
			}
			scan := jsonTimeScan(reflect.TypeFor[scanSession]())
			if got, want := scan.needsUTC(unsafe.Pointer(s)), name != "not encoded"; got != want {
				t.Errorf("needsUTC = %v, want %v", got, want)
			}
			if scan.needsUTC(unsafe.Pointer(fresh())) {
				t.Error("needsUTC of writable times = true, want false")
			}
		})
	}
	t.Run("walked types", func(t *testing.T) {
		for _, typ := range []reflect.Type{
			reflect.TypeFor[map[string]time.Time](), reflect.TypeFor[struct{ X any }](), reflect.TypeFor[scanNode](),
		} {
			if jsonTimeScan(typ) != nil {
				t.Errorf("%v: compiled, want a walk", typ)
			}
		}
		for _, typ := range []reflect.Type{reflect.TypeFor[scanSession](), reflect.TypeFor[time.Time]()} {
			if jsonTimeScan(typ) == nil {
				t.Errorf("%v: walked, want compiled", typ)
			}
		}
	})
	const utc, cet = `"2026-11-21T10:59:53.000000005Z"`, `"2026-11-21T12:00:00.000000005+01:00"`
	t.Run("type that contains itself", func(t *testing.T) {
		got := jsonText(t, JSON[scanNode](), &scanNode{At: good, Next: &scanNode{At: bad}})
		if diff := cmp.Diff(`{"at":`+cet+`,"next":{"at":`+utc+`,"next":null}}`, got); diff != "" {
			t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("map", func(t *testing.T) {
		got := jsonText(t, JSON[map[string]time.Time](), &map[string]time.Time{"a": good, "b": bad})
		if diff := cmp.Diff(`{"a":`+cet+`,"b":`+utc+`}`, got); diff != "" {
			t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("interface", func(t *testing.T) {
		got := jsonText(t, JSON[struct{ X any }](), &struct{ X any }{bad})
		if diff := cmp.Diff(`{"X":`+utc+`}`, got); diff != "" {
			t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("the time itself", func(t *testing.T) {
		got := jsonText(t, JSON[time.Time](), &bad)
		if diff := cmp.Diff(utc, got); diff != "" {
			t.Errorf("Marshal mismatch (-want +got):\n%s", diff)
		}
	})
}

func jsonText[T any](t *testing.T, c Binary[T], v *T) string {
	t.Helper()
	b, err := c.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
