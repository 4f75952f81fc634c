package codec

// The compiled Map encoder (mapenc.go) is proven against attributevalue,
// the encoder it replaces: for every value, the same AttributeValue tree
// (nil and empty told apart), the same size, and the same error (text,
// ErrUnsupported, and attributevalue's own error type) as EncodeSized's
// attributevalue path (encodeMapAV). Three sources of values: a table of
// the edges, values generated from a seed, and a fuzz target.

//lint:file-ignore SA5008 the tables use attributevalue's tag options and encoding/json's edge cases, on purpose

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/samplesession"
)

var (
	mapencSeed  = flag.Uint64("mapenc.seed", 1, "seed of the values TestMapEncodeMatchesAttributevalueGenerated generates")
	mapencCount = flag.Int("mapenc.count", 4000, "values TestMapEncodeMatchesAttributevalueGenerated generates (a tenth with -short)")
)

// avTreeEqual compares AttributeValue trees completely: the SDK's member
// types carry an unexported marker field, and nil and empty slices and
// maps differ (DynamoDB and the SDK treat them differently).
var avTreeEqual = cmp.Exporter(func(reflect.Type) bool { return true })

// matchAttributevalue fails t unless the compiled encoder encodes *v as
// attributevalue's path does. exactErr: compare error texts too (false
// only for generated values with more than one fault, where
// attributevalue's path picks one by Go's random map order).
func matchAttributevalue[T any](t *testing.T, v *T, exactErr bool) {
	t.Helper()
	plan := mapPlanFor(reflect.TypeFor[T]())
	if plan == nil {
		t.Fatalf("%v takes attributevalue's path, want the compiled encoder", reflect.TypeFor[T]())
	}
	want, wantSize, wantErr := encodeMapAV(v)
	want, wantSize = float32MaxExact(want, wantSize)
	got, gotSize, gotErr := plan.encode(unsafe.Pointer(v))
	if diff := cmp.Diff(errSummary(wantErr, exactErr), errSummary(gotErr, exactErr)); diff != "" {
		t.Fatalf("error mismatch (-want +got):\n%s\nvalue: %#v", diff, *v)
	}
	if wantErr != nil {
		return
	}
	if diff := cmp.Diff(want, got, avTreeEqual); diff != "" {
		t.Fatalf("AttributeValue mismatch (-want +got):\n%s", diff)
	}
	if wantSize != gotSize {
		t.Fatalf("size = %d, want %d", gotSize, wantSize)
	}
}

// float32MaxExact returns av, of size size, with a float32 of ±MaxFloat32
// spelled as the compiled encoder spells it on purpose (encodeFloat32):
// attributevalue's spelling of it does not read back. The float64
// 3.4028235e38 spells the same in attributevalue: no value the tests
// encode holds it (the generator's random float64s end in 16 zero bits;
// its bits end in 0xaff8).
func float32MaxExact(av types.AttributeValue, size int) (types.AttributeValue, int) {
	short := strconv.FormatFloat(math.MaxFloat32, 'f', -1, 32)
	exact := strconv.FormatFloat(math.MaxFloat32, 'f', -1, 64)
	var walk func(av types.AttributeValue) types.AttributeValue
	walk = func(av types.AttributeValue) types.AttributeValue {
		switch v := av.(type) {
		case *types.AttributeValueMemberN:
			for _, sign := range []string{"", "-"} {
				if v.Value == sign+short {
					size += capacity.NumberSize(sign+exact) - capacity.NumberSize(v.Value)
					return &types.AttributeValueMemberN{Value: sign + exact}
				}
			}
		case *types.AttributeValueMemberM:
			for k, e := range v.Value {
				v.Value[k] = walk(e)
			}
		case *types.AttributeValueMemberL:
			for i, e := range v.Value {
				v.Value[i] = walk(e)
			}
		}
		return av
	}
	return walk(av), size
}

type errFacts struct {
	Failed, Unsupported, InvalidMarshal bool
	Text                                string
}

func errSummary(err error, text bool) errFacts {
	if err == nil {
		return errFacts{}
	}
	f := errFacts{Failed: true, Unsupported: errors.Is(err, ErrUnsupported)}
	if text { // which error, when the value holds one fault
		var invalid *attributevalue.InvalidMarshalError
		f.InvalidMarshal = errors.As(err, &invalid)
		f.Text = err.Error()
	}
	return f
}

