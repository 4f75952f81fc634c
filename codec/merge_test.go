package codec_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
)

// The session type of a Go app sharing a table with a Node.js app that
// stores more than the Go type declares.
type (
	mItem struct {
		SKU string `json:"sku"`
		Qty int    `json:"qty"`
	}
	mUser struct {
		Name string `json:"name"`
	}
	mEmbedded struct {
		Theme string `json:"theme,omitempty"`
	}
	mSession struct {
		mEmbedded
		User  *mUser           `json:"user,omitempty"`
		Cart  []mItem          `json:"cart"`
		Saved map[string]mItem `json:"saved,omitempty"`
		Note  string           `json:"note,omitempty"`
		Prefs map[string]any   `json:"prefs,omitempty"`
		Tag   string           `dynamodbav:"dtag" json:"tag,omitempty"`
	}
)

// generic decodes JSON text into the generic form the tests compare.
func generic(t *testing.T, text string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := (codec.JSON[map[string]any]{}).Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("%s: %v", text, err)
	}
	return m
}

// storedAs returns the JSON text a Node.js app wrote, as the format stores it.
func storedAs(t *testing.T, f codec.Format, text string) types.AttributeValue {
	t.Helper()
	if f == codec.FormatJSON {
		return &types.AttributeValueMemberS{Value: text}
	}
	m := generic(t, text)
	av, err := codec.Map[map[string]any]{}.Encode("k", &m)
	if err != nil {
		t.Fatal(err)
	}
	return av
}

