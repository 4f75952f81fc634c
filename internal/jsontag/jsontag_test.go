package jsontag_test

import (
	"encoding/json"
	"reflect"
	"strconv"
	"testing"

	"github.com/dynamosession/dynamosession/internal/jsontag"
)

// TestValidNameAgreesWithEncodingJSON: a name ValidName takes names the
// field in encoding/json's output, and one it refuses leaves the field its
// Go name, for names made of every kind of character.
func TestValidNameAgreesWithEncodingJSON(t *testing.T) {
	names := []string{"", "a", "a b", "a-b", "a\\b", "a\"b", "é", "1", "a'b", "a`b", "a\tb", "$x", "x~", "a\u00a0b", "日本", "a\x00b"}
	for _, name := range names {
		typ := reflect.StructOf([]reflect.StructField{{
			Name: "F",
			Type: reflect.TypeFor[int](),
			Tag:  reflect.StructTag(`json:` + strconv.Quote(name)),
		}})
		out, err := json.Marshal(reflect.New(typ).Elem().Interface())
		if err != nil {
			t.Fatalf("%q: %v", name, err)
		}
		takes := string(out) != `{"F":0}`
		if got := jsontag.ValidName(name); got != takes {
			t.Errorf("ValidName(%q) = %v; encoding/json wrote %s", name, got, out)
		}
	}
}