// Types of the table. Named kinds, every tag form, and the edges of
// each kind attributevalue treats apart.
type (
	encInt    int
	encString string
	encBytes  []byte
	encTime   time.Time
	encKey    string

	encScalars struct {
		B    bool
		I    int
		I8   int8
		I16  int16
		I32  int32
		I64  int64
		U    uint
		U8   uint8
		U16  uint16
		U32  uint32
		U64  uint64
		F32  float32
		F64  float64
		S    string
		NI   encInt
		NS   encString
		Bs   []byte
		NBs  encBytes
		A4   [4]byte
		T    time.Time
		NT   encTime
		PT   *time.Time
		PI   *int
		PS   *string
		PSl  *[]int
		PM   *map[string]int
		PB   *[]byte
		PArr *[2]int
	}

	encOmit struct {
		B   bool              `json:"b,omitempty"`
		I   int               `json:"i,omitempty"`
		U64 uint64            `json:"u64,omitempty"`
		F   float64           `json:"f,omitempty"`
		F32 float32           `json:"f32,omitempty"`
		S   string            `json:"s,omitempty"`
		Bs  []byte            `json:"bs,omitempty"`
		Sl  []int             `json:"sl,omitempty"`
		M   map[string]int    `json:"m,omitempty"`
		P   *int              `json:"p,omitempty"`
		PS  *string           `json:"ps,omitempty"`
		A0  [0]int            `json:"a0,omitempty"`
		A2  [2]int            `json:"a2,omitempty"`
		St  struct{ X int }   `json:"st,omitempty"`
		T   time.Time         `json:"t,omitempty"`
		PT  *time.Time        `json:"pt,omitempty"`
		MS  map[string]string `json:"ms,omitempty"`
	}

	encTags struct {
		JSON        string `json:"j"`
		AV          string `dynamodbav:"a"`
		Both        string `json:"bj" dynamodbav:"ba"`
		JSONHides   string `json:"-" dynamodbav:"seen"`
		AVHidesOnly string `json:"shown" dynamodbav:"-"`
		DashComma   string `json:"-,"`
		NoName      string `json:",omitempty" dynamodbav:"named"`
		AVOmit      string `json:"avomit" dynamodbav:",omitempty"`
		Unknown     string `json:"u,inline"`
		Unicode     string `json:"ünï"`
		unexported  string
		Plain       string
	}

	encNils struct {
		NilSlice   []int
		EmptySlice []int
		NilMap     map[string]int
		EmptyMap   map[string]int
		NilBytes   []byte
		EmptyBytes []byte
		A0         [0]int
		B0         [0]byte
		NilPtrs    []*int
		NilInMap   map[string]*string
		Nested     [][]string
		Structs    []struct{ A, B int }
		NilStrMap  map[string]string
	}

	encKeys struct {
		Ints   map[int]string
		I8     map[int8]int
		U8     map[uint8]bool
		U64    map[uint64]string
		Bools  map[bool]int
		Named  map[encKey]int
		Slices map[string][]int
		Deep   map[string]map[string]encInt
		Times  map[string]time.Time
	}

	encNode struct {
		Name     string    `json:"name"`
		Children []encNode `json:"children,omitempty"`
		Next     *encNode  `json:"next,omitempty"`
		Tagged   map[string]*encNode
	}

	encDeepMap  map[string]encDeepMap
	encDeepList struct{ L []encDeepList }

	encFloats struct{ F []float64 }
	encF32s   struct{ F []float32 }
	encStrs   struct {
		S  string
		L  []string
		M  map[string]string
		MI map[string]int
	}
	encRootMap map[string]encInt
	encTimes   struct {
		T  time.Time
		L  []time.Time
		NT encTime
	}
)

// chainOf returns a struct nested n maps deep counting itself (the
// session's map is the first level).
func chainOf(n int) *encNode {
	root := &encNode{Name: "1"}
	for cur, i := root, 2; i <= n; i++ {
		cur.Next = &encNode{Name: strconv.Itoa(i)}
		cur = cur.Next
	}
	return root
}

func deepMap(n int) encDeepMap {
	m := encDeepMap{}
	for cur, i := m, 2; i <= n; i++ {
		next := encDeepMap{}
		cur["k"] = next
		cur = next
	}
	return m
}

func deepList(n int) encDeepList {
	// The struct is level 1; each list and the struct in it two more.
	root := encDeepList{}
	cur := &root
	for level := 1; level+2 <= n; level += 2 {
		cur.L = []encDeepList{{}}
		cur = &cur.L[0]
	}
	return root
}

func ptr[T any](v T) *T { return &v }

type encCase struct {
	name string
	run  func(t *testing.T)
}

func caseOf[T any](name string, v T) encCase {
	return encCase{name, func(t *testing.T) { matchAttributevalue(t, &v, true) }}
}