// read decodes what was stored, whatever the format, generically.
func read(t *testing.T, av types.AttributeValue) map[string]any {
	t.Helper()
	var m map[string]any
	if _, err := codec.NewReader[map[string]any]().Decode("k", av, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mCodecs() []codec.Codec[mSession] {
	return []codec.Codec[mSession]{codec.Map[mSession]{}, codec.JSON[mSession]{}}
}

// TestKeepUnknown: a read–modify–save keeps what the Go type does not
// declare, at every level, and removes what the program removed.
func TestKeepUnknown(t *testing.T) {
	tests := []struct {
		name   string
		stored string
		change func(s *mSession)
		want   string
	}{
		{
			name:   "top-level field",
			stored: `{"flash":"Saved ✓","note":"n","cart":[]}`,
			change: func(s *mSession) { s.Note = "changed" },
			want:   `{"flash":"Saved ✓","note":"changed","cart":[]}`,
		},
		{
			name:   "nested struct",
			stored: `{"user":{"name":"ada","email":"ada@example.com"},"cart":null}`,
			change: func(s *mSession) { s.User.Name = "Ada" },
			want:   `{"user":{"name":"Ada","email":"ada@example.com"},"cart":null}`,
		},
		{
			name:   "list element changed in place",
			stored: `{"cart":[{"sku":"A","qty":1,"note":"gift"},{"sku":"B","qty":1,"note":"fragile"}]}`,
			change: func(s *mSession) { s.Cart[0].Qty = 3 },
			want:   `{"cart":[{"sku":"A","qty":3,"note":"gift"},{"sku":"B","qty":1,"note":"fragile"}]}`,
		},
		{
			name:   "list element appended",
			stored: `{"cart":[{"sku":"A","qty":1,"note":"gift"}]}`,
			change: func(s *mSession) { s.Cart = append(s.Cart, mItem{SKU: "C", Qty: 1}) },
			want:   `{"cart":[{"sku":"A","qty":1,"note":"gift"},{"sku":"C","qty":1}]}`,
		},
		{
			name:   "list element removed: the others keep theirs",
			stored: `{"cart":[{"sku":"A","qty":1,"note":"gift"},{"sku":"B","qty":1,"note":"fragile"}]}`,
			change: func(s *mSession) { s.Cart = s.Cart[1:] },
			want:   `{"cart":[{"sku":"B","qty":1,"note":"fragile"}]}`,
		},
		{
			name:   "list reordered",
			stored: `{"cart":[{"sku":"A","qty":1,"note":"gift"},{"sku":"B","qty":2,"note":"fragile"}]}`,
			change: func(s *mSession) { s.Cart[0], s.Cart[1] = s.Cart[1], s.Cart[0] },
			want:   `{"cart":[{"sku":"B","qty":2,"note":"fragile"},{"sku":"A","qty":1,"note":"gift"}]}`,
		},
		{
			name:   "list element removed and another changed: the changed one cannot be told",
			stored: `{"cart":[{"sku":"A","qty":1,"note":"gift"},{"sku":"B","qty":1,"note":"fragile"}]}`,
			change: func(s *mSession) { s.Cart = []mItem{{SKU: "B", Qty: 5}} },
			want:   `{"cart":[{"sku":"B","qty":5}]}`,
		},
		{
			name:   "omitempty field emptied stays removed",
			stored: `{"note":"remember me","theme":"dark","cart":[],"x":1}`,
			change: func(s *mSession) { s.Note, s.Theme = "", "" },
			want:   `{"cart":[],"x":1}`,
		},
		{
			name:   "map entry deleted stays deleted, kept entries keep theirs",
			stored: `{"saved":{"a":{"sku":"A","qty":1,"seen":true},"b":{"sku":"B","qty":2,"seen":false}},"cart":[]}`,
			change: func(s *mSession) { delete(s.Saved, "b") },
			want:   `{"saved":{"a":{"sku":"A","qty":1,"seen":true}},"cart":[]}`,
		},
		{
			name:   "an any-typed field holds all it read",
			stored: `{"prefs":{"a":1,"b":{"c":2}},"cart":[]}`,
			change: func(s *mSession) { delete(s.Prefs, "a") },
			want:   `{"prefs":{"b":{"c":2}},"cart":[]}`,
		},
		{
			name:   "a name the decoder matched ignoring case is not kept twice",
			stored: `{"User":{"name":"ada","email":"e"},"cart":[]}`,
			change: func(s *mSession) { s.User.Name = "Ada" },
			want:   `{"user":{"name":"Ada"},"cart":[]}`,
		},
		{
			name:   "embedded struct fields are known",
			stored: `{"theme":"dark","cart":[],"z":[1,2]}`,
			change: func(s *mSession) { s.Theme = "light" },
			want:   `{"theme":"light","cart":[],"z":[1,2]}`,
		},
	}
	for _, c := range mCodecs() {
		for _, tt := range tests {
			t.Run(string(c.Format())+"/"+tt.name, func(t *testing.T) {
				stored := storedAs(t, c.Format(), tt.stored)
				var s mSession
				if err := c.Decode("k", stored, &s); err != nil {
					t.Fatal(err)
				}
				tt.change(&s)
				fresh, err := c.Encode("k", &s)
				if err != nil {
					t.Fatal(err)
				}
				got, err := codec.KeepUnknown(c, stored, fresh)
				if err != nil {
					t.Fatalf("KeepUnknown: %v", err)
				}
				if diff := cmp.Diff(generic(t, tt.want), read(t, got)); diff != "" {
					t.Errorf("stored after the save mismatch (-want +got):\n%s", diff)
				}
				// What the Go type reads is what it wrote: the kept parts
				// are invisible to it.
				var back mSession
				if err := c.Decode("k", got, &back); err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(s, back, cmp.AllowUnexported(mSession{})); diff != "" {
					t.Errorf("session read back mismatch (-want +got):\n%s", diff)
				}
				// Saving again, unchanged, gives the same value (so a
				// repository that compares encodings sees no change).
				again, err := codec.KeepUnknown(c, got, fresh)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(read(t, got), read(t, again)); diff != "" {
					t.Errorf("second save mismatch (-want +got):\n%s", diff)
				}
				if sGot, ok := got.(*types.AttributeValueMemberS); ok && sGot.Value != again.(*types.AttributeValueMemberS).Value {
					t.Errorf("second save changed the text:\n%s\n%s", sGot.Value, again.(*types.AttributeValueMemberS).Value)
				}
			})
		}
	}
}

// TestKeepUnknownNothingToKeep returns the fresh encoding itself when the
// stored value holds nothing unknown, or is in a format only Go writes.
func TestKeepUnknownNothingToKeep(t *testing.T) {
	in := mSession{User: &mUser{Name: "ada"}, Cart: []mItem{{SKU: "A", Qty: 1}}}
	for _, c := range mCodecs() {
		t.Run(string(c.Format()), func(t *testing.T) {
			stored, err := c.Encode("k", &in)
			if err != nil {
				t.Fatal(err)
			}
			changed := in
			changed.Note = "x"
			fresh, err := c.Encode("k", &changed)
			if err != nil {
				t.Fatal(err)
			}
			got, err := codec.KeepUnknown(c, stored, fresh)
			if err != nil || got != fresh {
				t.Errorf("KeepUnknown = %v, %v; want fresh itself", got, err)
			}
			packed, err := codec.Msgpack[mSession]{}.Encode("k", &in)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := codec.KeepUnknown(c, packed, fresh); err != nil || got != fresh {
				t.Errorf("KeepUnknown from msgpack = %v, %v; want fresh itself", got, err)
			}
		})
	}
	fresh, _ := codec.Msgpack[mSession]{}.Encode("k", &in)
	if got, err := codec.KeepUnknown(codec.Codec[mSession](codec.Msgpack[mSession]{}), storedAs(t, codec.FormatJSON, `{"x":1}`), fresh); err != nil || got != fresh {
		t.Errorf("msgpack KeepUnknown = %v, %v; want fresh itself", got, err)
	}
}

// TestKeepUnknownAcrossFormats: a JSON record saved in Map (a table
// migrating, or RewriteOnRead) keeps its unknown fields, and back; what
// the other format cannot hold exactly is refused.
func TestKeepUnknownAcrossFormats(t *testing.T) {
	const text = `{"flash":"hi","big":9007199254740993,"tiny":1e-7,"deep":{"l":[1,"two",null,true,{}]},"cart":[{"sku":"A","qty":1,"note":"gift"}]}`
	want := generic(t, text)
	want["cart"].([]any)[0].(map[string]any)["qty"] = int64(2)
	for _, tt := range []struct{ from, to codec.Codec[mSession] }{
		{codec.JSON[mSession]{}, codec.Map[mSession]{}},
		{codec.Map[mSession]{}, codec.JSON[mSession]{}},
	} {
		t.Run(string(tt.from.Format())+" to "+string(tt.to.Format()), func(t *testing.T) {
			stored := storedAs(t, tt.from.Format(), text)
			var s mSession
			if err := tt.from.Decode("k", stored, &s); err != nil {
				t.Fatal(err)
			}
			s.Cart[0].Qty = 2
			fresh, err := tt.to.Encode("k", &s)
			if err != nil {
				t.Fatal(err)
			}
			got, err := codec.KeepUnknown(tt.to, stored, fresh)
			if err != nil {
				t.Fatal(err)
			}
			if codec.Detect(got) != tt.to.Format() {
				t.Errorf("result in format %s, want %s", codec.Detect(got), tt.to.Format())
			}
			if diff := cmp.Diff(want, read(t, got)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	refused := []struct {
		name   string
		stored types.AttributeValue
		to     codec.Codec[mSession]
	}{
		{"binary into JSON", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": &types.AttributeValueMemberB{Value: []byte{1}}}}, codec.JSON[mSession]{}},
		{"string set into JSON", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"a"}}}}, codec.JSON[mSession]{}},
		{"lone surrogate into Map", &types.AttributeValueMemberS{Value: `{"nick":"a\ud83d"}`}, codec.Map[mSession]{}},
		{"number DynamoDB refuses into Map", &types.AttributeValueMemberS{Value: `{"n":1e300}`}, codec.Map[mSession]{}},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			fresh, err := tt.to.Encode("k", &mSession{Note: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := codec.KeepUnknown(tt.to, tt.stored, fresh); !errors.Is(err, codec.ErrLossy) {
				t.Errorf("KeepUnknown = %v, %v; want an error wrapping ErrLossy", got, err)
			}
		})
	}
}

// TestKeepUnknownNesting refuses a merged Map value DynamoDB would refuse:
// unknown JSON nested deeper than a Map attribute may be.
func TestKeepUnknownNesting(t *testing.T) {
	deep := `"x"`
	for range 31 {
		deep = `[` + deep + `]`
	}
	stored := &types.AttributeValueMemberS{Value: `{"deep":` + deep + `}`}
	fresh, err := codec.Map[mSession]{}.Encode("k", &mSession{Note: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := codec.KeepUnknown(codec.Codec[mSession](codec.Map[mSession]{}), stored, fresh); !errors.Is(err, codec.ErrUnsupported) {
		t.Errorf("KeepUnknown = %v, %v; want an error wrapping ErrUnsupported", got, err)
	}
}

// BenchmarkKeepUnknown measures what keeping unknown fields adds to a
// save: for a record only Go wrote (nothing to keep) and for a real Node
// record of which the Go type declares a part.
func BenchmarkKeepUnknown(b *testing.B) {
	type line struct {
		SKU string `json:"sku"`
		Qty int    `json:"qty"`
	}
	type view struct {
		User *struct {
			ID   int    `json:"id"`
			Name string `json:"name"`
		} `json:"user,omitempty"`
		Visits int    `json:"visits"`
		Cart   []line `json:"cart"`
	}
	for _, bc := range []struct {
		fixture string
		c       codec.Codec[view]
	}{
		{"connect-dynamodb-flash", codec.JSON[view]{}},
		{"pwrdrvr-flash", codec.Map[view]{}},
	} {
		raw, err := os.ReadFile(filepath.Join("testdata", "fixtures", bc.fixture+".json"))
		if err != nil {
			b.Fatal(err)
		}
		item, err := ddbjson.UnmarshalItem(raw)
		if err != nil {
			b.Fatal(err)
		}
		var s view
		if err := bc.c.Decode("k", item["sess"], &s); err != nil {
			b.Fatal(err)
		}
		s.Cart[0].Qty++
		fresh, err := bc.c.Encode("k", &s)
		if err != nil {
			b.Fatal(err)
		}
		goOnly, err := bc.c.Encode("k", &view{Visits: 1, Cart: s.Cart})
		if err != nil {
			b.Fatal(err)
		}
		for name, stored := range map[string]types.AttributeValue{"node-record": item["sess"], "go-record": goOnly} {
			b.Run(string(bc.c.Format())+"/"+name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					if _, err := codec.KeepUnknown(bc.c, stored, fresh); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
		b.Run(string(bc.c.Format())+"/encode-for-comparison", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := bc.c.Encode("k", &s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
