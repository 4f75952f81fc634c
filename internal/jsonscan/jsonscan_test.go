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
