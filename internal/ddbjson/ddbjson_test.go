package ddbjson

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// ignoreSerde skips the SDK's unexported noSmithyDocumentSerde markers, which
// carry no data.
var ignoreSerde = cmpopts.IgnoreUnexported(
	types.AttributeValueMemberB{},
	types.AttributeValueMemberBOOL{},
	types.AttributeValueMemberBS{},
	types.AttributeValueMemberL{},
	types.AttributeValueMemberM{},
	types.AttributeValueMemberN{},
	types.AttributeValueMemberNS{},
	types.AttributeValueMemberNULL{},
	types.AttributeValueMemberS{},
	types.AttributeValueMemberSS{},
)

// everyType holds one value of each member type, nested, with the strings
// that encoders tend to mangle.
var everyType = map[string]types.AttributeValue{
	"id":    &types.AttributeValueMemberS{Value: "sess:abc"},
	"empty": &types.AttributeValueMemberS{Value: ""},
	"html":  &types.AttributeValueMemberS{Value: "<a href=\"x\">&</a>"},
	"uni":   &types.AttributeValueMemberS{Value: "Grüße, 世界 🎉\u2028"},
	"n":     &types.AttributeValueMemberN{Value: "1.50"},
	"b":     &types.AttributeValueMemberB{Value: []byte{0, 1, 0xfe, 0xff}},
	"b0":    &types.AttributeValueMemberB{Value: []byte{}},
	"t":     &types.AttributeValueMemberBOOL{Value: true},
	"f":     &types.AttributeValueMemberBOOL{Value: false},
	"z":     &types.AttributeValueMemberNULL{Value: true},
	"ss":    &types.AttributeValueMemberSS{Value: []string{"b", "a"}},
	"ns":    &types.AttributeValueMemberNS{Value: []string{"1", "-2.5e3"}},
	"bs":    &types.AttributeValueMemberBS{Value: [][]byte{[]byte("hi"), {}}},
	"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"nested": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		"l":      &types.AttributeValueMemberL{Value: []types.AttributeValue{}},
	}},
	"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{
		&types.AttributeValueMemberS{Value: "x"},
		&types.AttributeValueMemberN{Value: "2"},
		&types.AttributeValueMemberL{Value: []types.AttributeValue{&types.AttributeValueMemberNULL{Value: true}}},
	}},
}

const everyTypeJSON = `{
  "b": {
    "B": "AAH+/w=="
  },
  "b0": {
    "B": ""
  },
  "bs": {
    "BS": [
      "aGk=",
      ""
    ]
  },
  "empty": {
    "S": ""
  },
  "f": {
    "BOOL": false
  },
  "html": {
    "S": "<a href=\"x\">&</a>"
  },
  "id": {
    "S": "sess:abc"
  },
  "l": {
    "L": [
      {
        "S": "x"
      },
      {
        "N": "2"
      },
      {
        "L": [
          {
            "NULL": true
          }
        ]
      }
    ]
  },
  "m": {
    "M": {
      "l": {
        "L": []
      },
      "nested": {
        "M": {}
      }
    }
  },
  "n": {
    "N": "1.50"
  },
  "ns": {
    "NS": [
      "1",
      "-2.5e3"
    ]
  },
  "ss": {
    "SS": [
      "b",
      "a"
    ]
  },
  "t": {
    "BOOL": true
  },
  "uni": {
    "S": "Grüße, 世界 🎉\u2028"
  },
  "z": {
    "NULL": true
  }
}
`

