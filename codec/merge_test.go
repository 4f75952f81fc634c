package codec_test

import (
	"encoding/json"
	"errors"
	"math/rand"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"testing/quick"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
	"github.com/dynamosession/dynamosession/internal/reader"
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
	if err := (codec.JSON[map[string]any]()).Unmarshal([]byte(text), &m); err != nil {
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
	av, err := codec.Map[map[string]any]().Encode("k", &m)
	if err != nil {
		t.Fatal(err)
	}
	return av
}

// read decodes what was stored, whatever the format, generically.
func read(t *testing.T, av types.AttributeValue) map[string]any {
	t.Helper()
	var m map[string]any
	if _, err := reader.New[map[string]any]().Decode("k", av, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func mCodecs() []codec.Codec[mSession] {
	return []codec.Codec[mSession]{codec.Map[mSession](), codec.JSON[mSession]()}
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
			name:   "equal elements keep their own",
			stored: `{"cart":[{"sku":"A","qty":1,"note":"first"},{"sku":"B","qty":1},{"sku":"A","qty":1,"note":"third"}]}`,
			change: func(s *mSession) { s.Cart[0].Qty = 2 },
			want:   `{"cart":[{"sku":"A","qty":2,"note":"first"},{"sku":"B","qty":1},{"sku":"A","qty":1,"note":"third"}]}`,
		},
		{
			name:   "an element changed in place next to its unchanged twin",
			stored: `{"cart":[{"sku":"A","qty":1,"note":"first"},{"sku":"A","qty":1},{"sku":"B","qty":1,"note":"third"}]}`,
			change: func(s *mSession) { s.Cart[0].Qty = 2 },
			want:   `{"cart":[{"sku":"A","qty":2,"note":"first"},{"sku":"A","qty":1},{"sku":"B","qty":1,"note":"third"}]}`,
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
				got, err := codecs.KeepUnknown(c, stored, fresh)
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
				again, err := codecs.KeepUnknown(c, got, fresh)
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
			got, err := codecs.KeepUnknown(c, stored, fresh)
			if err != nil || got != fresh {
				t.Errorf("KeepUnknown = %v, %v; want fresh itself", got, err)
			}
			packed, err := codec.Msgpack[mSession]().Encode("k", &in)
			if err != nil {
				t.Fatal(err)
			}
			if got, err := codecs.KeepUnknown(c, packed, fresh); err != nil || got != fresh {
				t.Errorf("KeepUnknown from msgpack = %v, %v; want fresh itself", got, err)
			}
		})
	}
	fresh, _ := codec.Msgpack[mSession]().Encode("k", &in)
	if got, err := codecs.KeepUnknown(codec.Codec[mSession](codec.Msgpack[mSession]()), storedAs(t, codec.FormatJSON, `{"x":1}`), fresh); err != nil || got != fresh {
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
		{codec.JSON[mSession](), codec.Map[mSession]()},
		{codec.Map[mSession](), codec.JSON[mSession]()},
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
			got, err := codecs.KeepUnknown(tt.to, stored, fresh)
			if err != nil {
				t.Fatal(err)
			}
			if codecs.Detect(got) != tt.to.Format() {
				t.Errorf("result in format %s, want %s", codecs.Detect(got), tt.to.Format())
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
		{"binary into JSON", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": &types.AttributeValueMemberB{Value: []byte{1}}}}, codec.JSON[mSession]()},
		{"string set into JSON", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ss": &types.AttributeValueMemberSS{Value: []string{"a"}}}}, codec.JSON[mSession]()},
		{"lone surrogate into Map", &types.AttributeValueMemberS{Value: `{"nick":"a\ud83d"}`}, codec.Map[mSession]()},
		{"number DynamoDB refuses into Map", &types.AttributeValueMemberS{Value: `{"n":1e300}`}, codec.Map[mSession]()},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			fresh, err := tt.to.Encode("k", &mSession{Note: "x"})
			if err != nil {
				t.Fatal(err)
			}
			if got, err := codecs.KeepUnknown(tt.to, tt.stored, fresh); !errors.Is(err, codec.ErrUnsupported) {
				t.Errorf("KeepUnknown = %v, %v; want an error wrapping ErrUnsupported", got, err)
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
	fresh, err := codec.Map[mSession]().Encode("k", &mSession{Note: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := codecs.KeepUnknown(codec.Codec[mSession](codec.Map[mSession]()), stored, fresh); !errors.Is(err, codec.ErrUnsupported) {
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
		{"connect-dynamodb-flash", codec.JSON[view]()},
		{"pwrdrvr-flash", codec.Map[view]()},
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
					if _, err := codecs.KeepUnknown(bc.c, stored, fresh); err != nil {
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

// keepCase is a generated session of a Node app's record: mSession's
// fields plus unknown ones at every level.
type keepCase struct {
	known  mSession
	extras map[string]any // path ("", "user", "cart.2", "saved.k") -> value of the unknown "x_node" there
}

func (keepCase) Generate(r *rand.Rand, _ int) reflect.Value {
	g := gen{r}
	s := mSession{Note: g.safeStr(), Tag: g.safeStr()}
	s.Theme = g.safeStr()
	if r.Intn(3) > 0 {
		s.User = &mUser{Name: g.safeStr()}
	}
	for range r.Intn(4) {
		s.Cart = append(s.Cart, mItem{SKU: g.safeStr(), Qty: r.Intn(5)})
	}
	if r.Intn(2) == 0 {
		s.Saved = map[string]mItem{}
		for range r.Intn(3) {
			s.Saved["k"+g.safeStr()] = mItem{SKU: g.safeStr(), Qty: r.Intn(5)}
		}
	}
	c := keepCase{known: s, extras: map[string]any{"": g.safeAny(0)}}
	if s.User != nil && r.Intn(2) == 0 {
		c.extras["user"] = g.safeAny(0)
	}
	for i := range s.Cart {
		if r.Intn(2) == 0 {
			c.extras["cart."+strconv.Itoa(i)] = g.safeAny(0)
		}
	}
	for k := range s.Saved {
		if r.Intn(2) == 0 {
			c.extras["saved."+k] = g.safeAny(0)
		}
	}
	return reflect.ValueOf(c)
}

// safeStr is a string every format stores.
func (g gen) safeStr() string {
	var b strings.Builder
	for range g.r.Intn(4) {
		b.WriteString(awkward[g.r.Intn(len(awkward)-1)])
	}
	return b.String()
}

// safeAny is a JSON-like value every format stores exactly.
func (g gen) safeAny(depth int) any {
	switch n := g.r.Intn(9); {
	case n == 0:
		return nil
	case n == 1:
		return g.r.Intn(2) == 0
	case n == 2:
		return g.safeStr()
	case n == 3:
		return g.int64()
	case n == 4:
		return float64(g.r.Intn(100000)) / 1000
	case depth > 2:
		return g.safeStr()
	case n < 7:
		l := make([]any, g.r.Intn(3))
		for i := range l {
			l[i] = g.safeAny(depth + 1)
		}
		return l
	}
	m := map[string]any{}
	for range g.r.Intn(3) {
		m["k"+g.safeStr()] = g.safeAny(depth + 1)
	}
	return m
}

// node returns the record a Node app holding c stores, as generic data.
func (c keepCase) node(t *testing.T) map[string]any {
	t.Helper()
	text, err := json.Marshal(c.known)
	if err != nil {
		t.Fatal(err)
	}
	m := generic(t, string(text))
	for path, v := range c.extras {
		if at := c.at(m, path); at != nil {
			at["x_node"] = byRule(v)
		}
	}
	return m
}

// at returns the object at path in generic data m.
func (c keepCase) at(m map[string]any, path string) map[string]any {
	where, key, _ := strings.Cut(path, ".")
	switch where {
	case "":
		return m
	case "user":
		u, _ := m["user"].(map[string]any)
		return u
	case "cart":
		i, _ := strconv.Atoi(key)
		if l, _ := m["cart"].([]any); i < len(l) {
			e, _ := l[i].(map[string]any)
			return e
		}
	case "saved":
		s, _ := m["saved"].(map[string]any)
		e, _ := s[key].(map[string]any)
		return e
	}
	return nil
}

// TestPropertyKeepUnknown: for generated Node records with unknown fields
// at every level, in both formats and across them, a Go save of in-place
// changes keeps every unknown field where it was, the Go view reads what
// Go wrote, and a save of nothing changed stores what was stored.
func TestPropertyKeepUnknown(t *testing.T) {
	for _, tt := range []struct{ from, to codec.Codec[mSession] }{
		{codec.Map[mSession](), codec.Map[mSession]()},
		{codec.JSON[mSession](), codec.JSON[mSession]()},
		{codec.JSON[mSession](), codec.Map[mSession]()},
		{codec.Map[mSession](), codec.JSON[mSession]()},
	} {
		name := string(tt.from.Format()) + " to " + string(tt.to.Format())
		t.Run(name, func(t *testing.T) {
			n := 0
			check := func(c keepCase, change uint8) bool {
				n++
				node := c.node(t)
				text, err := json.Marshal(node)
				if err != nil {
					t.Fatal(err)
				}
				stored := storedAs(t, tt.from.Format(), string(text))
				var s mSession
				if err := tt.from.Decode("k", stored, &s); err != nil {
					t.Errorf("Decode: %v", err)
					return false
				}
				// In-place changes only: every element keeps its place.
				if change&1 != 0 {
					s.Note += "!"
					node["note"] = s.Note
				}
				if change&2 != 0 && len(s.Cart) > 0 {
					s.Cart[0].Qty += 10
					node["cart"].([]any)[0].(map[string]any)["qty"] = int64(s.Cart[0].Qty)
				}
				if change&4 != 0 && s.User != nil {
					s.User.Name += "?"
					node["user"].(map[string]any)["name"] = s.User.Name
				}
				fresh, err := tt.to.Encode("k", &s)
				if err != nil {
					t.Errorf("Encode: %v", err)
					return false
				}
				merged, err := codecs.KeepUnknown(tt.to, stored, fresh)
				if err != nil {
					t.Errorf("KeepUnknown: %v", err)
					return false
				}
				if diff := cmp.Diff(node, read(t, merged)); diff != "" {
					t.Errorf("stored after the save mismatch (-want +got):\n%s", diff)
					return false
				}
				var back mSession
				if err := tt.to.Decode("k", merged, &back); err != nil {
					t.Errorf("Decode merged: %v", err)
					return false
				}
				if diff := cmp.Diff(s, back, cmp.AllowUnexported(mSession{})); diff != "" {
					t.Errorf("Go view mismatch (-want +got):\n%s", diff)
					return false
				}
				if change == 0 && tt.from.Format() == tt.to.Format() && tt.to.Format() == codec.FormatMap && !attr.Equal(stored, merged) {
					t.Errorf("unchanged save stores something else:\n%#v\n%#v", stored, merged)
					return false
				}
				return true
			}
			cfg := &quick.Config{MaxCount: max(1, propN()/2), Rand: rand.New(rand.NewSource(*propSeed))}
			if err := quick.Check(func(c keepCase, change uint8) bool { return check(c, change&7) }, cfg); err != nil {
				t.Error(err)
			}
			t.Logf("%s: %d generated records (seed %d)", name, n, *propSeed)
		})
	}
}