func TestMapEncodeMatchesAttributevalue(t *testing.T) {
	zone := func(name string, off int) *time.Location { return time.FixedZone(name, off) }
	when := time.Date(2024, 2, 29, 23, 59, 58, 123456789, time.UTC)
	below := math.Nextafter(1e-130, 0)
	cases := []encCase{
		caseOf("scalars zero", encScalars{}),
		caseOf("scalars max", encScalars{
			B: true, I: math.MaxInt, I8: math.MaxInt8, I16: math.MaxInt16, I32: math.MaxInt32, I64: math.MaxInt64,
			U: math.MaxUint, U8: math.MaxUint8, U16: math.MaxUint16, U32: math.MaxUint32, U64: math.MaxUint64,
			F32: math.MaxFloat32, F64: 9.999999999999999e125, S: "héllo", NI: 7, NS: "named",
			Bs: []byte{0, 1, 255}, NBs: encBytes("xyz"), A4: [4]byte{1, 2, 3, 4}, T: when, NT: encTime(when),
			PT: &when, PI: ptr(0), PS: ptr(""), PSl: new([]int), PM: new(map[string]int), PB: new([]byte), PArr: &[2]int{},
		}),
		caseOf("scalars min", encScalars{
			I: math.MinInt, I8: math.MinInt8, I16: math.MinInt16, I32: math.MinInt32, I64: math.MinInt64,
			F32: -math.SmallestNonzeroFloat32, F64: -1e-130,
			PSl: &[]int{1}, PM: &map[string]int{"a": 1}, PB: &[]byte{}, PI: ptr(-1),
		}),
		caseOf("omitempty zero", encOmit{F: math.Copysign(0, -1), F32: float32(math.Copysign(0, -1))}),
		caseOf("omitempty empty not nil", encOmit{Bs: []byte{}, Sl: []int{}, M: map[string]int{}, MS: map[string]string{}, P: ptr(0), PS: ptr(""), PT: &time.Time{}}),
		caseOf("omitempty set", encOmit{B: true, I: -1, U64: 1, F: 0.5, F32: 1.5, S: "s", Bs: []byte{1}, Sl: []int{0}, M: map[string]int{"z": 0}, A2: [2]int{1, 2}, T: when}),
		caseOf("tags", encTags{JSON: "1", AV: "2", Both: "3", JSONHides: "4", AVHidesOnly: "5", DashComma: "6", NoName: "7", AVOmit: "", Unknown: "8", Unicode: "9", unexported: "10", Plain: "11"}),
		caseOf("tags zero", encTags{}),
		caseOf("nils", encNils{EmptySlice: []int{}, EmptyMap: map[string]int{}, EmptyBytes: []byte{}, NilPtrs: []*int{nil, ptr(1)},
			NilInMap: map[string]*string{"nil": nil, "empty": ptr("")}, Nested: [][]string{nil, {}, {"a"}}, Structs: []struct{ A, B int }{{}, {1, 2}}}),
		caseOf("nils zero", encNils{}),
		caseOf("keys", encKeys{
			Ints: map[int]string{-1: "a", 0: "b", math.MaxInt: "c"}, I8: map[int8]int{math.MinInt8: 1}, U8: map[uint8]bool{255: true},
			U64: map[uint64]string{math.MaxUint64: "max"}, Bools: map[bool]int{true: 1, false: 0}, Named: map[encKey]int{"k": 1},
			Slices: map[string][]int{"nil": nil, "empty": {}, "one": {1}}, Deep: map[string]map[string]encInt{"a": {"b": 1}, "n": nil},
			Times: map[string]time.Time{"zero": {}, "now": when},
		}),
		caseOf("recursive", encNode{Name: "root", Children: []encNode{{Name: "a"}, {Name: "b", Children: []encNode{}}}, Next: &encNode{Name: "n"},
			Tagged: map[string]*encNode{"x": nil, "y": {Name: "y"}}}),
		caseOf("root map", encRootMap{"a": 1, "b": -2}),
		caseOf("root map nil", encRootMap(nil)),
		caseOf("root map empty key", encRootMap{"": 1}),

		// Floats: attributevalue spells them strconv 'f', shortest; DynamoDB
		// holds 1E-130 up to below 1E+126.
		caseOf("floats spelled", encFloats{F: []float64{0, math.Copysign(0, -1), 1e20, 1e21, 1e22, 0.1, 0.1 + 0.2, 1e-7, 123456789.125, 1e-130, -1e-130, 9.999999999999999e125, math.MaxInt64, 1 << 53}}),
		caseOf("float32 spelled", encF32s{F: []float32{0, 0.1, 16777217, math.MaxFloat32, math.SmallestNonzeroFloat32, 1e20, 1e21, float32(math.Copysign(0, -1))}}),
		caseOf("float 5e-324", encFloats{F: []float64{1, 5e-324}}),
		caseOf("float below 1e-130", encFloats{F: []float64{below}}),
		caseOf("float 1e126", encFloats{F: []float64{1e126}}),
		caseOf("float max", encFloats{F: []float64{math.MaxFloat64}}),
		caseOf("float NaN", encFloats{F: []float64{math.NaN()}}),
		caseOf("float +Inf", encFloats{F: []float64{math.Inf(1)}}),
		caseOf("float -Inf", encFloats{F: []float64{0, math.Inf(-1)}}),
		caseOf("float32 +Inf", encF32s{F: []float32{float32(math.Inf(1))}}),
		caseOf("float32 NaN", encF32s{F: []float32{float32(math.NaN())}}),
		caseOf("float field NaN", encScalars{F64: math.NaN()}),

		// Strings and keys.
		caseOf("string not UTF-8", encStrs{S: "ok\xffno"}),
		caseOf("list string not UTF-8", encStrs{L: []string{"a", "b", "\xc3"}}),
		caseOf("map value not UTF-8", encStrs{M: map[string]string{"k": "\xed\xa0\x80"}}),
		caseOf("map key not UTF-8", encStrs{M: map[string]string{"\xff": "v"}}),
		caseOf("map key not UTF-8 int map", encStrs{MI: map[string]int{"a\xffb": 1}}),
		caseOf("map key empty", encStrs{M: map[string]string{"": "v"}}),
		caseOf("map key empty int map", encStrs{MI: map[string]int{"": 1}}),
		caseOf("map key 65535 bytes", encStrs{MI: map[string]int{strings.Repeat("k", 65535): 1}}),
		caseOf("map key 65536 bytes", encStrs{MI: map[string]int{strings.Repeat("k", 65536): 1}}),
		caseOf("map key 65536 bytes string map", encStrs{M: map[string]string{strings.Repeat("k", 65536): ""}}),
		caseOf("map key empty in nested map", encKeys{Deep: map[string]map[string]encInt{"a": {"": 1}}}),
		caseOf("map key empty in named key map", encKeys{Named: map[encKey]int{"": 1}}),
		// An encoder failure wins over a problem checkAV found earlier.
		caseOf("empty key after bad string", struct {
			A []string
			B map[string]int
		}{A: []string{"\xff"}, B: map[string]int{"": 1}}),
		caseOf("float NaN in a list in a list", struct{ L [][]float64 }{L: [][]float64{{1}, {math.NaN()}}}),

		// Nesting: 31 levels are stored, 32 refused.
		caseOf("struct chain 30", *chainOf(30)),
		caseOf("struct chain 31", *chainOf(31)),
		caseOf("struct chain 32", *chainOf(32)),
		caseOf("struct chain 40", *chainOf(40)),
		caseOf("map chain 30", deepMap(30)),
		caseOf("map chain 31", deepMap(31)),
		caseOf("map chain 32", deepMap(32)),
		caseOf("list chain 31", deepList(31)),
		caseOf("list chain 32", deepList(32)),
		caseOf("list chain 33", deepList(33)),
		// checkAV's first error in the walk wins over nesting.
		caseOf("bad string before too deep", struct{ L []encDeepOrBad }{L: []encDeepOrBad{{S: "\xff"}, {Deep: deepMap(33)}}}),
		caseOf("too deep before bad string", struct{ L []encDeepOrBad }{L: []encDeepOrBad{{Deep: deepMap(33)}, {S: "\xff"}}}),

		// Times: RFC 3339 with nanoseconds, in UTC when the offset has
		// seconds; years RFC 3339 cannot write are refused.
		caseOf("times", encTimes{
			T: time.Date(2020, 1, 2, 3, 4, 5, 6, zone("IST", 5*3600+1800)),
			L: []time.Time{
				{},
				time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
				time.Date(1883, 11, 18, 12, 0, 0, 0, zone("LMT", -(4*3600+56*60+2))),
				time.Date(2000, 6, 1, 0, 0, 0, 0, zone("", -30)),
				time.Date(9999, 12, 31, 23, 59, 59, 999999999, zone("X", 14*3600)),
				time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC),
				time.Date(2024, 1, 1, 0, 0, 0, 0, zone("far", 30*3600)),
				when.Local(),
			},
			NT: encTime(time.Date(2021, 3, 4, 5, 6, 7, 0, zone("S", 61))),
		}),
		caseOf("time year 10000", encTimes{T: time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}),
		caseOf("time year -1 in list", encTimes{L: []time.Time{when, time.Date(-1, 1, 1, 0, 0, 0, 0, time.UTC)}}),
		caseOf("named time year 10000", encTimes{NT: encTime(time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC))}),
		caseOf("time in map year 10000", encKeys{Times: map[string]time.Time{"t": time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)}}),

		caseOf("sample session", samplesession.New(rand.New(rand.NewPCG(1, 0)), 2048, when)),
		caseOf("sample session 64KB", samplesession.New(rand.New(rand.NewPCG(2, 0)), 64<<10, when)),
	}
	for _, c := range cases {
		t.Run(c.name, c.run)
	}
}