func TestMarshalItem(t *testing.T) {
	tests := []struct {
		name string
		item map[string]types.AttributeValue
		want string
	}{
		{name: "every type", item: everyType, want: everyTypeJSON},
		{name: "nil item", item: nil, want: "{}\n"},
		{
			name: "nil slices and maps are empty, never null",
			item: map[string]types.AttributeValue{
				"b": &types.AttributeValueMemberB{},
				"l": &types.AttributeValueMemberL{},
				"m": &types.AttributeValueMemberM{},
			},
			want: `{
  "b": {
    "B": ""
  },
  "l": {
    "L": []
  },
  "m": {
    "M": {}
  }
}
`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MarshalItem(tt.item)
			if err != nil {
				t.Fatalf("MarshalItem: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("MarshalItem mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnmarshalItem(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]types.AttributeValue
	}{
		{name: "every type", in: everyTypeJSON, want: everyType},
		{name: "empty item", in: " {} ", want: map[string]types.AttributeValue{}},
		{
			name: "compact, any key order, N kept verbatim",
			in:   `{"sess":{"S":"{\"a\":1}"},"expires":{"N":"1700086399.999"},"id":{"S":"sess:x"}}`,
			want: map[string]types.AttributeValue{
				"id":      &types.AttributeValueMemberS{Value: "sess:x"},
				"expires": &types.AttributeValueMemberN{Value: "1700086399.999"},
				"sess":    &types.AttributeValueMemberS{Value: `{"a":1}`},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UnmarshalItem([]byte(tt.in))
			if err != nil {
				t.Fatalf("UnmarshalItem: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, ignoreSerde); diff != "" {
				t.Errorf("UnmarshalItem mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnmarshalItemErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr string
	}{
		{"unknown tag", `{"a":{"X":"1"}}`, `ddbjson: a: unknown type tag "X"`},
		{"lower-case tag", `{"a":{"s":"1"}}`, `ddbjson: a: unknown type tag "s"`},
		{"two tags", `{"a":{"S":"1","N":"1"}}`, `ddbjson: a: value has more than one type tag (S and N)`},
		{"same tag twice", `{"a":{"S":"1","S":"2"}}`, `ddbjson: a: value has more than one type tag (S and S)`},
		{"no tag", `{"a":{}}`, `ddbjson: a: value has no type tag`},
		{"repeated attribute", `{"a":{"S":"1"},"a":{"S":"2"}}`, `ddbjson: a: attribute name repeated`},
		{"repeated map key", `{"m":{"M":{"k":{"S":"1"},"k":{"S":"2"}}}}`, `ddbjson: m.k: attribute name repeated`},
		{"N as JSON number", `{"a":{"N":1}}`, `ddbjson: a: want a string, got a number (1)`},
		{"S as null", `{"a":{"S":null}}`, `ddbjson: a: want a string, got null`},
		{"NULL false", `{"a":{"NULL":false}}`, `ddbjson: a: NULL must be true`},
		{"BOOL as string", `{"a":{"BOOL":"true"}}`, `ddbjson: a: want a boolean, got a string`},
		{"bad base64", `{"a":{"B":"!!"}}`, `ddbjson: a: invalid base64: illegal base64 data at input byte 0`},
		{"unpadded base64", `{"a":{"B":"QQ"}}`, `ddbjson: a: invalid base64: illegal base64 data at input byte 0`},
		{"non-zero padding bits", `{"a":{"B":"QR=="}}`, `ddbjson: a: invalid base64: illegal base64 data at input byte 2`},
		{"empty SS", `{"a":{"SS":[]}}`, `ddbjson: a: empty SS set (DynamoDB rejects empty sets)`},
		{"empty NS", `{"a":{"NS":[]}}`, `ddbjson: a: empty NS set (DynamoDB rejects empty sets)`},
		{"empty BS", `{"a":{"BS":[]}}`, `ddbjson: a: empty BS set (DynamoDB rejects empty sets)`},
		{"SS with number", `{"a":{"SS":["x",1]}}`, `ddbjson: a[1]: want a string, got a number (1)`},
		{"error inside list", `{"l":{"L":[{"S":"x"},{"Q":1}]}}`, `ddbjson: l[1]: unknown type tag "Q"`},
		{"bare value in list", `{"l":{"L":["x"]}}`, `ddbjson: l[0]: want '{', got a string`},
		{"top-level null", `null`, `ddbjson: want '{', got null`},
		{"top-level array", `[]`, `ddbjson: want '{', got '['`},
		{"empty input", ``, `ddbjson: unexpected end of JSON input`},
		{"truncated", `{"a":{"S":"x"}`, `ddbjson: unexpected end of JSON input`},
		{"trailing data", `{} {}`, `ddbjson: unexpected data after the top-level value`},
		{"syntax error", `{"a" {"S":"x"}}`, `ddbjson: a: invalid character '{' after object key`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := UnmarshalItem([]byte(tt.in))
			if err == nil {
				t.Fatalf("UnmarshalItem(%s) = %v, want error %q", tt.in, got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMarshalItemErrors(t *testing.T) {
	tests := []struct {
		name    string
		item    map[string]types.AttributeValue
		wantErr string
	}{
		{"nil value", map[string]types.AttributeValue{"a": nil}, `ddbjson: a: nil attribute value`},
		{"NULL false", map[string]types.AttributeValue{"a": &types.AttributeValueMemberNULL{}}, `ddbjson: a: NULL must be true`},
		{"empty SS", map[string]types.AttributeValue{"a": &types.AttributeValueMemberSS{}}, `ddbjson: a: empty SS set (DynamoDB rejects empty sets)`},
		{"empty NS", map[string]types.AttributeValue{"a": &types.AttributeValueMemberNS{}}, `ddbjson: a: empty NS set (DynamoDB rejects empty sets)`},
		{"empty BS", map[string]types.AttributeValue{"a": &types.AttributeValueMemberBS{}}, `ddbjson: a: empty BS set (DynamoDB rejects empty sets)`},
		{
			name:    "unknown member deep inside",
			item:    map[string]types.AttributeValue{"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"l": &types.AttributeValueMemberL{Value: []types.AttributeValue{&types.UnknownUnionMember{Tag: "X"}}}}}},
			wantErr: `ddbjson: m.l[0]: unsupported attribute value type *types.UnknownUnionMember`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MarshalItem(tt.item)
			if err == nil {
				t.Fatalf("MarshalItem = %s, want error %q", got, tt.wantErr)
			}
			if diff := cmp.Diff(tt.wantErr, err.Error()); diff != "" {
				t.Errorf("error mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValue(t *testing.T) {
	tests := []struct {
		name string
		v    types.AttributeValue
		json string
	}{
		{"S", &types.AttributeValueMemberS{Value: "x"}, "{\n  \"S\": \"x\"\n}\n"},
		{"N", &types.AttributeValueMemberN{Value: "-0.5"}, "{\n  \"N\": \"-0.5\"\n}\n"},
		{"M", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"k": &types.AttributeValueMemberBOOL{Value: true}}}, "{\n  \"M\": {\n    \"k\": {\n      \"BOOL\": true\n    }\n  }\n}\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := MarshalValue(tt.v)
			if err != nil {
				t.Fatalf("MarshalValue: %v", err)
			}
			if diff := cmp.Diff(tt.json, string(got)); diff != "" {
				t.Errorf("MarshalValue mismatch (-want +got):\n%s", diff)
			}
			back, err := UnmarshalValue(got)
			if err != nil {
				t.Fatalf("UnmarshalValue: %v", err)
			}
			if diff := cmp.Diff(tt.v, back, ignoreSerde); diff != "" {
				t.Errorf("UnmarshalValue mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestValueErrors(t *testing.T) {
	if _, err := MarshalValue(nil); err == nil || err.Error() != "ddbjson: value: nil attribute value" {
		t.Errorf("MarshalValue(nil) error = %v", err)
	}
	if _, err := UnmarshalValue([]byte(`{"S":"x"} x`)); err == nil || err.Error() != "ddbjson: unexpected data after the top-level value" {
		t.Errorf("UnmarshalValue(trailing) error = %v", err)
	}
	if _, err := UnmarshalValue([]byte(`{"S":"x","B":""}`)); err == nil || err.Error() != "ddbjson: value: value has more than one type tag (S and B)" {
		t.Errorf("UnmarshalValue(two tags) error = %v", err)
	}
}

// TestFixturesAreCanonical checks that the items the Node scripts in
// codec/testdata/nodegen wrote parse and are byte for byte what MarshalItem
// writes, so the two writers agree and a re-run of either diffs cleanly.
func TestFixturesAreCanonical(t *testing.T) {
	var paths []string
	for _, dir := range []string{"fixtures", filepath.Join("nodegen", "handmade")} {
		found, err := filepath.Glob(filepath.Join("..", "..", "codec", "testdata", dir, "*.json"))
		if err != nil {
			t.Fatal(err)
		}
		paths = append(paths, found...)
	}
	n := 0
	for _, path := range paths {
		if strings.HasSuffix(path, ".meta.json") {
			continue
		}
		n++
		t.Run(filepath.Base(path), func(t *testing.T) {
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			item, err := UnmarshalItem(data)
			if err != nil {
				t.Fatalf("UnmarshalItem: %v", err)
			}
			again, err := MarshalItem(item)
			if err != nil {
				t.Fatalf("MarshalItem: %v", err)
			}
			if diff := cmp.Diff(string(data), string(again)); diff != "" {
				t.Errorf("fixture is not in canonical form (-file +MarshalItem):\n%s", diff)
			}
		})
	}
	if n == 0 {
		t.Skip("no items under codec/testdata/fixtures or codec/testdata/nodegen/handmade")
	}
}
