package dynamosession

import (
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestSameScalarAgreesWithEncodingJSON: for every pair of literal texts
// and every plain kind, sameScalar says what json.Unmarshal into two
// values of the type and == say, and cannot tell only when json.Unmarshal
// fails on one of them.
func TestSameScalarAgreesWithEncodingJSON(t *testing.T) {
	type named int16
	texts := []string{
		`0`, `-0`, `1`, `01`, `+1`, `1.0`, `1.5`, `15e-1`, `1E2`, `100`, `-1`, `127`, `128`, `-128`, `-129`, `255`, `256`,
		`65535`, `65536`, `9223372036854775807`, `9223372036854775808`, `18446744073709551615`, `18446744073709551616`,
		`3.4028234e38`, `3.5e38`, `1e400`, `0.1`, `0.10000000000000001`, `0.2500000001`, `0x10`, `inf`, `1_0`,
		`true`, `false`, `null`, `"a"`, `"\u0061"`, `"A"`, `"é"`, `"\u00e9"`, `"a\/b"`, `"a/b"`, `"\ud800"`, `"\ufffd"`,
		`"` + "\xff" + `"`, `"1"`, `""`, `"true"`,
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[bool](), reflect.TypeFor[string](), reflect.TypeFor[int](), reflect.TypeFor[int8](),
		reflect.TypeFor[named](), reflect.TypeFor[uint8](), reflect.TypeFor[uint64](), reflect.TypeFor[uintptr](),
		reflect.TypeFor[float32](), reflect.TypeFor[float64](),
	} {
		t.Run(typ.String(), func(t *testing.T) {
			for _, a := range texts {
				for _, b := range texts {
					same, ok := sameScalar(typ, []byte(a), []byte(b))
					x, y := reflect.New(typ), reflect.New(typ)
					ea, eb := json.Unmarshal([]byte(a), x.Interface()), json.Unmarshal([]byte(b), y.Interface())
					switch {
					case ok && (ea != nil || eb != nil):
						t.Errorf("sameScalar(%s, %s) = %v, but json.Unmarshal fails: %v, %v", a, b, same, ea, eb)
					case ok && same != x.Elem().Equal(y.Elem()):
						t.Errorf("sameScalar(%s, %s) = %v, json.Unmarshal decodes %v and %v", a, b, same, x.Elem(), y.Elem())
					case !ok && ea == nil && eb == nil:
						t.Errorf("sameScalar(%s, %s) cannot tell, json.Unmarshal decodes %v and %v", a, b, x.Elem(), y.Elem())
					}
				}
			}
		})
	}
}

type embedsOne struct{ Inner }

// Inner is exported so that encoding/json promotes its fields.
type Inner struct{ A int }

type selfDecoding struct{ A int }

func (s *selfDecoding) UnmarshalJSON([]byte) error { return nil }

//lint:file-ignore SA5008 fieldsTable's tags are encoding/json's edge cases, on purpose

type fieldsTable struct {
	Tagged   int     `json:"tagged"`
	Untagged string  // its Go name
	BadTag   bool    `json:"a\\b"` // a backslash: encoding/json keeps the Go name
	Skipped  int     `json:"-"`
	Dash     int     `json:"-,"` // named "-"
	Quoted   int     `json:"quoted,omitempty,string"`
	Omit     float64 `json:",omitempty"`
	Dup1     int     `json:"Dup2"` // and Dup2 untagged: encoding/json takes the tagged one
	Dup2     int
	Time     time.Time      `json:"time"`
	Number   json.Number    `json:"number"`
	Pointer  *int           `json:"pointer"`
	Map      map[string]int `json:"map"`
	Self     selfDecoding   `json:"self"`
	unexp    int
}

// TestJSONFieldsOf: the table names fields as encoding/json does and
// marks plain only the scalars it compares itself; a T with an embedded
// field, a T that decodes itself and a non-struct have no table.
func TestJSONFieldsOf(t *testing.T) {
	_ = fieldsTable{}.unexp
	got, times := map[string]bool{}, map[string]bool{}
	for name, f := range jsonFieldsOf(reflect.TypeFor[fieldsTable]()) {
		got[name] = f.plain
		if f.isTime {
			times[name] = true
		}
	}
	if diff := cmp.Diff(map[string]bool{"time": true}, times); diff != "" {
		t.Errorf("time fields mismatch (-want +got):\n%s", diff)
	}
	want := map[string]bool{
		"tagged": true, "Untagged": true, "BadTag": true, "-": true, "quoted": false, "Omit": true, "Dup2": false,
		"time": false, "number": false, "pointer": false, "map": false, "self": false,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("fields mismatch (-want +got):\n%s", diff)
	}
	for _, typ := range []reflect.Type{reflect.TypeFor[embedsOne](), reflect.TypeFor[selfDecoding](), reflect.TypeFor[map[string]int](), reflect.TypeFor[int]()} {
		if m := jsonFieldsOf(typ); m != nil {
			t.Errorf("jsonFieldsOf(%v) = %v, want nil", typ, m)
		}
	}
	// encoding/json agrees on the names: each plain field decodes from a
	// member of exactly its table name.
	var v fieldsTable
	if err := json.Unmarshal([]byte(`{"tagged":1,"Untagged":"u","BadTag":true,"-":2,"Omit":1.5}`), &v); err != nil {
		t.Fatal(err)
	}
	if v.Tagged != 1 || v.Untagged != "u" || !v.BadTag || v.Dash != 2 || v.Omit != 1.5 {
		t.Errorf("encoding/json decoded %+v, want every plain field set", v)
	}
}

// TestSameTimeAgreesWithZeroTDecode: for every pair of member texts,
// sameTime says what decoding each into the time.Time field of a zero
// struct and reflect.DeepEqual say (the decode it replaces), and cannot
// tell only when a decode fails.
func TestSameTimeAgreesWithZeroTDecode(t *testing.T) {
	texts := []string{
		`"2026-11-21T12:00:00Z"`, `"2026-11-21T12:00:00.000Z"`, `"2026-11-21T12:00:00.000000000Z"`,
		`"2026-11-21T12:00:00.000000001Z"`, `"2026-11-21T12:00:00.5Z"`, `"2026-11-21T12:00:00.500Z"`,
		`"2026-11-21T13:00:00+01:00"`, `"2026-11-21T13:00:00.000+01:00"`, `"2026-11-21T12:00:00+00:00"`,
		`"2026-11-21T12:00:00-00:00"`, `"2026-11-21T12:00:00z"`, `"2026-11-21t12:00:00Z"`, `"2026-11-21T12:00:00,5Z"`,
		`"2026-11-21 12:00:00Z"`, `"0001-01-01T00:00:00Z"`, `null`, `"\u0032026-11-21T12:00:00Z"`, `"bad"`, `1`, `""`,
		`"2026-11-21T12:00:00+24:00"`, `"10000-01-01T00:00:00Z"`,
	}
	type holder struct {
		At time.Time `json:"at"`
	}
	for _, a := range texts {
		for _, b := range texts {
			same, ok := sameTime([]byte(a), []byte(b))
			var x, y holder
			ea := json.Unmarshal([]byte(`{"at":`+a+`}`), &x)
			eb := json.Unmarshal([]byte(`{"at":`+b+`}`), &y)
			switch {
			case ok && (ea != nil || eb != nil):
				t.Errorf("sameTime(%s, %s) = %v, but the decode fails: %v, %v", a, b, same, ea, eb)
			case ok && same != reflect.DeepEqual(x, y):
				t.Errorf("sameTime(%s, %s) = %v, the decode gives %v and %v", a, b, same, x.At, y.At)
			case !ok && ea == nil && eb == nil:
				t.Errorf("sameTime(%s, %s) cannot tell, the decode gives %v and %v", a, b, x.At, y.At)
			}
		}
	}
}
