package codec_test

//lint:file-ignore SA5008 TestFloat32Extremes uses attributevalue's tag options, on purpose

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/reader"
)

// anyCodecs lists every codec for sessions held in a map[string]any, the
// type where a number's Go type is the decoder's choice.
func anyCodecs(t *testing.T) map[string]codec.Codec[map[string]any] {
	t.Helper()
	keys, err := codec.NewKeyring(codec.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]codec.Codec[map[string]any]{
		"map":        codec.Map[map[string]any](),
		"json":       codec.JSON[map[string]any](),
		"msgpack":    codec.Msgpack[map[string]any](),
		"compressed": codec.Compressed[map[string]any](codec.Msgpack[map[string]any]()),
		"sealed":     codec.Sealed[map[string]any](codec.Msgpack[map[string]any](), keys),
	}
}

// typedByRule lists the codecs whose Decode gives numbers in an `any` the
// documented Go types: all of them.
var typedByRule = map[string]bool{"map": true, "json": true, "msgpack": true, "compressed": true, "sealed": true}

// byRule converts the numbers in x to the documented Go types, exactly:
// integers (and integral floats) in int64's range to int64, above it to
// uint64, other floats to float64.
func byRule(x any) any {
	switch v := x.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			out[k] = byRule(e)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = byRule(e)
		}
		return out
	case int8, int16, int32, int64, int:
		return reflect.ValueOf(v).Int()
	case uint8, uint16, uint32, uint64, uint:
		if u := reflect.ValueOf(v).Uint(); u > math.MaxInt64 {
			return u
		} else {
			return int64(u)
		}
	case float32:
		return byRule(float64(v))
	case float64:
		switch {
		case v != math.Trunc(v):
			return v
		case v >= -(1<<63) && v < 1<<63:
			return int64(v)
		case v >= 0 && v < 1<<64:
			return uint64(v)
		}
	}
	return x
}