// encDeepOrBad is a list element with one fault: a map nested too deep,
// or a string that is not UTF-8.
type encDeepOrBad struct {
	Deep encDeepMap `json:",omitempty"`
	S    string     `json:",omitempty"`
}

type (
	encMarshals    struct{ X int }
	encPtrMarshals struct{ X int }
	encTextKey     string
	encStringerKey int
	encNumber      string
	encByte        byte
	encEmbedded    struct{ X int }
)

func (encMarshals) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberS{Value: "m"}, nil
}

func (*encPtrMarshals) MarshalDynamoDBAttributeValue() (types.AttributeValue, error) {
	return &types.AttributeValueMemberS{Value: "pm"}, nil
}

func (k encTextKey) MarshalText() ([]byte, error) { return []byte("t" + string(k)), nil }
func (k encStringerKey) String() string           { return "s" + strconv.Itoa(int(k)) }
func (encNumber) Float64() (float64, error)       { return 0, nil }
func (encNumber) Int64() (int64, error)           { return 0, nil }
func (n encNumber) String() string                { return string(n) }

// TestMapEncodeFallsBack: types the compiled encoder does not model take
// attributevalue's path, and the codec still encodes them as before.
func TestMapEncodeFallsBack(t *testing.T) {
	type embeds struct {
		encEmbedded
		Y int
	}
	type embedsPtr struct {
		*encEmbedded
	}
	type dup struct {
		A int `dynamodbav:"x"` // json would do the same; vet refuses two json tags of a name
		B int `dynamodbav:"x"`
	}
	type dupUntagged struct {
		X int
		Y int `json:"X"`
	}
	tests := []struct {
		name string
		typ  reflect.Type
	}{
		{"marshaler", reflect.TypeFor[struct{ M encMarshals }]()},
		{"pointer marshaler", reflect.TypeFor[struct{ M encPtrMarshals }]()},
		{"marshaler root", reflect.TypeFor[encPtrMarshals]()},
		{"interface field", reflect.TypeFor[struct{ A any }]()},
		{"map of any", reflect.TypeFor[map[string]any]()},
		{"list of any", reflect.TypeFor[struct{ L []any }]()},
		{"embedded", reflect.TypeFor[embeds]()},
		{"embedded pointer", reflect.TypeFor[embedsPtr]()},
		{"duplicate names", reflect.TypeFor[dup]()},
		{"name tagged like another", reflect.TypeFor[dupUntagged]()},
		{"tag string", reflect.TypeFor[struct {
			N int `json:"n,string"`
		}]()},
		{"tag stringset", reflect.TypeFor[struct {
			S []string `json:"s,stringset"`
		}]()},
		{"tag numberset", reflect.TypeFor[struct {
			S []int `dynamodbav:"s,numberset"`
		}]()},
		{"tag binaryset", reflect.TypeFor[struct {
			S [][]byte `json:"s,binaryset"`
		}]()},
		{"tag unixtime", reflect.TypeFor[struct {
			T time.Time `json:"t,unixtime"`
		}]()},
		{"tag omitemptyelem", reflect.TypeFor[struct {
			L []int `json:"l,omitemptyelem"`
		}]()},
		{"tag nullempty", reflect.TypeFor[struct {
			S string `json:"s,nullempty"`
		}]()},
		{"tag nullemptyelem", reflect.TypeFor[struct {
			L []string `json:"l,nullemptyelem"`
		}]()},
		{"byte slices", reflect.TypeFor[struct{ B [][]byte }]()},
		{"named bytes", reflect.TypeFor[struct{ B []encByte }]()},
		{"named byte array", reflect.TypeFor[struct{ B [2]encByte }]()},
		{"number string", reflect.TypeFor[struct{ N encNumber }]()},
		{"pointer to pointer", reflect.TypeFor[struct{ P **int }]()},
		{"pointer to interface", reflect.TypeFor[struct{ P *any }]()},
		{"float key", reflect.TypeFor[map[float64]int]()},
		{"text key", reflect.TypeFor[map[encTextKey]int]()},
		{"stringer key", reflect.TypeFor[map[encStringerKey]int]()},
		{"uintptr", reflect.TypeFor[struct{ U uintptr }]()},
		{"channel", reflect.TypeFor[struct{ C chan int }]()},
		{"channel attributevalue skips", reflect.TypeFor[struct {
			C chan int `json:"-,"` // checkEncodable still refuses it
		}]()},
		{"complex", reflect.TypeFor[struct{ C complex128 }]()},
		{"time root", reflect.TypeFor[time.Time]()},
		{"slice root", reflect.TypeFor[[]int]()},
		{"long name", reflect.StructOf([]reflect.StructField{{Name: "X", Type: reflect.TypeFor[int](), Tag: reflect.StructTag(`json:"` + strings.Repeat("n", 65536) + `"`)}})},
		{"name not UTF-8", reflect.StructOf([]reflect.StructField{{Name: "X", Type: reflect.TypeFor[int](), Tag: `json:"a\xffb"`}})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if plan := mapPlanFor(tt.typ); plan != nil {
				t.Fatalf("%v takes the compiled encoder, want attributevalue's path", tt.typ)
			}
		})
	}
	// The codec's results on some of them are attributevalue's.
	t.Run("marshaler encodes", func(t *testing.T) {
		v := struct{ M encPtrMarshals }{}
		av, err := Map[struct{ M encPtrMarshals }]().Encode("", &v)
		if err != nil {
			t.Fatal(err)
		}
		want := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"M": &types.AttributeValueMemberS{Value: "pm"}}}
		if diff := cmp.Diff(want, av, avTreeEqual); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("text key encodes", func(t *testing.T) {
		v := map[encTextKey]int{"a": 1}
		av, err := Map[map[encTextKey]int]().Encode("", &v)
		if err != nil {
			t.Fatal(err)
		}
		want := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"ta": &types.AttributeValueMemberN{Value: "1"}}}
		if diff := cmp.Diff(want, av, avTreeEqual); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})
}

