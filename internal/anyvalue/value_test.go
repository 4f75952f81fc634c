package anyvalue

import (
	"bytes"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/reader"
)

func jsonAttr(s string) types.AttributeValue { return &types.AttributeValueMemberS{Value: s} }

func msgpackAttr(t *testing.T, v any) types.AttributeValue {
	t.Helper()
	b, err := msgpack.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return &types.AttributeValueMemberB{Value: b}
}

// TestValueConversions converts stored values between formats through a
// Value and checks the result, read back as canonical JSON, or the error.
func TestValueConversions(t *testing.T) {
	targets := map[codec.Format]codec.Codec[Value]{
		codec.FormatJSON:    codec.JSON[Value](),
		codec.FormatMap:     codec.Map[Value](),
		codec.FormatMsgpack: codec.Msgpack[Value](),
	}
	ts := time.Date(2026, 11, 21, 9, 30, 0, 123456789, time.UTC)
	cases := []struct {
		name    string
		in      func(t *testing.T) types.AttributeValue
		to      codec.Format
		want    string // the result as canonical JSON
		wantErr string
	}{
		{"integer beyond 2^53 to msgpack", func(*testing.T) types.AttributeValue { return jsonAttr(`{"n":9007199254740993}`) }, codec.FormatMsgpack, `{"n":9007199254740993}`, ""},
		{"integer beyond int64 to msgpack", func(*testing.T) types.AttributeValue { return jsonAttr(`{"n":12345678901234567890}`) }, codec.FormatMsgpack, `{"n":12345678901234567890}`, ""},
		{"negative integer to msgpack", func(*testing.T) types.AttributeValue { return jsonAttr(`{"n":-9223372036854775808}`) }, codec.FormatMsgpack, `{"n":-9223372036854775808}`, ""},
		{"shortest float to msgpack", func(*testing.T) types.AttributeValue { return jsonAttr(`{"n":0.30000000000000004}`) }, codec.FormatMsgpack, `{"n":0.30000000000000004}`, ""},
		{"exponent integer to msgpack", func(*testing.T) types.AttributeValue { return jsonAttr(`{"n":1e2}`) }, codec.FormatMsgpack, `{"n":100}`, ""},
		{"large float to msgpack", func(*testing.T) types.AttributeValue { return jsonAttr(`{"n":1e300}`) }, codec.FormatMsgpack, `{"n":1e+300}`, ""},
		{"too precise for float64", func(*testing.T) types.AttributeValue { return jsonAttr(`{"n":0.10000000000000000001}`) }, codec.FormatMsgpack, "", "more digits than a 64-bit float"},
		{"too large for float64", func(*testing.T) types.AttributeValue { return jsonAttr(`{"n":1e400}`) }, codec.FormatMsgpack, "", "does not fit a 64-bit float"},
		{"integer beyond 2^64 as exact float", func(*testing.T) types.AttributeValue { return jsonAttr(`{"n":100000000000000000000}`) }, codec.FormatMsgpack, `{"n":1e+20}`, ""},
		{"DynamoDB number keeps its digits in JSON", func(*testing.T) types.AttributeValue {
			return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"n": &types.AttributeValueMemberN{Value: "3.14159265358979323846264338327950288"}}}
		}, codec.FormatJSON, `{"n":3.14159265358979323846264338327950288}`, ""},
		{"null, booleans, nesting, empty", func(*testing.T) types.AttributeValue {
			return jsonAttr(`{"a":null,"b":true,"c":false,"d":[1,[2,{"e":[]}]],"f":{},"g":""}`)
		}, codec.FormatMap, `{"a":null,"b":true,"c":false,"d":[1,[2,{"e":[]}]],"f":{},"g":""}`, ""},
		{"binary to JSON is base64", func(*testing.T) types.AttributeValue {
			return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 255}}}}
		}, codec.FormatJSON, `{"b":"AAEC/w=="}`, ""},
		{"binary stays binary in msgpack", func(*testing.T) types.AttributeValue {
			return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"b": &types.AttributeValueMemberB{Value: []byte{0, 1, 2, 255}}}}
		}, codec.FormatMsgpack, `{"b":"AAEC/w=="}`, ""},
		{"timestamp to JSON is RFC 3339", func(t *testing.T) types.AttributeValue { return msgpackAttr(t, map[string]any{"t": ts}) }, codec.FormatJSON, `{"t":"2026-11-21T09:30:00.123456789Z"}`, ""},
		{"timestamp to map is RFC 3339", func(t *testing.T) types.AttributeValue { return msgpackAttr(t, map[string]any{"t": ts}) }, codec.FormatMap, `{"t":"2026-11-21T09:30:00.123456789Z"}`, ""},
		{"msgpack integer keys become text", func(t *testing.T) types.AttributeValue { return msgpackAttr(t, map[int]string{1: "a", -2: "b"}) }, codec.FormatJSON, `{"-2":"b","1":"a"}`, ""},
		{"msgpack float32 keeps its shortest form", func(t *testing.T) types.AttributeValue { return msgpackAttr(t, map[string]any{"f": float32(0.1)}) }, codec.FormatJSON, `{"f":0.1}`, ""},
		{"msgpack boolean keys have no equivalent", func(t *testing.T) types.AttributeValue { return msgpackAttr(t, map[bool]string{true: "a"}) }, codec.FormatJSON, "", "map key of type bool"},
		{"msgpack NaN has no equivalent", func(t *testing.T) types.AttributeValue { return msgpackAttr(t, map[string]any{"f": math.NaN()}) }, codec.FormatJSON, "", "no equivalent"},
		{"string set has no msgpack equivalent", func(*testing.T) types.AttributeValue {
			return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"s": &types.AttributeValueMemberSS{Value: []string{"a"}}}}
		}, codec.FormatMsgpack, "", "string set has no MessagePack equivalent"},
		{"number set has no JSON equivalent", func(*testing.T) types.AttributeValue {
			return &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"s": &types.AttributeValueMemberNS{Value: []string{"1"}}}}
		}, codec.FormatJSON, "", "number set has no JSON equivalent"},
		{"too deep", func(*testing.T) types.AttributeValue {
			return jsonAttr(strings.Repeat("[", maxDepth+2) + strings.Repeat("]", maxDepth+2))
		}, codec.FormatMsgpack, "", "nested deeper"},
		{"top-level scalar to map", func(*testing.T) types.AttributeValue { return jsonAttr(`"just a string"`) }, codec.FormatMap, "", "not a map"},
	}
	reader := reader.New[Value]()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var v Value
			_, err := reader.Decode("k", c.in(t), &v)
			var out types.AttributeValue
			if err == nil {
				out, err = targets[c.to].Encode("k", &v)
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var back Value
			if _, err := reader.Decode("k", out, &back); err != nil {
				t.Fatalf("reading back: %v", err)
			}
			if !sameValue(v.v, back.v) {
				t.Errorf("read back %#v, want the same as %#v", back.v, v.v)
			}
			got, err := back.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(c.want, string(got)); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSameValue(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)
	cases := []struct {
		name string
		a, b any
		want bool
	}{
		{"numbers by value", Number("1e2"), Number("100"), true},
		{"different numbers", Number("0.1"), Number("0.10000000000000001"), false},
		{"bytes and base64", []byte{1, 2}, "AQI=", true},
		{"base64 and bytes", "AQI=", []byte{1, 2}, true},
		{"time and RFC 3339", ts, "2026-01-02T03:04:05.000000006Z", true},
		{"time in another zone", ts, ts.In(time.FixedZone("x", 3600)), true},
		{"string and number", "1", Number("1"), false},
		{"nil and empty map", nil, map[string]any{}, false},
		{"maps with a missing key", map[string]any{"a": nil}, map[string]any{"b": nil}, false},
		{"lists in order", []any{"a", "b"}, []any{"b", "a"}, false},
		{"sets regardless of order", stringSet{"a", "b"}, stringSet{"b", "a"}, true},
		{"number sets by value", numberSet{"1", "2.0"}, numberSet{"2", "1"}, true},
		{"set and list", stringSet{"a"}, []any{"a"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := sameValue(c.a, c.b); got != c.want {
				t.Errorf("sameValue(%#v, %#v) = %v, want %v", c.a, c.b, got, c.want)
			}
		})
	}
}

