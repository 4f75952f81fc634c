package codec_test

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/reader"
)

// profile is a session with the value types the codecs promise to round-trip.
type profile struct {
	User    string            `json:"user"`
	Empty   string            `json:"empty"`
	Unicode string            `json:"unicode"`
	Visits  int64             `json:"visits"`
	Big     uint64            `json:"big"`
	Ratio   float64           `json:"ratio"`
	Admin   bool              `json:"admin"`
	Tags    []string          `json:"tags"`
	Prefs   map[string]string `json:"prefs"`
	Nested  *nested           `json:"nested"`
	NilPtr  *nested           `json:"nilPtr"`
	LoginAt time.Time         `json:"loginAt"`
	Raw     []byte            `json:"raw"`
	Omitted string            `json:"omitted,omitempty"`
}

type nested struct {
	Cart  []item `json:"cart"`
	Total int    `json:"total"`
}

type item struct {
	SKU string  `json:"sku"`
	Qty int     `json:"qty"`
	EUR float64 `json:"eur"`
}

func sample() profile {
	return profile{
		User:    "ada",
		Unicode: "Grüße, 世界 🎉",
		Visits:  42,
		Big:     math.MaxUint64,
		Ratio:   0.1,
		Admin:   true,
		Tags:    []string{"a", "b"},
		Prefs:   map[string]string{"theme": "dark", "lang": "en"},
		Nested:  &nested{Cart: []item{{SKU: "X1", Qty: 2, EUR: 9.99}}, Total: 2},
		LoginAt: time.Date(2026, 11, 21, 14, 40, 5, 123456789, time.UTC),
		Raw:     []byte{0, 1, 0xC1, 0xFF},
	}
}

// allCodecs lists every codec under its name, for table tests.
func allCodecs() map[string]codec.Codec[profile] {
	return map[string]codec.Codec[profile]{
		"map":     codec.Map[profile](),
		"json":    codec.JSON[profile](),
		"msgpack": codec.Msgpack[profile](),
	}
}

// timeEqual compares times by instant: the codecs promise the instant to
// the nanosecond, not the time zone (msgpack decodes into time.Local).
var timeEqual = cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) })

