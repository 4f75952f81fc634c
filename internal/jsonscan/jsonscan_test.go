package jsonscan_test

import (
	"encoding/json"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/internal/jsonscan"
)

// TestEachMember reads member lists the way encoding/json does, strings
// with escaped quotes and backslashes included, and refuses what is not
// a complete object.
func TestEachMember(t *testing.T) {
	tests := []struct {
		name string
		text string
		ok   bool
	}{
		{"empty", `{}`, true},
		{"plain", `{"a":1,"b":"x","c":[1,{"d":"]"}],"e":{"f":null}}`, true},
		{"escaped quote", `{"a":"say \"hi\"","b":true}`, true},
		{"backslash before the closing quote", `{"a":"ends in \\","b":"\\\\"}`, true},
		{"escaped backslash then escaped quote", `{"a":"\\\"","b":2}`, true},
		{"escaped key", `{"\u0061\"":1}`, true},
		{"spaces", " { \"a\" : [ 1 , 2 ] , \"b\" : \"}\" } ", true},
		{"unterminated string", `{"a":"abc}`, false},
		{"unterminated after an escaped quote", `{"a":"abc\"}`, false},
		{"not an object", `[1,2]`, false},
		{"missing colon", `{"a" 1}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]string{}
			ok := jsonscan.EachMember([]byte(tt.text), func(key, val []byte) bool {
				got[jsonscan.Key(key)] = string(val)
				return true
			})
			if ok != tt.ok {
				t.Fatalf("EachMember(%s) ok = %v, want %v", tt.text, ok, tt.ok)
			}
			if !ok {
				return
			}
			var ref map[string]json.RawMessage
			if err := json.Unmarshal([]byte(tt.text), &ref); err != nil {
				t.Fatal(err)
			}
			want := map[string]string{}
			for k, v := range ref {
				want[k] = string(v)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("members mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// FuzzEachMember: on any text EachMember returns without panicking, and on
// valid UTF-8 that encoding/json reads as an object (without repeated
// keys) it finds the same members with the same value text.
func FuzzEachMember(f *testing.F) {
	for _, s := range []string{`{}`, `{"a":1}`, `{"a":"\"}","b":[{"c":"\\"}]}`, `{"a" : [ 1 , "]" ] }`, `[1]`, `{"a":"x\\\"y"}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := map[string]string{}
		n := 0
		ok := jsonscan.EachMember([]byte(text), func(key, val []byte) bool {
			got[jsonscan.Key(key)] = string(val)
			n++
			return true
		})
		var ref map[string]json.RawMessage
		if !utf8.ValidString(text) || json.Unmarshal([]byte(text), &ref) != nil || ref == nil {
			return // encoding/json reads invalid UTF-8 as U+FFFD: text it wrote has none
		}
		if !ok {
			t.Fatalf("EachMember(%q) refused an object encoding/json reads", text)
		}
		if n != len(got) {
			return // a repeated key: encoding/json keeps the last
		}
		want := map[string]string{}
		for k, v := range ref {
			want[k] = string(v)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("EachMember(%q) members mismatch (-want +got):\n%s", text, diff)
		}
	})
}

type pair struct{ Key, Stored, Fresh string }

// pairMembers calls PairMembers and collects the pairs it reports.
func pairMembers(stored, fresh string) ([]pair, bool) {
	var got []pair
	ok := jsonscan.PairMembers([]byte(stored), []byte(fresh), func(key, sv, fv []byte) {
		got = append(got, pair{string(key), string(sv), string(fv)})
	})
	return got, ok
}