// FuzzValue feeds arbitrary JSON through every format and checks that
// what converts reads back as the same value.
func FuzzValue(f *testing.F) {
	for _, s := range []string{
		`{"cookie":{"originalMaxAge":86400000,"expires":"2026-11-22T09:00:00.000Z"},"n":12345678901234567890}`,
		`{"a":[1,2.5,-3e-7,{"b":null}],"c":true,"d":""}`,
		`[1,"x",false]`, `"s"`, `0.1`, `{"\u00e9":"\ud83d\ude00"}`,
	} {
		f.Add(s)
	}
	codecs := []codec.Codec[Value]{codec.JSON[Value](), codec.Map[Value](), codec.Msgpack[Value]()}
	f.Fuzz(func(t *testing.T, s string) {
		var v Value
		if err := (codec.JSON[Value]()).Decode("k", jsonAttr(s), &v); err != nil {
			return
		}
		for _, c := range codecs {
			av, err := c.Encode("k", &v)
			if err != nil {
				continue // not every value fits every format; none may change
			}
			var back Value
			if err := c.Decode("k", av, &back); err != nil {
				t.Fatalf("%s cannot read what it wrote for %q: %v", c.Format(), s, err)
			}
			if !sameValue(v.v, back.v) {
				t.Fatalf("%s changed %q: %#v became %#v", c.Format(), s, v.v, back.v)
			}
		}
	})
}