// TestMapEncodeCompilesSessionTypes: the types sessions are made of take
// the compiled encoder (or the codec would be as slow as before).
func TestMapEncodeCompilesSessionTypes(t *testing.T) {
	for _, typ := range []reflect.Type{
		reflect.TypeFor[samplesession.Session](),
		reflect.TypeFor[encScalars](),
		reflect.TypeFor[encNode](),
		reflect.TypeFor[encDeepMap](),
		reflect.TypeFor[encKeys](),
		reflect.TypeFor[encTags](),
	} {
		if mapPlanFor(typ) == nil {
			t.Errorf("%v takes attributevalue's path, want the compiled encoder", typ)
		}
	}
}

// TestMapEncodeAllocatesLess: the compiled encoder allocates less than
// attributevalue and checkStorable for the measured session (allocation
// counts, not times: they do not depend on the machine).
func TestMapEncodeAllocatesLess(t *testing.T) {
	s := samplesession.New(rand.New(rand.NewPCG(1, 0)), 2048, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
	c := Map[samplesession.Session]()
	compiled := testing.AllocsPerRun(50, func() {
		if _, err := c.Encode("", &s); err != nil {
			t.Fatal(err)
		}
	})
	viaAV := testing.AllocsPerRun(50, func() {
		if _, _, err := encodeMapAV(&s); err != nil {
			t.Fatal(err)
		}
	})
	raw := testing.AllocsPerRun(50, func() {
		if _, err := attributevalue.MarshalWithOptions(&s, func(o *attributevalue.EncoderOptions) { o.TagKey = "json" }); err != nil {
			t.Fatal(err)
		}
	})
	t.Logf("allocations per encode of the 2 KB session: compiled %.0f, attributevalue path %.0f, bare attributevalue %.0f", compiled, viaAV, raw)
	if compiled >= raw/2 {
		t.Errorf("compiled encoder: %.0f allocations, want under half of attributevalue's %.0f", compiled, raw)
	}
}

// Generated values: fill writes a random value of a type into v, biased
// towards the edges, and counts the faults it put in (values the codec
// must refuse), so that error texts are compared where only one fault
// makes the error (with more, attributevalue's path reports one of them
// picked by Go's random map order).

type (
	genLeaf struct {
		B    bool    `json:"b"`
		I    int     `json:"i,omitempty"`
		I8   int8    `json:"i8"`
		I64  int64   `json:"i64,omitempty"`
		U16  uint16  `json:"u16"`
		U64  uint64  `json:"u64"`
		F32  float32 `json:"f32"`
		F64  float64 `json:"f64,omitempty"`
		S    string  `json:"s"`
		SO   string  `json:"so,omitempty"`
		NS   encString
		T    time.Time  `json:"t"`
		PT   *time.Time `json:"pt,omitempty"`
		Bs   []byte     `json:"bs"`
		A2   [2]byte
		NT   encTime
		Skip string `json:"-"`
	}
	genDoc struct {
		Leaf    genLeaf                       `json:"leaf"`
		PLeaf   *genLeaf                      `json:"pleaf,omitempty"`
		Leaves  []genLeaf                     `json:"leaves"`
		ByName  map[string]genLeaf            `json:"byName,omitempty"`
		ByInt   map[int16]string              `json:"byInt"`
		ByUint  map[uint]bool                 `json:"byUint"`
		ByBool  map[bool][]int                `json:"byBool,omitempty"`
		Named   map[encKey]encInt             `json:"named"`
		Strs    []string                      `json:"strs,omitempty"`
		Arr     [3]*int                       `json:"arr"`
		Floats  map[string]map[string]float64 `json:"floats"`
		Lists   [][]string                    `json:"lists"`
		Kids    []genDoc                      `json:"kids,omitempty"`
		Chain   *genChain                     `json:"chain,omitempty"`
		Strings map[string]string             `json:"strings"`
		PMap    *map[string]int               `json:"pmap"`
		PSlice  *[]string                     `json:"pslice,omitempty"`
	}
	genChain struct {
		Next *genChain `json:"next,omitempty"`
		L    []genChain
		V    string `json:"v"`
	}
	genRoot map[string]genChain
)

// chooser is where generated values come from: a seeded generator, or
// the bytes of a fuzz input (zeros once they run out, so values end).
type chooser interface{ intn(n int) int }

type randChooser struct{ r *rand.Rand }

func (c randChooser) intn(n int) int { return c.r.IntN(n) }

type byteChooser struct{ b []byte }

func (c *byteChooser) intn(n int) int {
	v := 0
	for range min(2, (n+254)/255) {
		if len(c.b) > 0 {
			v = v<<8 | int(c.b[0])
			c.b = c.b[1:]
		}
	}
	return v % n
}

type filler struct {
	c        chooser
	faults   int
	maxLevel int // containers below this level are not filled, except chains
}

var (
	genStrings = []string{"", "a", "héllo", "日本", "with space", "\x00", strings.Repeat("x", 300)}
	genFaulty  = []string{"\xff", "ok\xc3", "\xed\xa0\x80"}
	genFloats  = []float64{0, math.Copysign(0, -1), 1, -1.5, 0.1, 1e20, 1e21, 1e-7, 1e-130, -1e-130, 9.999999999999999e125,
		math.MaxFloat32, math.SmallestNonzeroFloat32, 123456.789, 1 << 60}
	genWildFloats = []float64{1e126, 5e-324, math.NaN(), math.Inf(1), math.Inf(-1), math.MaxFloat64, math.Nextafter(1e-130, 0), -1e300}
	genZones      = []*time.Location{time.UTC, time.FixedZone("IST", 19800), time.FixedZone("LMT", -17762), time.FixedZone("", 61), time.FixedZone("E", -12*3600), time.FixedZone("far", 25*3600)}
)

func (f *filler) str() string {
	switch f.c.intn(12) {
	case 0:
		f.faults++
		return genFaulty[f.c.intn(len(genFaulty))]
	case 1, 2, 3, 4, 5, 6:
		return genStrings[f.c.intn(len(genStrings))]
	}
	b := make([]byte, f.c.intn(12))
	for i := range b {
		b[i] = byte('a' + f.c.intn(26))
	}
	return string(b)
}

func (f *filler) key() string {
	switch f.c.intn(20) {
	case 0:
		f.faults++
		return ""
	case 1:
		f.faults++
		return genFaulty[f.c.intn(len(genFaulty))]
	}
	return "k" + strconv.Itoa(f.c.intn(6))
}

func (f *filler) float(bits int) float64 {
	var x float64
	if f.c.intn(10) == 0 {
		x = genWildFloats[f.c.intn(len(genWildFloats))]
	} else if f.c.intn(3) == 0 {
		x = math.Float64frombits(uint64(f.c.intn(1<<16))<<48 | uint64(f.c.intn(1<<16))<<32 | uint64(f.c.intn(1<<16)))
	} else {
		x = genFloats[f.c.intn(len(genFloats))]
	}
	if bits == 32 {
		x = float64(float32(x))
	}
	// The old path's own rule decides what is a fault.
	if x != 0 && checkNumber(strconv.FormatFloat(x, 'f', -1, bits)) != nil {
		f.faults++
	}
	return x
}

func (f *filler) time() time.Time {
	if f.c.intn(8) == 0 {
		return time.Time{}
	}
	year := 1970 + f.c.intn(100)
	switch f.c.intn(30) {
	case 0:
		year = 10000
		f.faults++
	case 1:
		year = -1
		f.faults++
	case 2:
		year = 0
	case 3:
		year = 9999
	}
	return time.Date(year, time.Month(1+f.c.intn(12)), 1+f.c.intn(28), f.c.intn(24), f.c.intn(60), f.c.intn(60), f.c.intn(4)*250_000_000+f.c.intn(2), genZones[f.c.intn(len(genZones))])
}

// fill sets v, a settable value, at nesting level level (the session's
// map is 1; containers count, pointers do not).
func (f *filler) fill(v reflect.Value, level int) {
	t := v.Type()
	if t == timeType || t == reflect.TypeFor[encTime]() {
		v.Set(reflect.ValueOf(f.time()).Convert(t))
		return
	}
	container := func() bool {
		if level > maxNesting {
			f.faults++
		}
		return true
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(f.c.intn(2) == 1)
	case reflect.String:
		v.SetString(f.str())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		switch f.c.intn(5) {
		case 0:
			v.SetInt(-1 << (bits - 1))
		case 1:
			v.SetInt(1<<(bits-1) - 1)
		case 2:
			v.SetInt(0)
		default:
			v.SetInt(int64(f.c.intn(2000) - 1000))
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		switch f.c.intn(4) {
		case 0:
			v.SetUint(math.MaxUint64 >> (64 - t.Bits()))
		case 1:
			v.SetUint(0)
		default:
			v.SetUint(uint64(f.c.intn(1000)))
		}
	case reflect.Float32:
		v.SetFloat(f.float(32))
	case reflect.Float64:
		v.SetFloat(f.float(64))
	case reflect.Pointer:
		if f.c.intn(3) == 0 || (level > f.maxLevel && t.Elem() != reflect.TypeFor[genChain]()) {
			return
		}
		p := reflect.New(t.Elem())
		f.fill(p.Elem(), level)
		v.Set(p)
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			switch f.c.intn(3) {
			case 0:
				return
			case 1:
				v.SetBytes([]byte{})
			default:
				v.SetBytes([]byte(f.str()))
			}
			return
		}
		if f.c.intn(4) == 0 {
			return // nil
		}
		n := f.c.intn(4)
		if level > f.maxLevel {
			n = 0
		}
		container()
		s := reflect.MakeSlice(t, n, n)
		for i := range n {
			f.fill(s.Index(i), level+1)
		}
		v.Set(s)
	case reflect.Array:
		if t.Elem().Kind() != reflect.Uint8 {
			container()
		}
		for i := range t.Len() {
			f.fill(v.Index(i), level+1)
		}
	case reflect.Map:
		if f.c.intn(4) == 0 {
			return
		}
		n := f.c.intn(4)
		if level > f.maxLevel {
			n = 0
		}
		container()
		m := reflect.MakeMapWithSize(t, n)
		for range n {
			k := reflect.New(t.Key()).Elem()
			switch t.Key().Kind() {
			case reflect.String:
				k.SetString(f.key())
			default:
				f.fill(k, level+1)
			}
			e := reflect.New(t.Elem()).Elem()
			f.fill(e, level+1)
			m.SetMapIndex(k, e)
		}
		v.Set(m)
	case reflect.Struct:
		container()
		for i := range t.NumField() {
			sf := t.Field(i)
			if !sf.IsExported() || sf.Tag.Get("json") == "-" {
				continue
			}
			if t == reflect.TypeFor[genChain]() && sf.Name == "Next" {
				f.chain(v.Field(i), level+1)
				continue
			}
			f.fill(v.Field(i), level+1)
		}
	}
}

// chain makes a genChain list that can reach and pass DynamoDB's nesting
// limit, whatever maxLevel says.
func (f *filler) chain(v reflect.Value, level int) {
	if f.c.intn(4) == 0 {
		return
	}
	for depth := []int{2, 29, 30, 31, 32, 40}[f.c.intn(6)]; depth > 0 && level <= 45; depth-- {
		p := reflect.New(v.Type().Elem())
		if level > maxNesting {
			f.faults++
		}
		p.Elem().Field(2).SetString(f.str())
		v.Set(p)
		v = p.Elem().Field(0)
		level++
	}
}

// generated fills a value of one of the generated types from c, checks
// it, and returns how many faults it holds.
func generated(t *testing.T, c chooser) (faults int) {
	t.Helper()
	f := &filler{c: c, maxLevel: []int{2, 3, 4}[c.intn(3)]}
	switch c.intn(3) {
	case 0:
		var v genDoc
		f.fill(reflect.ValueOf(&v).Elem(), 1)
		matchAttributevalue(t, &v, f.faults <= 1)
	case 1:
		var v genRoot
		f.fill(reflect.ValueOf(&v).Elem(), 1)
		matchAttributevalue(t, &v, f.faults <= 1)
	default:
		var v genLeaf
		f.fill(reflect.ValueOf(&v).Elem(), 1)
		matchAttributevalue(t, &v, f.faults <= 1)
	}
	return f.faults
}

func TestMapEncodeMatchesAttributevalueGenerated(t *testing.T) {
	n := *mapencCount
	if testing.Short() {
		n /= 10
	}
	r := rand.New(rand.NewPCG(*mapencSeed, 0))
	var byFaults [3]int // none, one, more
	for i := range n {
		seed := r.Uint64()
		ok := t.Run(fmt.Sprint(i), func(t *testing.T) {
			byFaults[min(generated(t, randChooser{rand.New(rand.NewPCG(seed, 0))}), 2)]++
		})
		if !ok {
			t.Fatalf("value %d (-mapenc.seed=%d) differs", i, *mapencSeed)
		}
	}
	t.Logf("values without a fault %d, with one %d (error text compared), with more %d", byFaults[0], byFaults[1], byFaults[2])
	// The generator must exercise both paths, or the test proves little.
	if byFaults[0] < n/5 || byFaults[1] < n/20 {
		t.Errorf("generated %v values by fault count, want at least a fifth without a fault and a twentieth with one", byFaults)
	}
}

func FuzzMapEncodeMatchesAttributevalue(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
	r := rand.New(rand.NewPCG(1, 2))
	for range 8 {
		b := make([]byte, 64+r.IntN(512))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		generated(t, &byteChooser{b: data})
	})
}

