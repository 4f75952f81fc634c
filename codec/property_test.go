package codec_test

// Property tests of the README's exactness claims ("Lossless types",
// "Dates"), for every codec, on generated values: a value each codec
// stores reads back exactly, or the codec refuses it with ErrUnsupported
// for a documented reason; it never stores an approximation.

import (
	"errors"
	"flag"
	"math"
	"math/rand"
	"reflect"
	"strings"
	"testing"
	"testing/quick"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/attr"
)

var (
	propSeed  = flag.Int64("prop.seed", 1, "seed of the generated values of the property tests")
	propCount = flag.Int("prop.count", 1000, "generated values per codec in each property test (a tenth with -short)")
)

// propN is how many values a property test generates per codec.
func propN() int {
	if testing.Short() {
		return max(1, *propCount/10)
	}
	return *propCount
}

// propSession has a field of every type the README calls lossless.
type propSession struct {
	S      string           `json:"s"`
	Empty  string           `json:"empty"`
	I      int64            `json:"i"`
	I32    int32            `json:"i32"`
	U      uint64           `json:"u"`
	F      float64          `json:"f"`
	F32    float32          `json:"f32"`
	B      bool             `json:"b"`
	Bytes  []byte           `json:"bytes"`
	At     time.Time        `json:"at"`
	AtPtr  *time.Time       `json:"atPtr"`
	Tags   []string         `json:"tags"`
	Counts map[string]int64 `json:"counts"`
	Nested *propNested      `json:"nested"`
	Any    any              `json:"any"`
	Omit   string           `json:"omit,omitempty"`
}

type propNested struct {
	Lines []propLine `json:"lines"`
	Note  string     `json:"note"`
}

type propLine struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

// Generate makes a propSession biased to the edges: extreme integers,
// floats from every bit pattern, strings of awkward characters (and
// sometimes invalid UTF-8), times in every zone kind, deep and empty
// containers.
func (propSession) Generate(r *rand.Rand, _ int) reflect.Value {
	g := gen{r}
	s := propSession{
		S:      g.str(),
		I:      g.int64(),
		I32:    int32(g.int64()),
		U:      g.uint64(),
		F:      g.float(),
		F32:    float32(g.float()),
		B:      r.Intn(2) == 0,
		At:     g.time(),
		Tags:   g.strs(),
		Counts: g.counts(),
		Any:    g.anyValue(0),
		Omit:   g.pick("", g.str()).(string),
	}
	switch r.Intn(3) {
	case 0:
		s.Bytes = []byte{}
	case 1:
		s.Bytes = []byte(g.str())
	}
	if r.Intn(2) == 0 {
		at := g.time()
		s.AtPtr = &at
	}
	if r.Intn(3) > 0 {
		s.Nested = &propNested{Note: g.str()}
		for range r.Intn(4) {
			s.Nested.Lines = append(s.Nested.Lines, propLine{SKU: g.str(), Qty: int(g.int64()), Price: g.float()})
		}
	}
	return reflect.ValueOf(s)
}

type gen struct{ r *rand.Rand }

func (g gen) pick(vs ...any) any { return vs[g.r.Intn(len(vs))] }