// allocatedBy returns the bytes f allocated on the heap. Tests that use it
// must not run in parallel with others.
func allocatedBy(f func()) int64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return int64(after.TotalAlloc - before.TotalAlloc)
}

// valueDecoders are the ways MessagePack reaches a Value: through
// codec.Msgpack (the CLI's inspect and migrate), inside a compressed
// envelope, and through vmihailenco/msgpack directly, which calls
// DecodeMsgpack without the codec's checks.
var valueDecoders = map[string]func([]byte, *Value) error{
	"codec.Msgpack": func(b []byte, v *Value) error { return codec.Msgpack[Value]().Unmarshal(b, v) },
	"codec.Compressed": func(b []byte, v *Value) error {
		return codec.Compressed[Value](codec.Msgpack[Value]()).Unmarshal(append([]byte("\xc1zmn"), b...), v)
	},
	"msgpack.Unmarshal": func(b []byte, v *Value) error { return msgpack.Unmarshal(b, v) },
}

// TestValueLengthHeaders: length headers that claim far more than
// follows made `dynamosession inspect` allocate what they claimed (issue
// 12: 23 GB RSS for one record; 4 GiB headers end the process). Each
// decoder must fail within codecs.MsgpackAllocBound, through the codec
// with ErrMalformedMsgpack.
func TestValueLengthHeaders(t *testing.T) {
	const u32 = "\xff\xff\xff\xff"
	cases := map[string]string{
		"array32":                    "\xdd" + u32,
		"map32":                      "\xdf" + u32,
		"str32":                      "\xdb" + u32,
		"bin32":                      "\xc6" + u32,
		"ext32":                      "\xc9" + u32 + "\xff",
		"the 12-byte record":         "\x81\xa5items\xdd" + u32,
		"array32 in a map in a list": "\x91\x81\xa1k\xdd" + u32,
	}
	for name, data := range cases {
		for via, decode := range valueDecoders {
			t.Run(name+" via "+via, func(t *testing.T) {
				b := []byte(data)
				_ = decode(b, new(Value)) // fills the library's per-type tables
				var err error
				got := allocatedBy(func() { err = decode(b, new(Value)) })
				if err == nil {
					t.Fatal("decode succeeded")
				}
				if via != "msgpack.Unmarshal" && !errors.Is(err, codec.ErrMalformedMsgpack) {
					t.Errorf("decode = %v, want ErrMalformedMsgpack", err)
				}
				if bound := codecs.MsgpackAllocBound[Value](len(b)); got > bound {
					t.Errorf("decoding %d bytes allocated %d, bound %d", len(b), got, bound)
				}
			})
		}
	}
}