// BenchmarkMapEncode compares the compiled encoder with the path it
// replaces (attributevalue, then checkStorable) and with attributevalue
// alone, on the measured session at two sizes.
func BenchmarkMapEncode(b *testing.B) {
	for _, size := range []int{512, 2048} {
		s := samplesession.New(rand.New(rand.NewPCG(1, 0)), size, time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC))
		c := Map[samplesession.Session]().(sizedEncoder[samplesession.Session])
		b.Run(fmt.Sprintf("%dB/compiled", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := c.EncodeSized("", &s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%dB/attributevalue+check", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := encodeMapAV(&s); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fmt.Sprintf("%dB/attributevalue", size), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := mapEncoder.Encode(&s); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

type sizedEncoder[T any] interface {
	EncodeSized(key string, v *T) (types.AttributeValue, int, error)
}

// TestMapEncodeRefusesCycles: a value that contains itself (on which
// attributevalue recursed until the stack overflowed, ending the process)
// is refused as nested too deep, in bounded time, whatever its fan-out.
func TestMapEncodeRefusesCycles(t *testing.T) {
	node := &encNode{Name: "loop"}
	node.Next = node
	node.Tagged = map[string]*encNode{"a": node, "b": node}
	node.Children = []encNode{*node, *node}
	m := encDeepMap{}
	m["a"], m["b"], m["c"] = m, m, m
	list := encDeepList{L: make([]encDeepList, 2)}
	list.L[0], list.L[1] = list, list
	for name, enc := range map[string]func() error{
		"struct": func() error { _, err := Map[encNode]().Encode("", node); return err },
		"map":    func() error { _, err := Map[encDeepMap]().Encode("", &m); return err },
		"list":   func() error { _, err := Map[encDeepList]().Encode("", &list); return err },
	} {
		t.Run(name, func(t *testing.T) {
			err := enc()
			if !errors.Is(err, ErrUnsupported) || !strings.Contains(err.Error(), "nested more than 31 levels") {
				t.Fatalf("err = %v, want ErrUnsupported for nesting", err)
			}
		})
	}
}

// TestMapEncodeConcurrent: one plan serves concurrent encodings of
// sessions of different sizes (its block-size hints change under them),
// each encoded as attributevalue encodes it. Run with -race.
func TestMapEncodeConcurrent(t *testing.T) {
	when := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	sizes := []int{512, 2048, 16 << 10}
	sessions := make([]samplesession.Session, len(sizes))
	for i, n := range sizes {
		sessions[i] = samplesession.New(rand.New(rand.NewPCG(uint64(i), 0)), n, when)
	}
	c := Map[samplesession.Session]()
	done := make(chan error)
	for g := range 4 {
		go func() {
			for i := range 30 {
				s := &sessions[(g+i)%len(sessions)]
				got, err := c.Encode("", s)
				if err != nil {
					done <- err
					return
				}
				want, _, _ := encodeMapAV(s)
				if diff := cmp.Diff(want, got, avTreeEqual); diff != "" {
					done <- fmt.Errorf("mismatch (-want +got):\n%s", diff)
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}

// TestMapEncodeReadsBack: every value the compiled encoder writes reads
// back equal through the Map codec's decoder, the edges of each number
// kind above all (attributevalue's decoder parses floats in 64 bits and
// refuses one above MaxFloat32 for a float32: a Put that succeeds and a
// Get that always fails).
func TestMapEncodeReadsBack(t *testing.T) {
	type f32s struct {
		F  float32
		L  []float32
		M  map[string]float32
		P  *float32
		K  map[int8]uint64
		F6 float64
	}
	below := math.Nextafter32(math.MaxFloat32, 0)
	tests := []struct {
		name string
		in   f32s
	}{
		{"float32 max", f32s{F: math.MaxFloat32}},
		{"float32 -max", f32s{F: -math.MaxFloat32}},
		{"float32 max in list, map, pointer", f32s{L: []float32{math.MaxFloat32, -math.MaxFloat32}, M: map[string]float32{"m": math.MaxFloat32}, P: ptr(float32(-math.MaxFloat32))}},
		{"float32 below max", f32s{F: below, L: []float32{-below}}},
		{"float32 smallest", f32s{F: math.SmallestNonzeroFloat32, L: []float32{-math.SmallestNonzeroFloat32, 1e-38, 0.1, 16777217}}},
		{"integer edges", f32s{K: map[int8]uint64{math.MinInt8: math.MaxUint64, math.MaxInt8: 0}}},
		{"float64 edges", f32s{F6: math.Nextafter(1e126, 0), L: []float32{float32(math.MaxFloat32)}}},
		{"float64 smallest stored", f32s{F6: 1e-130}},
	}
	c := Map[f32s]()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			av, err := c.Encode("k", &tt.in)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			var got f32s
			if err := c.Decode("k", av, &got); err != nil {
				t.Fatalf("Decode of what Encode wrote: %v\nstored: %#v", err, av)
			}
			if diff := cmp.Diff(tt.in, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// encShared is a value that shares its parts: each node points twice to
// the next, so n nodes encode to a tree of 2^n.
type encShared struct {
	A, B *encShared `json:",omitempty"`
	S    string
}

func sharedChain(n int, s string) *encShared {
	var next *encShared
	for range n {
		next = &encShared{A: next, B: next, S: s}
	}
	return next
}

// TestMapEncodeStopsAtItemLimit: a value whose encoding passes the 400 KB
// DynamoDB stores in an item is refused with capacity.ErrTooLarge as
// soon as it passes, on both paths, however large its tree would be (a
// chain of 30 structs sharing their parts is a tree of 2^30 maps, which
// took minutes and ended the process out of memory); a value of exactly
// the limit is encoded.
func TestMapEncodeStopsAtItemLimit(t *testing.T) {
	blob := make([]byte, 300<<10)
	// struct{S string} is 3 bytes of map, 1 of element, 1 of name.
	atLimit := struct{ S string }{S: strings.Repeat("x", capacity.MaxItemBytes-5)}
	overLimit := struct{ S string }{S: atLimit.S + "x"}
	tests := []struct {
		name    string
		enc     func() (int, error)
		tooMuch bool
	}{
		{"shared chain of 20", func() (int, error) { return sizedBy(Map[encShared](), sharedChain(20, "")) }, true},
		{"shared chain of 30", func() (int, error) { return sizedBy(Map[encShared](), sharedChain(30, "")) }, true},
		{"one blob in many map values", func() (int, error) {
			m := map[string][]byte{}
			for i := range 1000 {
				m[strconv.Itoa(i)] = blob
			}
			return sizedBy(Map[map[string][]byte](), &m)
		}, true},
		{"one blob in many map values, attributevalue's path", func() (int, error) {
			m := map[string]any{"a": blob, "b": blob}
			return sizedBy(Map[map[string]any](), &m)
		}, true},
		{"at the limit", func() (int, error) { return sizedBy(Map[struct{ S string }](), &atLimit) }, false},
		{"one byte over", func() (int, error) { return sizedBy(Map[struct{ S string }](), &overLimit) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			size, err := tt.enc()
			if !tt.tooMuch {
				if err != nil || size != capacity.MaxItemBytes {
					t.Fatalf("size %d, err %v; want %d, nil", size, err, capacity.MaxItemBytes)
				}
				return
			}
			if !errors.Is(err, capacity.ErrTooLarge) || !errors.Is(err, ErrUnsupported) {
				t.Fatalf("err = %v (size %d), want capacity.ErrTooLarge and ErrUnsupported", err, size)
			}
		})
	}
	// Both paths agree at the boundary.
	t.Run("attributevalue's path agrees", func(t *testing.T) {
		matchAttributevalue(t, &atLimit, true)
		matchAttributevalue(t, &overLimit, true)
	})
}

func sizedBy[T any](c Codec[T], v *T) (int, error) {
	_, size, err := c.(sizedEncoder[T]).EncodeSized("k", v)
	return size, err
}