// TestPairMembers: members of the same keys in the same order pair in
// step, with the pairs whose values differ reported; anything else
// (another order, a member more or fewer, a key spelled otherwise, text
// after the object, text that is not an object) is refused.
func TestPairMembers(t *testing.T) {
	const fresh = `{"a":1,"b":"x","c":[1,{"d":"]"}],"e":{"f":null},"g":12}`
	tests := []struct {
		name, stored string
		want         []pair
		ok           bool
	}{
		{"the same", fresh, nil, true},
		{"one scalar", `{"a":2,"b":"x","c":[1,{"d":"]"}],"e":{"f":null},"g":12}`, []pair{{"a", "2", "1"}}, true},
		{"a number that continues", `{"a":1,"b":"x","c":[1,{"d":"]"}],"e":{"f":null},"g":123}`, []pair{{"g", "123", "12"}}, true},
		{"white space", " { \"a\" : 1 ,\"b\":\"x\",\"c\":[ 1,{\"d\":\"]\"}],\"e\":{\"f\":null},\"g\":12 } \n", []pair{{"c", `[ 1,{"d":"]"}]`, `[1,{"d":"]"}]`}}, true},
		{"nested member more", `{"a":1,"b":"x","c":[1,{"d":"]"}],"e":{"f":null,"node":1},"g":12}`, []pair{{"e", `{"f":null,"node":1}`, `{"f":null}`}}, true},
		{"a quote escaped in a string", `{"a":1,"b":"x\",\"c\":[1]","c":[1,{"d":"]"}],"e":{"f":null},"g":12}`, []pair{{"b", `"x\",\"c\":[1]"`, `"x"`}}, true},
		{"member more", `{"a":1,"b":"x","c":[1,{"d":"]"}],"e":{"f":null},"g":12,"h":0}`, nil, false},
		{"member fewer", `{"a":1,"b":"x","c":[1,{"d":"]"}],"e":{"f":null}}`, nil, false},
		{"another order", `{"b":"x","a":1,"c":[1,{"d":"]"}],"e":{"f":null},"g":12}`, nil, false},
		{"escaped key", `{"\u0061":1,"b":"x","c":[1,{"d":"]"}],"e":{"f":null},"g":12}`, nil, false},
		{"repeated key", `{"a":1,"a":1,"b":"x","c":[1,{"d":"]"}],"e":{"f":null},"g":12}`, nil, false},
		{"text after the object", fresh + `{}`, nil, false},
		{"unterminated", `{"a":1,"b":"x`, nil, false},
		{"not an object", `[1]`, nil, false},
		{"empty", ``, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pairMembers(tt.stored, fresh)
			if ok != tt.ok {
				t.Fatalf("PairMembers(%s) ok = %v, want %v", tt.stored, ok, tt.ok)
			}
			if ok {
				if diff := cmp.Diff(tt.want, got); diff != "" {
					t.Errorf("pairs mismatch (-want +got):\n%s", diff)
				}
			}
		})
	}
	if got, ok := pairMembers(`{ }`, `{}`); !ok || got != nil {
		t.Errorf("PairMembers of empty objects = %v, %v; want none, true", got, ok)
	}
	sb, fb := []byte(tests[1].stored), []byte(fresh)
	if n := testing.AllocsPerRun(10, func() {
		jsonscan.PairMembers(sb, fb, func(key, sv, fv []byte) {})
	}); n != 0 {
		t.Errorf("PairMembers allocated %v times, want 0", n)
	}
}

// FuzzPairMembers: on any stored text, against fresh text that
// encoding/json wrote (re-encoded from what the fuzzer gives), PairMembers
// returns without panicking or allocating, and when it pairs the members
// it agrees with EachMember on both texts: the same keys in the same
// order, and a pair reported exactly where the value texts differ.
func FuzzPairMembers(f *testing.F) {
	for _, s := range [][2]string{
		{`{"a":1,"b":"x"}`, `{"a":2,"b":"x"}`},
		{`{"a":1,"b":[1,{"c":"]"}]}`, `{"a":1,"b":[1,{"c":"]","d":0}]}`},
		{`{"a":"\"}"}`, `{"a":"\\"}`},
		{` { "a" : 1 } `, `{"a":1}`},
		{`{"a":12}`, `{"a":1}`},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, stored, freshSource string) {
		var v map[string]json.RawMessage
		if json.Unmarshal([]byte(freshSource), &v) != nil || v == nil {
			return
		}
		fresh, err := json.Marshal(v)
		if err != nil {
			return
		}
		var got []pair
		ok, sb := false, []byte(stored)
		if n := testing.AllocsPerRun(1, func() {
			got = got[:0]
			ok = jsonscan.PairMembers(sb, fresh, func(key, sv, fv []byte) {
				got = append(got, pair{string(key), string(sv), string(fv)})
			})
		}); n > float64(len(got))*4 {
			t.Fatalf("PairMembers(%q, %q) allocated %v times for %d pairs", stored, fresh, n, len(got))
		}
		if !ok {
			return
		}
		members := func(text []byte) (keys, vals []string) {
			if !jsonscan.EachMember(text, func(key, val []byte) bool {
				keys, vals = append(keys, string(key)), append(vals, string(val))
				return true
			}) {
				t.Fatalf("PairMembers paired %q, which EachMember does not read", text)
			}
			return keys, vals
		}
		sk, sv := members([]byte(stored))
		fk, fv := members(fresh)
		if diff := cmp.Diff(fk, sk); diff != "" {
			t.Fatalf("PairMembers(%q, %q) paired other keys (-fresh +stored):\n%s", stored, fresh, diff)
		}
		var want []pair
		for i := range fk {
			if sv[i] != fv[i] {
				want = append(want, pair{fk[i], sv[i], fv[i]})
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("PairMembers(%q, %q) pairs mismatch (-want +got):\n%s", stored, fresh, diff)
		}
	})
}