// FuzzValueMsgpack decodes arbitrary bytes into a Value by every way
// MessagePack reaches one, checking the allocation bound; what the codec
// accepts must encode and read back as the same value.
func FuzzValueMsgpack(f *testing.F) {
	f.Add([]byte("\x81\xa5items\xdd\xff\xff\xff\xff"))
	f.Add([]byte("\x83\xa1n\xcf\xff\xff\xff\xff\xff\xff\xff\xff\xa1t\xd6\xff\x00\x00\x00\x01\xa1b\xc4\x02\x00\x01"))
	f.Add([]byte("\x92\x81\x01\xa1x\x80"))
	f.Add([]byte("\xc7\x0c\xff\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x01"))
	// Found by this target: 26 fixmap headers of 15 entries each, nested,
	// made DecodeMsgpack allocate 32 KB when it sized maps by their header.
	f.Add(bytes.Repeat([]byte{0x8f}, 26))
	f.Fuzz(func(t *testing.T, data []byte) {
		bound := codecs.MsgpackAllocBound[Value](len(data) + len("\xc1zmn"))
		for via, decode := range valueDecoders {
			_ = decode(data, new(Value))
			var err error
			if got := allocatedBy(func() { err = decode(data, new(Value)) }); got > bound {
				t.Fatalf("%s: decoding %d bytes allocated %d, bound %d (err %v)", via, len(data), got, bound, err)
			}
		}
		var v Value
		c := codec.Msgpack[Value]()
		if err := c.Unmarshal(data, &v); err != nil {
			return
		}
		b, err := c.Marshal(&v)
		if err != nil {
			t.Fatalf("a Value read from MessagePack does not encode: %v", err)
		}
		var back Value
		if err := c.Unmarshal(b, &back); err != nil {
			t.Fatalf("cannot read what was written: %v", err)
		}
		if !sameValue(v.v, back.v) {
			t.Fatalf("round trip changed %#v into %#v", v.v, back.v)
		}
	})
}

// TestHugeExponentIsCheap: a 16-byte JSON number with a huge exponent is
// refused before big.Rat builds it (found by a breaker: 3.8 MB and 22 ms
// for `{"a":[1e999999]}`).
func TestHugeExponentIsCheap(t *testing.T) {
	for _, in := range []string{`{"a":[1e999999]}`, `{"a":1e-999999}`} {
		var v Value
		if err := v.UnmarshalJSON([]byte(in)); err != nil {
			t.Fatal(err)
		}
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		before := ms.TotalAlloc
		_, err := codec.Msgpack[Value]().Encode("k", &v)
		runtime.ReadMemStats(&ms)
		if err == nil {
			t.Errorf("%s encoded as MessagePack, want it refused", in)
		}
		if got := ms.TotalAlloc - before; got > 64<<10 {
			t.Errorf("%s: refusing it allocated %d bytes, want under 64 KiB", in, got)
		}
	}
}

// TestZeroValue: every codec writes the zero Value in its own format, as
// dynamosession.New checks of a repository's codec; codec.Map, which
// stores only maps, writes an empty one.
func TestZeroValue(t *testing.T) {
	cs := []codec.Codec[Value]{codec.JSON[Value](), codec.Map[Value](), codec.Msgpack[Value](), codec.Compressed[Value](codec.Msgpack[Value]())}
	for _, c := range cs {
		t.Run(string(c.Format()), func(t *testing.T) {
			var zero Value
			av, err := c.Encode("k", &zero)
			if err != nil {
				t.Fatal(err)
			}
			if got := codecs.Detect(av); got != c.Format() {
				t.Errorf("zero Value detected as %q", got)
			}
		})
	}
	av, _ := codec.Map[Value]().Encode("k", new(Value))
	if diff := cmp.Diff(`{}`, canonicalJSON(t, av)); diff != "" {
		t.Errorf("zero Value in Map mismatch (-want +got):\n%s", diff)
	}
}

func canonicalJSON(t *testing.T, av types.AttributeValue) string {
	t.Helper()
	var v Value
	if err := (codec.Map[Value]()).Decode("k", av, &v); err != nil {
		t.Fatal(err)
	}
	b, err := v.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