var awkward = []string{
	"", "a", "Zoë", "世界", "🎉", "\u2028", "\ufffd", `\ufffd`, `"`, `\`, "<>&", "\x00", "\t\n", "é",
	"\U0010FFFF", "caf\xe9", // the last: not UTF-8
}

func (g gen) str() string {
	var b strings.Builder
	for range g.r.Intn(4) {
		if g.r.Intn(40) == 0 {
			b.WriteString(awkward[g.r.Intn(len(awkward))])
		} else {
			b.WriteString(awkward[g.r.Intn(len(awkward)-1)])
		}
	}
	return b.String()
}

// key is a map key: now and then empty, which DynamoDB refuses.
func (g gen) key() string {
	if k := g.str(); k != "" || g.r.Intn(10) == 0 {
		return k
	}
	return "k" + g.str()
}

func (g gen) strs() []string {
	switch g.r.Intn(3) {
	case 0:
		return nil
	case 1:
		return []string{}
	}
	out := make([]string, 1+g.r.Intn(3))
	for i := range out {
		out[i] = g.str()
	}
	return out
}

func (g gen) counts() map[string]int64 {
	switch g.r.Intn(3) {
	case 0:
		return nil
	case 1:
		return map[string]int64{}
	}
	m := map[string]int64{}
	for range 1 + g.r.Intn(3) {
		m[g.key()] = g.int64()
	}
	return m
}

func (g gen) int64() int64 {
	switch g.r.Intn(6) {
	case 0:
		return g.pick(int64(0), int64(1), int64(-1), int64(math.MaxInt64), int64(math.MinInt64), int64(1<<53+1), -int64(1<<53+1)).(int64)
	case 1:
		return int64(g.r.Intn(1000))
	}
	return int64(g.r.Uint64())
}

func (g gen) uint64() uint64 {
	if g.r.Intn(4) == 0 {
		return g.pick(uint64(0), uint64(math.MaxUint64), uint64(1)<<63).(uint64)
	}
	return g.r.Uint64() >> g.r.Intn(64)
}

// float returns floats of every kind: any bit pattern (NaN, infinities,
// subnormals, magnitudes DynamoDB cannot hold), JavaScript's usual
// suspects, and plain decimals.
func (g gen) float() float64 {
	switch g.r.Intn(12) {
	case 0:
		return math.Float64frombits(g.r.Uint64())
	case 1, 2:
		return g.pick(0.0, math.Copysign(0, -1), 0.1, 0.1+0.2, 1e-7, 1.5, 3.0, 1e21, 1e125, 1e-130, 5e-324, math.MaxFloat64, float64(1<<53)+2).(float64)
	case 3, 4:
		return float64(g.r.Intn(100000)) / 100
	}
	return (g.r.Float64() - 0.5) * math.Pow(10, float64(g.r.Intn(60)-30))
}

var (
	amsterdam, _ = time.LoadLocation("Europe/Amsterdam")
	newYork, _   = time.LoadLocation("America/New_York")
)

// time returns instants across and beyond RFC 3339's years, in UTC, the
// local zone, fixed zones (some with seconds, some a day or more) and
// historic zones whose offset had seconds.
func (g gen) time() time.Time {
	var sec int64
	if g.r.Intn(10) == 0 {
		sec = g.r.Int63n(1<<40) - 1<<39 // up to ±17,000 years
	} else {
		sec = g.r.Int63n(253402300799+62135596800) - 62135596800 // years 0000 to 9999
	}
	t := time.Unix(sec, int64(g.r.Intn(1e9)))
	switch g.r.Intn(6) {
	case 0:
		return t.UTC()
	case 1:
		return t.Local()
	case 2:
		return t.In(time.FixedZone("", (g.r.Intn(48*60)-24*60)*60))
	case 3:
		return t.In(time.FixedZone("odd", g.r.Intn(2*26*3600)-26*3600))
	case 4:
		if amsterdam != nil {
			return t.In(amsterdam)
		}
	case 5:
		if newYork != nil {
			return t.In(newYork)
		}
	}
	return t
}

// anyValue returns what a session holds in an `any`: JSON-like trees,
// sometimes nested beyond DynamoDB's limit.
func (g gen) anyValue(depth int) any {
	deep := depth < 40 && g.r.Intn(40) == 0
	if depth > 3 && !deep {
		return g.str()
	}
	switch g.r.Intn(10) {
	case 0:
		return nil
	case 1:
		return g.r.Intn(2) == 0
	case 2:
		return g.str()
	case 3:
		return g.int64()
	case 4:
		return g.uint64()
	case 5:
		return g.float()
	case 6, 7:
		n := g.r.Intn(3)
		if deep {
			n = 1
		}
		l := make([]any, n)
		for i := range l {
			l[i] = g.anyValue(depth + 1)
		}
		return l
	}
	n := g.r.Intn(3)
	if deep {
		n = 1
	}
	m := make(map[string]any, n)
	for range n {
		m[g.key()] = g.anyValue(depth + 1)
	}
	return m
}

// refusal is why codec c may refuse v, or "" if it must store it exactly.
func refusal(c codec.Format, v propSession) string {
	var why []string
	walkProp(v, func(x any, depth int) {
		switch x := x.(type) {
		case string:
			if !utf8.ValidString(x) && (c == codec.FormatMap || c == codec.FormatJSON) {
				why = append(why, "invalid UTF-8")
			}
			if x == "" && depth < 0 && c == codec.FormatMap {
				why = append(why, "empty map key")
			}
		case float64:
			switch {
			case math.IsNaN(x) || math.IsInf(x, 0):
				if c == codec.FormatMap || c == codec.FormatJSON {
					why = append(why, "NaN or infinity")
				}
			case x != 0 && (math.Abs(x) >= 1e126 || math.Abs(x) < 1e-130):
				if c == codec.FormatMap {
					why = append(why, "outside DynamoDB's number range")
				}
			}
		case time.Time:
			if y := x.Year(); (y < 0 || y > 9999) && (c == codec.FormatMap || c == codec.FormatJSON) {
				why = append(why, "year outside RFC 3339")
			}
		case int:
			if x > 31 && c == codec.FormatMap {
				why = append(why, "nested deeper than DynamoDB allows")
			}
		}
	})
	return strings.Join(why, ", ")
}

// walkProp calls fn with every string, float64 and time.Time in v, with
// map keys given a negative depth, and with an int: the nesting level of
// every map and list in the stored attribute (the session map is 1).
func walkProp(v propSession, fn func(x any, depth int)) {
	var walk func(x any, level int)
	walk = func(x any, level int) {
		switch x := x.(type) {
		case string, time.Time:
			fn(x, level)
		case float64:
			fn(x, level)
		case float32:
			fn(float64(x), level)
		case []any:
			fn(level, level)
			for _, e := range x {
				walk(e, level+1)
			}
		case map[string]any:
			fn(level, level)
			for k, e := range x {
				fn(k, -1)
				walk(e, level+1)
			}
		}
	}
	for _, s := range []string{v.S, v.Empty, v.Omit} {
		fn(s, 1)
	}
	fn(v.F, 1)
	fn(float64(v.F32), 1)
	fn(v.At, 1)
	if v.AtPtr != nil {
		fn(*v.AtPtr, 1)
	}
	for _, s := range v.Tags {
		fn(s, 2)
	}
	for k := range v.Counts {
		fn(k, -1)
	}
	if v.Nested != nil {
		fn(v.Nested.Note, 2)
		for _, l := range v.Nested.Lines {
			fn(l.SKU, 4)
			fn(l.Price, 4)
		}
	}
	walk(v.Any, 2)
}

// propCodecs are every codec of the package for propSession.
func propCodecs(t *testing.T) map[string]codec.Codec[propSession] {
	t.Helper()
	keys, err := codec.NewKeyring(codec.Key{ID: "k1", Secret: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]codec.Codec[propSession]{
		"map":        codec.Map[propSession](),
		"json":       codec.JSON[propSession](),
		"msgpack":    codec.Msgpack[propSession](),
		"compressed": codec.Compressed[propSession](codec.Msgpack[propSession](), func(o *codec.CompressOptions) { o.Threshold = -1 }),
		"sealed":     codec.Sealed[propSession](codec.Msgpack[propSession](), keys),
	}
}

// storedFormat is the format whose rules apply: the wrappers store
// MessagePack.
func storedFormat(c codec.Codec[propSession]) codec.Format {
	if f := c.Format(); f == codec.FormatMap || f == codec.FormatJSON {
		return f
	}
	return codec.FormatMsgpack
}

// exactly compares what the README promises: floats bit for bit, times by
// instant (and zone offset, checked apart), numbers in `any` by the
// documented rule. DynamoDB numbers have no negative zero: in Map, -0
// reads back as 0.
func exactly(f codec.Format) cmp.Options {
	zeroSigned := f != codec.FormatMap
	return cmp.Options{
		cmp.Comparer(func(a, b float64) bool {
			return math.Float64bits(a) == math.Float64bits(b) || !zeroSigned && a == 0 && b == 0
		}),
		cmp.Comparer(func(a, b float32) bool {
			return math.Float32bits(a) == math.Float32bits(b) || !zeroSigned && a == 0 && b == 0
		}),
		cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }),
	}
}

// TestPropertyLosslessOrRefused: for every codec, each generated session
// is either refused with ErrUnsupported for a reason the docs give, or
// reads back exactly, and reading and writing it again changes nothing
// (so a Save of unchanged data sends nothing).
func TestPropertyLosslessOrRefused(t *testing.T) {
	for name, c := range propCodecs(t) {
		t.Run(name, func(t *testing.T) {
			f := storedFormat(c)
			var stored, refused int
			reasons := map[string]int{}
			check := func(v propSession) bool {
				why := refusal(f, v)
				av, err := c.Encode("session#k", &v)
				if err != nil {
					if why == "" || !errors.Is(err, codec.ErrUnsupported) {
						t.Errorf("Encode refused a storable value (%v): %#v", err, v)
						return false
					}
					refused++
					reasons[why]++
					return true
				}
				if why != "" {
					t.Errorf("Encode stored a value it cannot hold exactly (%s): %#v", why, v)
					return false
				}
				stored++
				var back propSession
				if err := c.Decode("session#k", av, &back); err != nil {
					t.Errorf("Decode: %v\nvalue: %#v", err, v)
					return false
				}
				want := v
				want.Any = byRule(v.Any)
				got := back
				if !typedByRule[name] {
					got.Any = byRule(got.Any)
				}
				if diff := cmp.Diff(want, got, exactly(f)); diff != "" {
					t.Errorf("round trip mismatch (-want +got):\n%s", diff)
					return false
				}
				if !zonesKept(f, v, back) {
					t.Errorf("zone offsets not kept as documented: %v -> %v, %v -> %v", v.At, back.At, v.AtPtr, back.AtPtr)
					return false
				}
				again, err := c.Encode("session#k", &back)
				if err != nil {
					t.Errorf("Encode of what was read: %v", err)
					return false
				}
				var twice propSession
				if err := c.Decode("session#k", again, &twice); err != nil {
					t.Errorf("Decode again: %v", err)
					return false
				}
				if diff := cmp.Diff(back, twice, exactly(f)); diff != "" {
					t.Errorf("second round trip mismatch (-want +got):\n%s", diff)
					return false
				}
				if (f == codec.FormatMap || f == codec.FormatJSON) && !sameStored(av, again) {
					t.Errorf("writing back what was read stores something else:\n%#v\n%#v", av, again)
					return false
				}
				return true
			}
			cfg := &quick.Config{MaxCount: propN(), Rand: rand.New(rand.NewSource(*propSeed))}
			if err := quick.Check(check, cfg); err != nil {
				t.Error(err)
			}
			t.Logf("%s: %d generated sessions, %d stored exactly, %d refused (seed %d); refused for: %v", name, stored+refused, stored, refused, *propSeed, reasons)
		})
	}
}

// zonesKept checks the documented zones: Map and JSON keep an offset RFC
// 3339 can write and give UTC otherwise.
func zonesKept(f codec.Format, in, out propSession) bool {
	if f != codec.FormatMap && f != codec.FormatJSON {
		return true
	}
	ok := func(a, b time.Time) bool {
		_, ao := a.Zone()
		_, bo := b.Zone()
		if ao%60 != 0 || ao <= -24*3600 || ao >= 24*3600 {
			return b.Location() == time.UTC
		}
		return ao == bo
	}
	if in.AtPtr != nil && !ok(*in.AtPtr, *out.AtPtr) {
		return false
	}
	return ok(in.At, out.At)
}

// sameStored compares two encodings as a repository's Save does before
// deciding to write: maps by key, numbers by value, text and bytes exactly.
func sameStored(a, b types.AttributeValue) bool { return attr.Equal(a, b) }