// TestAnyNumbersExact: a number held in an `any` comes back with its exact
// value, as int64 when it is an integer in int64's range, uint64 above
// that, float64 otherwise, whatever the codec. Before, Map and JSON read
// int64(9007199254740993) back as float64 9007199254740992, and a later
// Save wrote the rounded number.
func TestAnyNumbersExact(t *testing.T) {
	tests := []struct {
		name    string
		in, out any
	}{
		{"int64 above 2^53", int64(9007199254740993), int64(9007199254740993)},
		{"MaxInt64", int64(math.MaxInt64), int64(math.MaxInt64)},
		{"MinInt64", int64(math.MinInt64), int64(math.MinInt64)},
		{"MaxUint64", uint64(math.MaxUint64), uint64(math.MaxUint64)},
		{"2^63", uint64(1) << 63, uint64(1) << 63},
		{"small uint", uint8(200), int64(200)},
		{"int", 7, int64(7)},
		{"negative int32", int32(-70000), int64(-70000)},
		{"fraction", 0.1, 0.1},
		{"JS sum", 0.1 + 0.2, 0.1 + 0.2},
		{"float32", float32(1.5), 1.5},
		{"float32 fraction", float32(0.1), float64(float32(0.1))},                         // was written "0.1", read back as 0.1
		{"integral float beyond 2^53", 1213256496744785152.0, int64(1213256496744785152)}, // was written 1213256496744785200
		{"integral float32 beyond 2^24", float32(123456789), int64(123456792)},
		{"integral float", 3.0, int64(3)},
		{"integral float in uint64 only", 1e19, uint64(10000000000000000000)},
		{"huge float", 1e125, 1e125},
		{"tiny float", 1e-130, 1e-130},
		{"2^70", math.Ldexp(1, 70), math.Ldexp(1, 70)},
		{"nested", []any{map[string]any{"n": int64(-9007199254740993)}}, []any{map[string]any{"n": int64(-9007199254740993)}}},
	}
	for name, c := range anyCodecs(t) {
		for _, tt := range tests {
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				in := map[string]any{"n": tt.in}
				av, err := c.Encode("session#k", &in)
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				var out map[string]any
				if err := c.Decode("session#k", av, &out); err != nil {
					t.Fatalf("Decode: %v", err)
				}
				got := any(out)
				if !typedByRule[name] {
					got = byRule(got)
				}
				if diff := cmp.Diff(any(map[string]any{"n": tt.out}), got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
				again, err := c.Encode("session#k", &out)
				if err != nil {
					t.Fatalf("Encode again: %v", err)
				}
				var back map[string]any
				if err := c.Decode("session#k", again, &back); err != nil {
					t.Fatalf("Decode again: %v", err)
				}
				if diff := cmp.Diff(out, back); diff != "" {
					t.Errorf("second round trip mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestStoredNumbersIntoAny reads numbers other programs wrote, in every
// spelling DynamoDB Local keeps: they come back by value, and a number no
// Go type of an `any` holds exactly is refused, never rounded.
func TestStoredNumbersIntoAny(t *testing.T) {
	tests := []struct {
		text string
		want any // nil: refused
	}{
		{"9007199254740993", int64(9007199254740993)},
		{"007", int64(7)},
		{"+5", int64(5)},
		{"-0", int64(0)},
		{"1.50", 1.5},
		{"2.5e3", int64(2500)},
		{"2.5E-3", 0.0025},
		{"1e-7", 1e-7},
		{"18446744073709551615", uint64(math.MaxUint64)},
		{"1.8446744073709552e19", 18446744073709551616.0}, // 2^64 as a float64 prints it
		{"18446744073709551616", nil},                     // 2^64 in full: a float64 would write 18446744073709552000
		{"1180591620717411303424", nil},                   // 2^70 in full: a float64 would write 1180591620717411300000
		{"0.1000000000000000000001", nil},
		{"9007199254740993.5", nil},
		{"12345678901234567890123456789012345678", nil},
	}
	for _, tt := range tests {
		for name, stored := range map[string]types.AttributeValue{
			"map":  &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: tt.text}}},
			"json": &types.AttributeValueMemberS{Value: `{"n":` + strings.TrimPrefix(tt.text, "+") + `}`},
		} {
			if name == "json" && (strings.HasPrefix(tt.text, "0") && len(tt.text) > 1) {
				continue // not JSON
			}
			t.Run(name+"/"+tt.text, func(t *testing.T) {
				var out map[string]any
				_, derr := reader.New[map[string]any]().Decode("session#k", stored, &out)
				if tt.want == nil {
					if !errors.Is(derr, codec.ErrUnsupported) {
						t.Fatalf("Decode = %v, %v; want an error wrapping ErrUnsupported", out, derr)
					}
					return
				}
				if derr != nil {
					t.Fatalf("Decode: %v", derr)
				}
				if diff := cmp.Diff(map[string]any{"n": tt.want}, out); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestTimeOffsetWithSeconds: a zone offset with seconds (Amsterdam until
// 1937, local mean time almost everywhere before 1900) cannot be written
// in RFC 3339. Map and JSON wrote it truncated to the minute, so the time
// read back 32 s (2 s) away from the instant stored; now such a time is
// written in UTC.
func TestTimeOffsetWithSeconds(t *testing.T) {
	type withTime struct {
		At  time.Time            `json:"at"`
		Ptr *time.Time           `json:"ptr"`
		Any any                  `json:"any"`
		In  []time.Time          `json:"in"`
		By  map[string]time.Time `json:"by"`
	}
	zones := map[string]time.Time{}
	for name, at := range map[string]struct {
		zone string
		t    [6]int
	}{
		"Amsterdam 1900": {"Europe/Amsterdam", [6]int{1900, 1, 1, 12, 0, 0}},
		"New York 1880":  {"America/New_York", [6]int{1880, 6, 1, 8, 30, 15}},
	} {
		loc, err := time.LoadLocation(at.zone)
		if err != nil {
			t.Skipf("no time zone database: %v", err)
		}
		zones[name] = time.Date(at.t[0], time.Month(at.t[1]), at.t[2], at.t[3], at.t[4], at.t[5], 123456789, loc)
	}
	for zname, at := range zones {
		for _, c := range []codec.Codec[withTime]{codec.Map[withTime](), codec.JSON[withTime]()} {
			t.Run(zname+"/"+string(c.Format()), func(t *testing.T) {
				ptr := at
				in := withTime{At: at, Ptr: &ptr, In: []time.Time{at}, By: map[string]time.Time{"k": at}}
				av, err := c.Encode("k", &in)
				if err != nil {
					t.Fatal(err)
				}
				if !in.At.Equal(at) || in.At.Location() != at.Location() || in.Ptr != &ptr || in.Ptr.Location() != at.Location() {
					t.Errorf("Encode changed its input: %v", in)
				}
				var out withTime
				if err := c.Decode("k", av, &out); err != nil {
					t.Fatal(err)
				}
				for what, got := range map[string]time.Time{"field": out.At, "pointer": *out.Ptr, "slice": out.In[0], "map": out.By["k"]} {
					if !got.Equal(at) {
						t.Errorf("%s: read back %v, %v away from %v", what, got, got.Sub(at), at)
					}
					if got.Location() != time.UTC {
						t.Errorf("%s: location %v, want UTC", what, got.Location())
					}
				}
			})
		}
	}
}

// TestTimeOutsideRFC3339 refuses, in Map as in JSON, a time RFC 3339 cannot
// hold: Map wrote year 10000 as text that its own decoder then refused, a
// record no Get could read again.
func TestTimeOutsideRFC3339(t *testing.T) {
	type withTime struct {
		At time.Time `json:"at"`
	}
	for _, at := range []time.Time{
		time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		for _, c := range []codec.Codec[withTime]{codec.Map[withTime](), codec.JSON[withTime]()} {
			t.Run(at.Format("2006")+"/"+string(c.Format()), func(t *testing.T) {
				_, err := c.Encode("k", &withTime{At: at})
				if err == nil {
					t.Fatal("Encode succeeded; want an error")
				}
				if c.Format() == codec.FormatMap && !errors.Is(err, codec.ErrUnsupported) {
					t.Errorf("Encode = %v; want ErrUnsupported", err)
				}
			})
		}
	}
}

// TestFloat32Extremes: a float32 every codec stores reads back, or Map
// refuses it. attributevalue writes a float32 in float32's shortest
// spelling and reads it with strconv.ParseFloat(s, 64) and an overflow
// check, so ±math.MaxFloat32, written 3.4028235e+38 (above MaxFloat32 as a
// float64), was stored by a Put that succeeded and refused by every Get.
// Below an interface the number decodes into the interface, which holds
// it; Map must store those.
func TestFloat32Extremes(t *testing.T) {
	type temp float32
	type session struct {
		F    float32            `json:"f"`
		Neg  float32            `json:"neg"`
		Str  float32            `json:"str,string"`
		Ptr  *float32           `json:"ptr"`
		Set  []float32          `json:"set,numberset"`
		List []float32          `json:"list"`
		Arr  [1]float32         `json:"arr"`
		Temp temp               `json:"temp"`
		Key  map[float32]string `json:"key"`
		Val  map[string]float32 `json:"val"`
		Any  any                `json:"any"`
		// A struct key attributevalue refuses: the walk must not read it
		// as a float32.
		StructKey map[struct{ F float32 }]string `json:"structKey"`
	}
	maxF := float32(math.MaxFloat32)
	tests := map[string]struct {
		in      session
		mapOK   bool // Map stores it
		inIface bool
	}{
		"field":                 {in: session{F: maxF}},
		"negative":              {in: session{Neg: -maxF}},
		"string option":         {in: session{Str: maxF}},
		"pointer":               {in: session{Ptr: &maxF}},
		"number set":            {in: session{Set: []float32{1, maxF}}},
		"list":                  {in: session{List: []float32{maxF}}},
		"array":                 {in: session{Arr: [1]float32{-maxF}}},
		"named type":            {in: session{Temp: temp(maxF)}},
		"map key":               {in: session{Key: map[float32]string{maxF: "x"}}},
		"map value":             {in: session{Val: map[string]float32{"x": maxF}}},
		"next below":            {in: session{F: math.Nextafter32(maxF, 0), Set: []float32{-math.Nextafter32(maxF, 0)}}, mapOK: true},
		"in an interface":       {in: session{Any: maxF}, mapOK: true, inIface: true},
		"slice in an interface": {in: session{Any: []float32{maxF}}, mapOK: true, inIface: true},
		"struct key":            {in: session{StructKey: map[struct{ F float32 }]string{{F: 1}: "x"}}, mapOK: false},
	}
	for name, tt := range tests {
		// MessagePack stores the float32's bits (encoding/json refuses a
		// float map key, so JSON cannot take this session type).
		for _, c := range []codec.Codec[session]{codec.Map[session](), codec.Msgpack[session]()} {
			t.Run(name+"/"+string(c.Format()), func(t *testing.T) {
				av, err := c.Encode("k", &tt.in)
				if c.Format() == codec.FormatMap && !tt.mapOK {
					if !errors.Is(err, codec.ErrUnsupported) {
						t.Fatalf("Encode = %v; want an error wrapping ErrUnsupported", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Encode: %v", err)
				}
				var got session
				if err := c.Decode("k", av, &got); err != nil {
					t.Fatalf("Decode of what Encode stored: %v", err)
				}
				if tt.inIface {
					return // an interface's number takes its Go type by the documented rule
				}
				if diff := cmp.Diff(tt.in, got); diff != "" {
					t.Errorf("mismatch (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestFloat32ExtremesCompiled is TestFloat32Extremes for a type the Map
// codec's compiled encoder takes (no tag options, no float map keys): that
// encoder writes ±math.MaxFloat32 as its exact value, which reads back, so
// it stores what attributevalue's own path must refuse.
func TestFloat32ExtremesCompiled(t *testing.T) {
	type plain struct {
		F    float32            `json:"f"`
		Ptr  *float32           `json:"ptr"`
		List []float32          `json:"list"`
		Val  map[string]float32 `json:"val"`
	}
	maxF := float32(math.MaxFloat32)
	below := math.Nextafter32(maxF, 0)
	tests := map[string]struct{ in plain }{
		"field":      {in: plain{F: maxF}},
		"negative":   {in: plain{F: -maxF}},
		"pointer":    {in: plain{Ptr: &maxF}},
		"list":       {in: plain{List: []float32{1, -maxF}}},
		"map value":  {in: plain{Val: map[string]float32{"x": maxF}}},
		"next below": {in: plain{F: below, List: []float32{-below}}},
	}
	c := codec.Map[plain]()
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			av, err := c.Encode("k", &tt.in)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			var got plain
			if err := c.Decode("k", av, &got); err != nil {
				t.Fatalf("Decode of what Encode stored: %v", err)
			}
			if diff := cmp.Diff(tt.in, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInvalidUTF8 refuses strings and map keys that are not UTF-8 in Map
// and JSON: the SDK (Map) and encoding/json (JSON) replace the bad bytes
// with U+FFFD, so DynamoDB stored something other than the session, and
// every later Save of the same data wrote again. MessagePack stores the
// bytes as they are.
func TestInvalidUTF8(t *testing.T) {
	type session struct {
		S    string            `json:"s"`
		M    map[string]string `json:"m"`
		List []any             `json:"list"`
	}
	tests := map[string]session{
		"string":         {S: "caf\xe9"},
		"map key":        {M: map[string]string{"caf\xe9": "x"}},
		"string in any":  {List: []any{"ok", "caf\xe9"}},
		"truncated rune": {S: "\xf0\x9f\x8e"},
	}
	for name, in := range tests {
		for _, c := range []codec.Codec[session]{codec.Map[session](), codec.JSON[session]()} {
			t.Run(name+"/"+string(c.Format()), func(t *testing.T) {
				_, err := c.Encode("k", &in)
				if !errors.Is(err, codec.ErrUnsupported) || !strings.Contains(err.Error(), "not valid UTF-8") {
					t.Errorf("Encode = %v; want an error wrapping ErrUnsupported that says it is not valid UTF-8", err)
				}
			})
		}
		t.Run(name+"/msgpack", func(t *testing.T) {
			c := codec.Msgpack[session]()
			av, err := c.Encode("k", &in)
			if err != nil {
				t.Fatal(err)
			}
			var out session
			if err := c.Decode("k", av, &out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(in, out); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("valid U+FFFD and backslashes", func(t *testing.T) {
		in := session{S: `\ufffd � \\ufffd`, M: map[string]string{`\ufffd`: "�"}}
		for _, c := range []codec.Codec[session]{codec.Map[session](), codec.JSON[session]()} {
			av, err := c.Encode("k", &in)
			if err != nil {
				t.Fatalf("%s: %v", c.Format(), err)
			}
			var out session
			if err := c.Decode("k", av, &out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(in, out); diff != "" {
				t.Errorf("%s mismatch (-want +got):\n%s", c.Format(), diff)
			}
		}
	})
}

// nest returns a value of depth maps and lists, alternating, around "x".
func nest(depth int) any {
	var v any = "x"
	for i := range depth {
		if i%2 == 0 {
			v = map[string]any{"n": v}
		} else {
			v = []any{v}
		}
	}
	return v
}

// TestNestingDepth: DynamoDB refuses an item whose maps and lists nest 32
// levels deep, the stored attribute itself counting as one ("Nesting
// Levels have exceeded supported limits"; measured on DynamoDB Local 3.1.0:
// 31 levels stored, 32 refused). The Map codec refuses before sending.
func TestNestingDepth(t *testing.T) {
	tests := []struct {
		levels int // of the stored attribute, the session map included
		ok     bool
	}{
		{31, true},
		{32, false},
		{100, false},
	}
	for _, tt := range tests {
		in := map[string]any{"v": nest(tt.levels - 1)}
		t.Run(fmt.Sprint(tt.levels), func(t *testing.T) {
			_, err := codec.Map[map[string]any]().Encode("k", &in)
			switch {
			case tt.ok && err != nil:
				t.Errorf("Encode: %v", err)
			case !tt.ok && !errors.Is(err, codec.ErrUnsupported):
				t.Errorf("Encode = %v; want an error wrapping ErrUnsupported", err)
			}
			if _, err := (codec.JSON[map[string]any]()).Encode("k", &in); err != nil {
				t.Errorf("JSON Encode: %v (a JSON string has no DynamoDB nesting)", err)
			}
		})
	}
}

// rawAV is a session value that marshals itself, as anyvalue.Value does for
// records of any shape: attributevalue's own check for empty map keys
// does not see inside it.
type rawAV struct{ av types.AttributeValue }

func (r rawAV) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) { return r.av, nil }

// TestMapKeysDynamoDBRefuses: an empty map key, and one above 64 KB, are
// attribute names DynamoDB refuses ("Empty attribute name"; a JSON record
// {"":1} migrated to Map failed only on DynamoDB).
func TestMapKeysDynamoDBRefuses(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	m := func(k string, v types.AttributeValue) types.AttributeValue {
		return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{k: v}}
	}
	for name, in := range map[string]map[string]any{
		"empty":                  {"v": rawAV{m("", s("x"))}},
		"empty, nested in list":  {"v": rawAV{&types.AttributeValueMemberL{Value: []types.AttributeValue{m("a", m("", s("x")))}}}},
		"over 64 KB":             {strings.Repeat("k", 65536): 1},
		"invalid UTF-8 in a set": {"v": rawAV{&types.AttributeValueMemberSS{Value: []string{"ok", "caf\xe9"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := codec.Map[map[string]any]().Encode("k", &in)
			if !errors.Is(err, codec.ErrUnsupported) {
				t.Errorf("Encode = %v; want an error wrapping ErrUnsupported", err)
			}
		})
	}
	t.Run("64 KB", func(t *testing.T) {
		in := map[string]any{strings.Repeat("k", 65535): 1}
		if _, err := (codec.Map[map[string]any]()).Encode("k", &in); err != nil {
			t.Errorf("Encode: %v", err)
		}
	})
}

func TestLossy(t *testing.T) {
	anyMap := codec.Codec[map[string]any](codec.Map[map[string]any]())
	for in, want := range map[string]bool{
		`"ab\ud83d"`: true, `"\ud83d\ude00"`: false, `"\\ud83d"`: false,
		`"\udc00x"`: true, `"\u00e9"`: false, `"\ud83d\u0041"`: true,
		`{"user":"a\ud800b"}`: true, `{"user":"a\\\ud800b"}`: true, `{"user":"a\\\\ud800b"}`: false,
	} {
		err := codecs.Lossy(anyMap, &types.AttributeValueMemberS{Value: in})
		if got := errors.Is(err, codec.ErrUnsupported); got != want || (err != nil) != want {
			t.Errorf("Lossy(%s) = %v, want lossy %v", in, err, want)
		}
	}
	for _, av := range []types.AttributeValue{
		&types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"user": &types.AttributeValueMemberS{Value: `a\ud800b`}}},
		&types.AttributeValueMemberB{Value: []byte(`"\ud800"`)},
		nil,
	} {
		if err := codecs.Lossy(anyMap, av); err != nil {
			t.Errorf("Lossy(%#v) = %v, want nil: only JSON text has escapes", av, err)
		}
	}
}

// TestLossyUnknownFields: a rewrite into a format that cannot keep fields
// the session type does not declare would delete them.
func TestLossyUnknownFields(t *testing.T) {
	type user struct {
		Name string `json:"name"`
	}
	node := `{"name":"ada","flash":"hi"}`
	tests := []struct {
		name   string
		stored types.AttributeValue
		to     codec.Codec[user]
		lossy  bool
	}{
		{"JSON to msgpack", &types.AttributeValueMemberS{Value: node}, codec.Msgpack[user](), true},
		{"Map to msgpack", storedAs(t, codec.FormatMap, node), codec.Msgpack[user](), true},
		{"JSON to compressed", &types.AttributeValueMemberS{Value: node}, codec.Compressed[user](codec.Msgpack[user]()), true},
		{"JSON to Map keeps them", &types.AttributeValueMemberS{Value: node}, codec.Map[user](), false},
		{"Map to JSON keeps them", storedAs(t, codec.FormatMap, node), codec.JSON[user](), false},
		{"nothing unknown", &types.AttributeValueMemberS{Value: `{"name":"ada"}`}, codec.Msgpack[user](), false},
		{"msgpack stored", &types.AttributeValueMemberB{Value: []byte{0x80}}, codec.Msgpack[user](), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := codecs.Lossy(tt.to, tt.stored)
			if errors.Is(err, codec.ErrUnsupported) != tt.lossy {
				t.Errorf("Lossy = %v, want lossy %v", err, tt.lossy)
			}
		})
	}
	if err := codecs.Lossy(codec.Codec[map[string]any](codec.Msgpack[map[string]any]()), &types.AttributeValueMemberS{Value: node}); err != nil {
		t.Errorf("Lossy into map[string]any = %v, want nil: the map holds every field", err)
	}
}

// TestMapReadsAnyNumberSpelling: DynamoDB Local keeps the spelling a number
// was sent in; attributevalue refused "2.0" and "2.5e3" for an int field.
func TestMapReadsAnyNumberSpelling(t *testing.T) {
	type session struct {
		Qty   int     `json:"qty"`
		Big   uint64  `json:"big"`
		Price float64 `json:"price"`
	}
	n := func(s string) types.AttributeValue { return &types.AttributeValueMemberN{Value: s} }
	stored := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"qty": n("2.0"), "big": n("2.5e3"), "price": n("001.50")}}
	var out session
	if err := (codec.Map[session]()).Decode("k", stored, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(session{Qty: 2, Big: 2500, Price: 1.5}, out); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
	if got := stored.Value["qty"].(*types.AttributeValueMemberN).Value; got != "2.0" {
		t.Errorf("Decode changed the stored value: qty %q", got)
	}
}

// selfMarshaled has marshalers with pointer receivers and a float in an
// interface value, which Encode rewrites: they must still be called.
type selfMarshaled struct {
	N any `json:"n"`
}

func (s *selfMarshaled) MarshalJSON() ([]byte, error) { return []byte(`{"self":true}`), nil }

func (s *selfMarshaled) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"self": &types.AttributeValueMemberBOOL{Value: true}}}, nil
}

type holdsSelfMarshaled struct {
	In  selfMarshaled `json:"in"`
	Any any           `json:"any"`
}

func TestRewriteKeepsPointerMarshalers(t *testing.T) {
	in := holdsSelfMarshaled{In: selfMarshaled{N: 3.0}, Any: 3.0}
	for _, c := range []codec.Codec[holdsSelfMarshaled]{codec.Map[holdsSelfMarshaled](), codec.JSON[holdsSelfMarshaled]()} {
		av, err := c.Encode("k", &in)
		if err != nil {
			t.Fatal(err)
		}
		got := read(t, av)
		want := map[string]any{"in": map[string]any{"self": true}, "any": int64(3)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s mismatch (-want +got):\n%s", c.Format(), diff)
		}
	}
}

// rawUTF8 writes its text as a JSON string, as it is: a MarshalJSON
// method whose output encoding/json copies unchecked.
type rawUTF8 string

func (r rawUTF8) MarshalJSON() ([]byte, error) { return []byte(`"` + string(r) + `"`), nil }

// ptrRawUTF8 is rawUTF8 with a pointer receiver, which encoding/json
// calls on addressable values.
type ptrRawUTF8 string

func (r *ptrRawUTF8) MarshalJSON() ([]byte, error) { return []byte(`"` + string(*r) + `"`), nil }

// TestJSONMarshalerInvalidUTF8: what a MarshalJSON method returns
// (json.RawMessage's included) reaches the text without encoding/json's
// UTF-8 repair, so the JSON codec still checks the text for invalid UTF-8
// whenever the session type can hold such a method, directly or in an
// interface; the same text in valid UTF-8 encodes.
func TestJSONMarshalerInvalidUTF8(t *testing.T) {
	type session struct {
		Raw  json.RawMessage `json:"raw,omitempty"`
		Val  rawUTF8         `json:"val,omitempty"`
		Ptr  ptrRawUTF8      `json:"ptr,omitempty"`
		Any  any             `json:"any,omitempty"`
		Seen time.Time       `json:"seen"`
	}
	tests := []struct {
		name    string
		in      session
		invalid bool
	}{
		{"RawMessage", session{Raw: json.RawMessage("\"caf\xe9\"")}, true},
		{"value receiver", session{Val: "caf\xe9"}, true},
		{"pointer receiver", session{Ptr: "caf\xe9"}, true},
		{"in an interface", session{Any: rawUTF8("caf\xe9")}, true},
		{"valid", session{Raw: json.RawMessage(`"café"`), Val: "café", Ptr: "café", Any: rawUTF8("café")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := codec.JSON[session]().Encode("k", &tt.in)
			switch {
			case tt.invalid && (!errors.Is(err, codec.ErrUnsupported) || !strings.Contains(err.Error(), "not valid UTF-8")):
				t.Errorf("Encode = %v; want an error wrapping ErrUnsupported that says it is not valid UTF-8", err)
			case !tt.invalid && err != nil:
				t.Errorf("Encode = %v; want success", err)
			}
		})
	}
}