func TestRoundTrip(t *testing.T) {
	for name, c := range allCodecs() {
		t.Run(name, func(t *testing.T) {
			in := sample()
			av, err := c.Encode("session#k", &in)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			if got := codecs.Detect(av); got != c.Format() {
				t.Errorf("Detect = %q, want %q", got, c.Format())
			}
			var out profile
			if err := c.Decode("session#k", av, &out); err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if diff := cmp.Diff(in, out, timeEqual); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestTimeFields pins down, per codec, what happens to time.Time: the
// instant survives to the nanosecond in all three; the zone does not in
// msgpack; Map and JSON store RFC 3339 text.
func TestTimeFields(t *testing.T) {
	type withTime struct {
		At time.Time `json:"at"`
	}
	paris := time.FixedZone("CET", 3600)
	at := time.Date(2026, 1, 2, 3, 4, 5, 6, paris)
	tests := []struct {
		c        codec.Codec[withTime]
		stored   string // the stored text, where the format is text
		sameZone bool
	}{
		{codec.Map[withTime](), "2026-01-02T03:04:05.000000006+01:00", true},
		{codec.JSON[withTime](), `{"at":"2026-01-02T03:04:05.000000006+01:00"}`, true},
		{codec.Msgpack[withTime](), "", false},
	}
	for _, tt := range tests {
		t.Run(string(tt.c.Format()), func(t *testing.T) {
			av, err := tt.c.Encode("", &withTime{At: at})
			if err != nil {
				t.Fatal(err)
			}
			switch v := av.(type) {
			case *types.AttributeValueMemberM:
				if got := v.Value["at"].(*types.AttributeValueMemberS).Value; got != tt.stored {
					t.Errorf("stored %q, want %q", got, tt.stored)
				}
			case *types.AttributeValueMemberS:
				if v.Value != tt.stored {
					t.Errorf("stored %q, want %q", v.Value, tt.stored)
				}
			}
			var out withTime
			if err := tt.c.Decode("", av, &out); err != nil {
				t.Fatal(err)
			}
			if !out.At.Equal(at) {
				t.Errorf("decoded %v, want the instant %v", out.At, at)
			}
			if _, off := out.At.Zone(); (off == 3600) != tt.sameZone {
				t.Errorf("zone offset %d; codec keeps zone = %v", off, tt.sameZone)
			}
		})
	}
}

func TestDecodeWrongType(t *testing.T) {
	stored := map[string]types.AttributeValue{
		"S":    &types.AttributeValueMemberS{Value: "{}"},
		"N":    &types.AttributeValueMemberN{Value: "1"},
		"B":    &types.AttributeValueMemberB{Value: []byte{0x80}},
		"M":    &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}},
		"NULL": &types.AttributeValueMemberNULL{Value: true},
	}
	accepts := map[string]string{"map": "M", "json": "S", "msgpack": "B"}
	for name, c := range allCodecs() {
		for typ, av := range stored {
			t.Run(name+"/"+typ, func(t *testing.T) {
				var out profile
				err := c.Decode("", av, &out)
				if typ == accepts[name] {
					if err != nil {
						t.Fatalf("Decode of an empty %s: %v", typ, err)
					}
					return
				}
				if !errors.Is(err, codec.ErrUnknownFormat) {
					t.Fatalf("Decode of %s = %v, want ErrUnknownFormat", typ, err)
				}
			})
		}
	}
}

func TestDecodeCorrupt(t *testing.T) {
	tests := []struct {
		name string
		c    codec.Codec[profile]
		av   types.AttributeValue
	}{
		{"json/truncated", codec.JSON[profile](), &types.AttributeValueMemberS{Value: `{"user":"a`}},
		{"json/type", codec.JSON[profile](), &types.AttributeValueMemberS{Value: `{"visits":"many"}`}},
		{"msgpack/truncated", codec.Msgpack[profile](), &types.AttributeValueMemberB{Value: []byte{0x81, 0xa4, 'u', 's'}}},
		{"msgpack/trailing", codec.Msgpack[profile](), &types.AttributeValueMemberB{Value: []byte{0x80, 0x80}}},
		{"msgpack/envelope", codec.Msgpack[profile](), &types.AttributeValueMemberB{Value: []byte{0xC1, 'z'}}},
		{"map/type", codec.Map[profile](), &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
			"visits": &types.AttributeValueMemberS{Value: "many"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out profile
			if err := tt.c.Decode("", tt.av, &out); err == nil {
				t.Fatalf("Decode succeeded on corrupt input: %+v", out)
			}
		})
	}
}

func TestEncodeUnsupported(t *testing.T) {
	type bad struct {
		C chan int `json:"c"`
	}
	type nan struct {
		F float64 `json:"f"`
	}
	if _, err := (codec.JSON[bad]()).Encode("", &bad{C: make(chan int)}); err == nil {
		t.Error("JSON encoded a channel")
	}
	if _, err := (codec.Msgpack[bad]()).Encode("", &bad{C: make(chan int)}); err == nil {
		t.Error("Msgpack encoded a channel")
	}
	if _, err := (codec.Map[bad]()).Encode("", &bad{C: make(chan int)}); err == nil {
		t.Error("Map encoded a channel")
	}
	if _, err := (codec.JSON[nan]()).Encode("", &nan{F: math.NaN()}); err == nil {
		t.Error("JSON encoded NaN")
	}
	if _, err := (codec.Map[nan]()).Encode("", &nan{F: math.Inf(1)}); err == nil {
		t.Error("Map encoded +Inf, which DynamoDB numbers cannot hold")
	}
	// Msgpack has float64 NaN natively: it round-trips.
	av, err := (codec.Msgpack[nan]()).Encode("", &nan{F: math.NaN()})
	if err != nil {
		t.Fatalf("Msgpack NaN: %v", err)
	}
	var out nan
	if err := (codec.Msgpack[nan]()).Decode("", av, &out); err != nil || !math.IsNaN(out.F) {
		t.Errorf("Msgpack NaN round trip = %v, %v", out.F, err)
	}
}

func TestMapRejectsNonMapTypes(t *testing.T) {
	s := "plain"
	_, err := (codec.Map[string]()).Encode("", &s)
	if err == nil || !strings.Contains(err.Error(), "not a map") {
		t.Fatalf("Encode(string) = %v, want a not-a-map error", err)
	}
}

func TestMsgpackDeterministic(t *testing.T) {
	// vmihailenco/msgpack sorts the keys of map[string]string,
	// map[string]bool and map[string]any; other map types may encode in
	// any order, which the repository's change detection allows for.
	v := map[string]any{}
	for i := range 50 {
		v[string(rune('a'+i%26))+strings.Repeat("x", i)] = map[string]any{"n": i, "s": "v"}
	}
	c := codec.Msgpack[map[string]any]()
	first, err := c.Marshal(&v)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := c.Marshal(&v)
		if string(again) != string(first) {
			t.Fatal("Msgpack encodes one map to different bytes")
		}
	}
}

func TestDetect(t *testing.T) {
	tests := []struct {
		av   types.AttributeValue
		want codec.Format
	}{
		{&types.AttributeValueMemberM{}, codec.FormatMap},
		{&types.AttributeValueMemberS{Value: "{}"}, codec.FormatJSON},
		{&types.AttributeValueMemberB{Value: []byte{0x80}}, codec.FormatMsgpack},
		{&types.AttributeValueMemberB{Value: []byte{0xC1, 0}}, ""},
		{&types.AttributeValueMemberN{Value: "1"}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := codecs.Detect(tt.av); got != tt.want {
			t.Errorf("Detect(%#v) = %q, want %q", tt.av, got, tt.want)
		}
	}
}

func TestReaderReadsEveryFormat(t *testing.T) {
	in := sample()
	r := reader.New[profile](codec.Msgpack[profile]())
	for name, c := range allCodecs() {
		t.Run(name, func(t *testing.T) {
			av, err := c.Encode("", &in)
			if err != nil {
				t.Fatal(err)
			}
			var out profile
			f, err := r.Decode("", av, &out)
			if err != nil || f != c.Format() {
				t.Fatalf("Decode = %q, %v; want %q", f, err, c.Format())
			}
			if diff := cmp.Diff(in, out, timeEqual); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	_, err := r.Decode("", &types.AttributeValueMemberN{Value: "1"}, new(profile))
	if !errors.Is(err, codec.ErrUnknownFormat) {
		t.Errorf("Decode(N) = %v, want ErrUnknownFormat", err)
	}
}

// TestMsgpackMalformedNilTime: vmihailenco/msgpack panics decoding a nil
// into a time.Time; a stored record must give an error instead.
func TestMsgpackMalformedNilTime(t *testing.T) {
	var v profile
	if err := (codec.Msgpack[profile]()).Unmarshal([]byte("\x81\xa7loginAt\xc0"), &v); err == nil {
		t.Fatal("Unmarshal accepted nil for a time.Time")
	}
}

func TestMsgpackCanonical(t *testing.T) {
	type sorted struct {
		M map[string]string `json:"m"`
		B map[string]bool   `json:"b"`
		T time.Time         `json:"t"`
		N []nested          `json:"n"`
	}
	type unsorted struct {
		M map[string]int `json:"m"`
	}
	type loose struct {
		V any `json:"v"`
	}
	for name, got := range map[string]bool{
		"sorted maps only": codec.Msgpack[sorted]().(canonical).Canonical(),
		"map[string]int":   codec.Msgpack[unsorted]().(canonical).Canonical(),
		"interface field":  codec.Msgpack[loose]().(canonical).Canonical(),
	} {
		if want := name == "sorted maps only"; got != want {
			t.Errorf("%s: Canonical = %v, want %v", name, got, want)
		}
	}
}

// TestMapEncodeSized: the size the Map codec measures while it checks an
// encoding is the one internal/capacity counts for it, for every kind of
// attribute value (strings, numbers, binary, booleans, nulls, sets, maps
// and lists, nested): a repository's item-size check relies on it instead
// of walking the data again.
func TestMapEncodeSized(t *testing.T) {
	type sets struct {
		Strings asIs `json:"ss"`
		Numbers asIs `json:"ns"`
		Blobs   asIs `json:"bs"`
	}
	type kinds struct {
		P    profile        `json:"p"`
		Any  map[string]any `json:"any"`
		List []any          `json:"list"`
		Nil  *int           `json:"nil"`
		Sets sets           `json:"sets"`
	}
	values := map[string]kinds{
		"zero": {},
		"every kind": {
			P:    sample(),
			Any:  map[string]any{"n": -12.5, "s": "x", "b": false, "deep": map[string]any{"l": []any{1, "two", nil, []byte{3}}}},
			List: []any{int64(-7), 1e-20, "", map[string]any{}},
			Sets: sets{
				Strings: asIs{&types.AttributeValueMemberSS{Value: []string{"a", "bé"}}},
				Numbers: asIs{&types.AttributeValueMemberNS{Value: []string{"1", "-0.25", "1e30"}}},
				Blobs:   asIs{&types.AttributeValueMemberBS{Value: [][]byte{{1}, {2, 3}}}},
			},
		},
	}
	enc, ok := codec.Map[kinds]().(interface {
		EncodeSized(key string, v *kinds) (types.AttributeValue, int, error)
	})
	if !ok {
		t.Fatal("the Map codec has no EncodeSized")
	}
	for name, v := range values {
		t.Run(name, func(t *testing.T) {
			av, size, err := enc.EncodeSized("k", &v)
			if err != nil {
				t.Fatal(err)
			}
			if want := capacity.AttributeSize(av); size != want {
				t.Errorf("EncodeSized measured %d bytes, capacity.AttributeSize counts %d", size, want)
			}
		})
	}
}

// asIs encodes as the attribute value it holds (the Map codec names
// fields by their json tags, so attributevalue's set options are not
// available to a test type).
type asIs struct{ av types.AttributeValue }

func (a asIs) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	if a.av == nil {
		return &types.AttributeValueMemberNULL{Value: true}, nil
	}
	return a.av, nil
}
