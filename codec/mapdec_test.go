package codec

// The compiled Map decoder (mapdec.go) against the reference it replaces,
// decodeMapReference (canonicalNumbers, attributevalue, exactNumbers):
// for every stored value, the same Go value, and an error exactly when the
// reference errs. Three sources of stored values: a table of named cases
// and a cross product of field types and stored values, random sessions
// encoded by the Map codec (then damaged), and a fuzz target.

//lint:file-ignore SA5008 the tables use attributevalue's tag options and encoding/json's edge cases, on purpose

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/internal/ddbjson"
	"github.com/dynamosession/dynamosession/internal/samplesession"
)

// mdAll has a field of every Go type the compiled decoder covers.
type mdAll struct {
	S          string                `json:"s"`
	I          int                   `json:"i"`
	I8         int8                  `json:"i8"`
	I16        int16                 `json:"i16"`
	I32        int32                 `json:"i32"`
	I64        int64                 `json:"i64"`
	U          uint                  `json:"u"`
	U8         uint8                 `json:"u8"`
	U16        uint16                `json:"u16"`
	U32        uint32                `json:"u32"`
	U64        uint64                `json:"u64"`
	F32        float32               `json:"f32"`
	F64        float64               `json:"f64"`
	B          bool                  `json:"b"`
	Bytes      []byte                `json:"bytes"`
	MyBytes    mdBytes               `json:"myBytes"`
	ByteArr    [4]byte               `json:"byteArr"`
	At         time.Time             `json:"at"`
	AtPtr      *time.Time            `json:"atPtr"`
	SPtr       *string               `json:"sPtr"`
	IPtrPtr    **int                 `json:"iPtrPtr"`
	Strs       []string              `json:"strs"`
	Ints       []int                 `json:"ints"`
	Floats     []float64             `json:"floats,numberset"`
	Arr        [2]int                `json:"arr"`
	ByteSlices [][]byte              `json:"byteSlices,binaryset"`
	Items      []mdItem              `json:"items"`
	ItemPtrs   []*mdItem             `json:"itemPtrs"`
	Item       *mdItem               `json:"item"`
	MStr       map[string]string     `json:"mStr"`
	MInt       map[int]string        `json:"mInt"`
	MU8        map[uint8]int         `json:"mU8"`
	MF32       map[float32]bool      `json:"mF32"`
	MBool      map[bool]string       `json:"mBool"`
	MItems     map[string]mdItem     `json:"mItems"`
	MyStrKey   map[mdString]int      `json:"myStrKey"`
	Any        any                   `json:"any"`
	AnyMap     map[string]any        `json:"anyMap"`
	AnyList    []any                 `json:"anyList"`
	AnyArr     [2]any                `json:"anyArr"`
	AnyPtr     *any                  `json:"anyPtr"`
	MyAny      mdAny                 `json:"myAny"`
	MAnyList   map[string][]any      `json:"mAnyList"`
	Number     attributevalue.Number `json:"number"`
	MyStr      mdString              `json:"myStr"`
	Text       mdText                `json:"text"` // a TextUnmarshaler, which the Map codec does not consult
	Ignored    string                `json:"-"`
	Dash       string                `json:"-,"` // attributevalue ignores it too (encoding/json would name it "-")
	//lint:ignore U1000 an unexported field, which the decoder skips
	unexported string
	Omit       string   `json:"omit,omitempty"`
	Dyn        string   `dynamodbav:"dyn"`
	Both       string   `dynamodbav:"avName" json:"both"`
	JSONEmpty  string   `dynamodbav:"avOnly" json:",omitempty"` // the json tag's empty name wins: the Go name
	NoTag      string   //
	SetOpts    []string `json:"setOpts,stringset,omitemptyelem,nullempty,nullemptyelem"`
}

type (
	mdBytes  []byte
	mdString string
	mdAny    interface{}
	mdText   string
)

func (t *mdText) UnmarshalText(b []byte) error { *t = mdText("text:" + string(b)); return nil }

type mdItem struct {
	SKU   string  `json:"sku"`
	Qty   int     `json:"qty"`
	Price float64 `json:"price"`
}

// mdCustom decodes itself.
type mdCustom struct{ Got string }

func (c *mdCustom) UnmarshalDynamoDBAttributeValue(av types.AttributeValue) error {
	c.Got = fmt.Sprintf("%T", av)
	return nil
}

type mdTime time.Time

// mdFallback has a field of every Go type the compiled decoder leaves to
// the reference, and one it covers.
type mdFallback struct {
	Custom   mdCustom        `json:"custom"`
	CustomP  *mdCustom       `json:"customP"`
	AsString int             `json:"asString,string"`
	Unix     time.Time       `json:"unix,unixtime"`
	MyTime   mdTime          `json:"myTime"`
	Uintptr  uintptr         `json:"uintptr"`
	Chan     chan int        `json:"chan"`
	Complex  complex128      `json:"complex"`
	Stringer fmt.Stringer    `json:"stringer"`
	TextKey  map[mdText]int  `json:"textKey"`
	PtrKey   map[*string]int `json:"ptrKey"`
	AVDash   any             `dynamodbav:"-" json:"avDash"`
	Plain    string          `json:"plain"`
}

type mdEmbedded struct {
	mdItem
	Extra string `json:"extra"`
}

// mdCase has names equal ignoring case: exact matches first, then the
// first field in order whose name matches ignoring case.
type mdCase struct {
	User string `json:"user"`
	Name string `json:"Name"`
	NAME string `json:"NAME"`
}

// mdDup has names several fields claim: two tags hide each other (and
// "x" then finds X ignoring case); a tag beats a Go name.
type mdDup struct {
	A string `dynamodbav:"x"` // go vet refuses two equal json names
	B string `dynamodbav:"x"`
	C string `json:"X"`
	D string
	E string `json:"D"`
}

type mdDeep struct {
	V    int      `json:"v"`
	Next *mdDeep  `json:"next"`
	Kids []mdDeep `json:"kids"`
	Any  any      `json:"any"`
}

// mdNode is the session the Node fixtures' app stores (the root package's
// nodeSession).
type mdNode struct {
	Cookie struct {
		OriginalMaxAge *int64     `json:"originalMaxAge"`
		Expires        *time.Time `json:"expires"`
		HTTPOnly       bool       `json:"httpOnly"`
		Path           string     `json:"path"`
	} `json:"cookie"`
	User *struct {
		ID      int      `json:"id"`
		Name    string   `json:"name"`
		Email   string   `json:"email"`
		Roles   []string `json:"roles"`
		Address *struct {
			City string `json:"city"`
			Zip  string `json:"zip"`
			Geo  struct {
				Lat float64 `json:"lat"`
				Lng float64 `json:"lng"`
			} `json:"geo"`
		} `json:"address,omitempty"`
	} `json:"user,omitempty"`
	Greeting       string             `json:"greeting"`
	Empty          string             `json:"empty"`
	Visits         int                `json:"visits"`
	Negative       int                `json:"negative"`
	Zero           int                `json:"zero"`
	MaxSafeInteger int64              `json:"maxSafeInteger"`
	Ratio          float64            `json:"ratio"`
	Pi             float64            `json:"pi"`
	Tenth          float64            `json:"tenth"`
	Tiny           float64            `json:"tiny"`
	LoggedIn       bool               `json:"loggedIn"`
	Admin          bool               `json:"admin"`
	Nothing        any                `json:"nothing"`
	Cart           []mdItem           `json:"cart"`
	Mixed          []any              `json:"mixed"`
	EmptyList      []any              `json:"emptyList"`
	EmptyObject    map[string]any     `json:"emptyObject"`
	Labels         map[string]string  `json:"labels"`
	SeenProducts   map[string]*bool   `json:"seenProducts"`
	LineSeparator  string             `json:"lineSeparator"`
	SignedUpAt     *time.Time         `json:"signedUpAt,omitempty"`
	UpdatedAt      *time.Time         `json:"updatedAt,omitempty"`
	LastPage       string             `json:"lastPage"`
	Flash          string             `json:"flash,omitempty"`
	LastModified   *time.Time         `json:"lastModified,omitempty"`
	Extra          map[string]float64 `json:"extra,omitempty"`
}

// mdExactly compares decoded values exactly: floats bit for bit (NaN
// included), times by instant, zone name, offset and location name. It
// reports differences; mdEqual decides equality first, in linear time
// (cmp compares each element of nested slices twice: 2^31 steps for 31
// nested lists).
var mdExactly = cmp.Options{
	cmp.Comparer(func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }),
	cmp.Comparer(func(a, b float32) bool { return math.Float32bits(a) == math.Float32bits(b) }),
	cmp.Comparer(mdSameTime),
	cmp.Comparer(func(a, b mdTime) bool { return mdSameTime(time.Time(a), time.Time(b)) }),
	cmp.AllowUnexported(mdAll{}, mdEmbedded{}),
}

func mdSameTime(a, b time.Time) bool {
	return a.String() == b.String() && a.Location().String() == b.Location().String()
}

var mdTimeType = reflect.TypeFor[mdTime]()

// mdDiff is cmp.Diff of x and y, or for values nested too deep for cmp
// (see mdExactly) both printed.
func mdDiff(x, y any) string {
	if mdDepth(reflect.ValueOf(x)) > 10 {
		return fmt.Sprintf("-%#v\n+%#v", x, y)
	}
	return cmp.Diff(x, y, mdExactly)
}

func mdDepth(v reflect.Value) int {
	d := 0
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			d = mdDepth(v.Elem())
		}
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			d = max(d, mdDepth(v.Index(i)))
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			d = max(d, mdDepth(it.Value()))
		}
	case reflect.Struct:
		for i := range v.NumField() {
			d = max(d, mdDepth(v.Field(i)))
		}
	}
	return d + 1
}

// mdEqual reports whether x and y are equal as mdExactly compares them.
func mdEqual(x, y reflect.Value) bool {
	if x.IsValid() != y.IsValid() || !x.IsValid() {
		return x.IsValid() == y.IsValid()
	}
	if x.Type() != y.Type() {
		return false
	}
	switch x.Type() {
	case timeType, mdTimeType:
		return mdSameTime(x.Convert(timeType).Interface().(time.Time), y.Convert(timeType).Interface().(time.Time))
	}
	switch x.Kind() {
	case reflect.Bool:
		return x.Bool() == y.Bool()
	case reflect.String:
		return x.String() == y.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return x.Int() == y.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return x.Uint() == y.Uint()
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(x.Float()) == math.Float64bits(y.Float())
	case reflect.Complex64, reflect.Complex128:
		return x.Complex() == y.Complex()
	case reflect.Chan, reflect.Func, reflect.UnsafePointer:
		return x.Pointer() == y.Pointer()
	case reflect.Pointer, reflect.Interface:
		if x.IsNil() || y.IsNil() {
			return x.IsNil() == y.IsNil()
		}
		return mdEqual(x.Elem(), y.Elem())
	case reflect.Slice:
		if x.IsNil() != y.IsNil() {
			return false
		}
		fallthrough
	case reflect.Array:
		if x.Len() != y.Len() {
			return false
		}
		for i := range x.Len() {
			if !mdEqual(x.Index(i), y.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if x.IsNil() != y.IsNil() || x.Len() != y.Len() {
			return false
		}
		for it := x.MapRange(); it.Next(); {
			found := false
			for jt := y.MapRange(); jt.Next() && !found; { // by key bits: a NaN key is found too
				found = mdEqual(it.Key(), jt.Key()) && mdEqual(it.Value(), jt.Value())
			}
			if !found {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range x.NumField() {
			if !mdEqual(x.Field(i), y.Field(i)) {
				return false
			}
		}
		return true
	}
	panic("mdEqual: " + x.Type().String())
}

// checkMapDec decodes av into a zero T with the compiled decoder and with
// the reference, reports differences, and returns whether the compiled
// decoder decoded it (rather than falling back).
func checkMapDec[T any](t testing.TB, av types.AttributeValue) (fast bool, refErr error) {
	t.Helper()
	want := new(T)
	refErr = decodeMapReference(av, want)
	got := new(T)
	fast = decodeMapFast(av, got)
	switch {
	case fast && refErr != nil:
		t.Errorf("%T: the compiled decoder accepted %s, which the reference refuses: %v", got, mdDump(av), refErr)
	case fast:
		if !mdEqual(reflect.ValueOf(want), reflect.ValueOf(got)) {
			t.Errorf("%T from %s: mismatch (-want +got):\n%s", got, mdDump(av), mdDiff(want, got))
		}
	default:
		if !mdEqual(reflect.ValueOf(new(T)), reflect.ValueOf(got)) {
			diff := mdDiff(new(T), got)
			t.Errorf("%T from %s: the compiled decoder declined but left the target changed (-zero +got):\n%s", got, mdDump(av), diff)
		}
	}
	// And as the codec calls it. Only the error is compared: when the
	// compiled decoder declines, both runs are the reference's, and with
	// members equal ignoring case its result depends on map order.
	viaCodec := new(T)
	if err := decodeMap(av, viaCodec); (err != nil) != (refErr != nil) {
		t.Errorf("%T from %s: decodeMap error %v, reference error %v", viaCodec, mdDump(av), err, refErr)
	} else if fast && !mdEqual(reflect.ValueOf(want), reflect.ValueOf(viaCodec)) {
		t.Errorf("%T from %s: decodeMap mismatch (-want +got):\n%s", viaCodec, mdDump(av), mdDiff(want, viaCodec))
	}
	return fast, refErr
}

func mdDump(av types.AttributeValue) string {
	b, err := ddbjson.MarshalValue(av)
	if err != nil {
		return fmt.Sprintf("%#v", av)
	}
	if len(b) > 300 {
		return string(b[:300]) + "…"
	}
	return string(b)
}

// Shorthands for stored values.
func mdS(s string) types.AttributeValue  { return &types.AttributeValueMemberS{Value: s} }
func mdN(n string) types.AttributeValue  { return &types.AttributeValueMemberN{Value: n} }
func mdB(b ...byte) types.AttributeValue { return &types.AttributeValueMemberB{Value: b} }
func mdBool(b bool) types.AttributeValue { return &types.AttributeValueMemberBOOL{Value: b} }
func mdL(l ...types.AttributeValue) types.AttributeValue {
	return &types.AttributeValueMemberL{Value: l}
}
func mdNS(n ...string) types.AttributeValue { return &types.AttributeValueMemberNS{Value: n} }
func mdSS(s ...string) types.AttributeValue { return &types.AttributeValueMemberSS{Value: s} }
func mdBS(b ...[]byte) types.AttributeValue { return &types.AttributeValueMemberBS{Value: b} }

var mdNULL types.AttributeValue = &types.AttributeValueMemberNULL{Value: true}

// mdM builds an M from name, value pairs.
func mdM(kv ...any) types.AttributeValue {
	m := map[string]types.AttributeValue{}
	for i := 0; i < len(kv); i += 2 {
		v, _ := kv[i+1].(types.AttributeValue)
		m[kv[i].(string)] = v
	}
	return &types.AttributeValueMemberM{Value: m}
}

// mdNumbers are number spellings: canonical and not, at and past the
// limits of every Go kind, and text that is no number.
var mdNumbers = []string{
	"0", "-0", "0.0", "00", "1", "-1", "+5", "007", "1.0", "1e2", "1E+2", "2.5e3", "12.50", "1.5", "-1.5", "0.1", ".5", "5.",
	"127", "128", "-128", "-129", "255", "256", "32767", "32768", "65535", "65536",
	"2147483647", "2147483648", "-2147483649", "4294967295", "4294967296",
	"9007199254740992", "9007199254740993", "-9007199254740993",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	"18446744073709551615", "18446744073709551616", "1e19", "1.8446744073709551615e19",
	"1e400", "-1e400", "1e-400", "4.9e-324", "1.7976931348623157e308", "1.8e308",
	"3.4028234663852886e38", "3.5e38", "1e39", "0.1000000000000000000001", "1e99999",
	"NaN", "nan", "Infinity", "-inf", "0x10", "0x1p-2", " 1", "1 ", "", "abc", "1e", "1.2.3", "1_000", "--1", "+-1", "1e+", "e5",
}

// mdStrings are strings: times in and out of RFC 3339, lone surrogates,
// invalid UTF-8, and text some kinds would parse.
var mdStrings = []string{
	"", "x", "true", "12", "user",
	"2026-11-21T14:53:29.823Z", "2026-11-21T14:53:29Z", "2026-11-21T14:53:29+01:00", "2026-11-21T14:53:29.123456789-07:30",
	"2026-11-21T14:53:29.5+00:00", "2026-11-21T14:53:29z", "2026-11-21 14:53:29Z", "2026-11-21", "0000-01-01T00:00:00Z",
	"9999-12-31T23:59:59.999999999+23:59", "2026-13-01T00:00:00Z", "Sat, 21 Nov 2026 14:53:29 GMT",
	"\xed\xa0\x80", "a\xed\xb0\x80b", "\xff\xfe", "\u2028", "日本語",
}

// mdValues is every kind of stored value, empty and not, well formed and
// not (nil, and a member type attributevalue does not know).
func mdValues() []types.AttributeValue {
	var vs []types.AttributeValue
	for _, n := range mdNumbers {
		vs = append(vs, mdN(n))
	}
	for _, s := range mdStrings {
		vs = append(vs, mdS(s))
	}
	return append(vs,
		mdBool(true), mdBool(false), mdNULL, &types.AttributeValueMemberNULL{}, nil,
		&types.AttributeValueMemberB{}, mdB(), mdB(1, 2, 3), mdB(1, 2, 3, 4), mdB(0xff, 0, 7, 8, 9),
		mdL(), mdL(mdN("1"), mdN("2")), mdL(mdN("1"), mdN("2"), mdN("3")), mdL(mdN("300")), mdL(mdN("1.5")), mdL(mdS("a"), mdS("b")),
		mdL(mdNULL), mdL(mdL(mdN("1"))), mdL(mdM()), mdL(mdB(1)), mdL(mdN("1e2"), mdN("007")),
		mdL(mdM("sku", mdS("A"), "qty", mdN("2"), "price", mdN("9.99"))), mdL(mdM("SKU", mdS("A"), "QTY", mdN("2.0"))),
		mdM(), mdM("a", mdS("x")), mdM("1", mdN("1")), mdM("-7", mdS("x")), mdM("1.0", mdS("x")), mdM("300", mdN("1")),
		mdM("true", mdBool(true)), mdM("f", mdS("x")), mdM("1e2", mdBool(true)), mdM("x", mdNULL), mdM("x", nil),
		mdM("sku", mdS("A"), "qty", mdN("2"), "price", mdN("9.99")), mdM("Sku", mdS("A"), "QTY", mdN("2")),
		mdM("a", mdM("sku", mdS("B"))), mdM("a", mdL(mdN("1"), mdS("b"))), mdM("n", mdN("1e400")),
		mdNS(), mdNS("1", "2"), mdNS("1.5", "-0"), mdNS("1e2", "007"), mdNS("300"), mdNS("x"), mdNS("1e400"),
		mdSS(), mdSS("a", "b"), mdSS("2026-11-21T14:53:29Z"), mdSS("1"),
		mdBS(), mdBS([]byte{1}, []byte{2, 3}), mdBS([]byte{}),
		&types.UnknownUnionMember{Tag: "X", Value: []byte("?")},
	)
}

// mdKnownDecline reports stored values the reference decodes without an
// error that the compiled decoder leaves to it by design.
func mdKnownDecline(field string, av types.AttributeValue) bool {
	switch av.(type) {
	case *types.AttributeValueMemberM:
		// A time.Time is a struct without exported fields to the
		// reference: an M leaves it unchanged.
		return field == "at" || field == "atPtr"
	case *types.AttributeValueMemberB:
		return field == "byteArr" // B into an array: SetLen panics unless lengths match
	}
	return false
}

// TestMapDecFieldsByValues decodes every stored value into every field of
// mdAll (and under a name that matches only ignoring case), and requires
// the compiled decoder to decode everything the reference decodes, except
// mdKnownDecline.
func TestMapDecFieldsByValues(t *testing.T) {
	var names []string
	all := reflect.TypeFor[mdAll]()
	for i := range all.NumField() {
		f := all.Field(i)
		tag := parseAVTag(f.Tag)
		name, ignore := tag.name, tag.ignore
		if ignore || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		names = append(names, name)
	}
	names = append(names, "Ignored", "unexported", "avName", "avOnly", "nosuch")
	values := mdValues()
	var fast, accepted int
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			for _, n := range []string{name, strings.ToUpper(name)} {
				for _, v := range values {
					ok, err := checkMapDec[mdAll](t, mdM(n, v))
					if err == nil {
						accepted++
						if ok {
							fast++
						} else if !mdKnownDecline(name, v) {
							t.Errorf("%s: the compiled decoder declined %s, which the reference decodes", n, mdDump(v))
						}
					}
				}
			}
		})
	}
	t.Logf("%d of %d values the reference decodes were decoded by the compiled decoder", fast, accepted)
}

// TestMapDecTable: the rules one at a time, with whether the compiled
// decoder must decode (true) or leave the value to the reference.
func TestMapDecTable(t *testing.T) {
	long := make([]types.AttributeValue, 100_000)
	longAny := make([]types.AttributeValue, 100_000)
	for i := range long {
		long[i] = mdN(strconv.Itoa(i - 50_000))
		longAny[i] = mdL(mdN(strconv.Itoa(i)), mdS("x"))
	}
	deep := mdM("v", mdN("31"))
	deepAny := mdN("31")
	for range 30 {
		deep = mdM("v", mdN("1"), "next", deep, "kids", mdL(mdM("v", mdN("2"))))
		deepAny = mdL(mdM("k", deepAny))
	}
	tests := []struct {
		name  string
		av    types.AttributeValue
		check func(testing.TB, types.AttributeValue) (bool, error)
		fast  bool
	}{
		{"every covered field", mdM(
			"s", mdS("x"), "i", mdN("-3"), "i8", mdN("-128"), "u64", mdN("18446744073709551615"), "f32", mdN("0.1"), "f64", mdN("1e-300"),
			"b", mdBool(true), "bytes", mdB(1, 2), "myBytes", mdB(3), "at", mdS("2026-11-21T14:53:29.823+01:00"), "atPtr", mdN("1700000000"),
			"sPtr", mdS("p"), "iPtrPtr", mdN("7"), "strs", mdSS("a"), "ints", mdNS("1", "2"), "floats", mdL(mdN("1.5")), "arr", mdL(mdN("1"), mdN("2"), mdN("3")),
			"byteSlices", mdBS([]byte{1}), "items", mdL(mdM("sku", mdS("A"))), "itemPtrs", mdL(mdNULL, mdM("qty", mdN("2"))), "item", mdM("price", mdN("2.50")),
			"mStr", mdM("k", mdS("v")), "mInt", mdM("-1", mdS("v")), "mU8", mdM("255", mdN("1")), "mF32", mdM("1.5", mdBool(true)), "mBool", mdM("false", mdS("v")),
			"mItems", mdM("k", mdM("sku", mdS("B"))), "myStrKey", mdM("k", mdN("1")), "any", mdM("n", mdN("9007199254740993")), "anyMap", mdM("f", mdN("1.5"), "u", mdN("18446744073709551615")),
			"anyList", mdL(mdNS("1", "2.5"), mdSS("a"), mdBS([]byte{1}), mdB(), mdNULL), "anyArr", mdL(mdN("1")), "anyPtr", mdS("s"), "myAny", mdN("2e0"),
			"mAnyList", mdM("k", mdL(mdN("1"))), "number", mdN("1e2"), "myStr", mdN("007"), "text", mdS("t"), "Ignored", mdS("no"), "-", mdS("no"), "unexported", mdS("no"),
			"omit", mdS("o"), "dyn", mdS("d"), "both", mdS("b"), "avName", mdS("no"), "JSONEmpty", mdS("j"), "NoTag", mdS("n"), "setOpts", mdSS("s"),
		), checkMapDec[mdAll], true},
		{"names ignoring case", mdM("S", mdS("x"), "I64", mdN("1"), "MYBYTES", mdB(1), "notag", mdS("n"), "DYN", mdS("d"), "jsonempty", mdS("j")), checkMapDec[mdAll], true},
		{"name equal ignoring case to two fields: the first in order", mdM("name", mdS("x")), checkMapDec[mdCase], true},
		{"exact names beat case", mdM("NAME", mdS("x"), "Name", mdS("y"), "user", mdS("u")), checkMapDec[mdCase], true},
		{"USER and user: two members for one field", mdM("USER", mdS("a"), "user", mdS("b")), checkMapDec[mdCase], false},
		{"Name and nAmE: two members for one field", mdM("Name", mdS("a"), "nAmE", mdS("b")), checkMapDec[mdCase], false},
		{"tags that hide each other", mdM("x", mdS("1"), "D", mdS("2"), "d", mdS("3")), checkMapDec[mdDup], false},
		{"tag beats Go name", mdM("D", mdS("2")), checkMapDec[mdDup], true},
		{"hidden name found ignoring case", mdM("x", mdS("1")), checkMapDec[mdDup], true},
		{"unknown members ignored", mdM("zzz", mdL(mdB()), "plain", mdS("p")), checkMapDec[mdFallback], true},
		{"unmarshaler", mdM("custom", mdS("x")), checkMapDec[mdFallback], false},
		{"unmarshaler, NULL", mdM("custom", mdNULL), checkMapDec[mdFallback], false},
		{"pointer unmarshaler", mdM("customP", mdN("1")), checkMapDec[mdFallback], false},
		{"string option", mdM("asString", mdS("12")), checkMapDec[mdFallback], false},
		{"unixtime option", mdM("unix", mdN("1700000000")), checkMapDec[mdFallback], false},
		{"convertible to time.Time", mdM("myTime", mdS("2026-11-21T14:53:29Z")), checkMapDec[mdFallback], false},
		{"uintptr", mdM("uintptr", mdN("1")), checkMapDec[mdFallback], false},
		{"chan", mdM("chan", mdN("1")), checkMapDec[mdFallback], false},
		{"complex", mdM("complex", mdN("1")), checkMapDec[mdFallback], false},
		{"non-empty interface", mdM("stringer", mdS("x")), checkMapDec[mdFallback], false},
		{"TextUnmarshaler map key", mdM("textKey", mdM("k", mdN("1"))), checkMapDec[mdFallback], false},
		{"pointer map key", mdM("ptrKey", mdM()), checkMapDec[mdFallback], false},
		{"dynamodbav:\"-\" overridden by json", mdM("avDash", mdN("1")), checkMapDec[mdFallback], false},
		{"embedded struct", mdM("sku", mdS("x"), "extra", mdS("y")), checkMapDec[mdEmbedded], false},
		{"top-level NULL", mdNULL, checkMapDec[mdAll], true},
		{"top-level S into a string", mdS("x"), checkMapDec[string], true},
		{"top-level N into any", mdN("1.0"), checkMapDec[any], true},
		{"top-level M into map[string]any", mdM("a", mdN("1"), "b", mdL(mdN("2.5"))), checkMapDec[map[string]any], true},
		{"top-level M into **struct", mdM("sku", mdS("x")), checkMapDec[**mdItem], true},
		{"top-level M into a Stringer", mdM(), checkMapDec[fmt.Stringer], false},
		{"31 levels of structs", deep, checkMapDec[mdDeep], true},
		{"31 levels in an interface", mdM("any", deepAny), checkMapDec[mdDeep], true},
		{"100000 numbers into []int", mdM("ints", mdL(long...)), checkMapDec[mdAll], true},
		{"100000 numbers into [2]int", mdM("arr", mdL(long...)), checkMapDec[mdAll], true},
		{"100000 lists into []any", mdM("anyList", mdL(longAny...)), checkMapDec[mdAll], true},
		{"100000 numbers into int8: past its range", mdM("ints", mdL(long...)), checkMapDec[struct {
			Ints []int8 `json:"ints"`
		}], false},
		{"past 2^53 into any", mdM("any", mdN("9007199254740993")), checkMapDec[mdAll], true},
		{"past int64 into any", mdM("any", mdN("9223372036854775808")), checkMapDec[mdAll], true},
		{"past uint64 into any: no exact Go value", mdM("any", mdN("18446744073709551616")), checkMapDec[mdAll], false},
		{"1e20 into any: an exact float64", mdM("any", mdN("1e20")), checkMapDec[mdAll], true},
		{"no exact Go value in any", mdM("any", mdN("0.1000000000000000000001")), checkMapDec[mdAll], false},
		{"1e400 into float64", mdM("f64", mdN("1e400")), checkMapDec[mdAll], false},
		{"1e-400 into float64", mdM("f64", mdN("1e-400")), checkMapDec[mdAll], true},
		{"past float32", mdM("f32", mdN("3.5e38")), checkMapDec[mdAll], false},
		{"past int64", mdM("i64", mdN("9223372036854775808")), checkMapDec[mdAll], false},
		{"past int8", mdM("i8", mdN("128")), checkMapDec[mdAll], false},
		{"negative into uint", mdM("u", mdN("-1")), checkMapDec[mdAll], false},
		{"-0 into uint", mdM("u", mdN("-0")), checkMapDec[mdAll], true},
		{"1e2 and 1.0 into int", mdM("i", mdN("1e2"), "i8", mdN("1.0")), checkMapDec[mdAll], true},
		{"1.5 into int", mdM("i", mdN("1.5")), checkMapDec[mdAll], false},
		{"lone surrogate into string", mdM("s", mdS("\xed\xa0\x80")), checkMapDec[mdAll], true},
		{"lone surrogate into time", mdM("at", mdS("\xed\xa0\x80")), checkMapDec[mdAll], false},
		{"S into int", mdM("i", mdS("1")), checkMapDec[mdAll], false},
		{"N into bool", mdM("b", mdN("1")), checkMapDec[mdAll], false},
		{"L into struct", mdM("item", mdL()), checkMapDec[mdAll], false},
		{"M into time: reference leaves it zero", mdM("at", mdM("x", mdS("y"))), checkMapDec[mdAll], false},
		{"B into a matching array", mdM("byteArr", mdB(1, 2, 3, 4)), checkMapDec[mdAll], false},
		{"typed nil member", mdM("item", (*types.AttributeValueMemberNULL)(nil)), checkMapDec[mdAll], true},
		{"unknown member type", mdM("s", &types.UnknownUnionMember{Tag: "X"}), checkMapDec[mdAll], false},
		{"error in a list element", mdM("items", mdL(mdM("sku", mdS("A")), mdM("qty", mdS("two")))), checkMapDec[mdAll], false},
		{"map key past uint8", mdM("mU8", mdM("256", mdN("1"))), checkMapDec[mdAll], false},
		{"map key respelled is not canonical", mdM("mInt", mdM("1e2", mdS("x"))), checkMapDec[mdAll], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fast, _ := tt.check(t, tt.av)
			if fast != tt.fast {
				t.Errorf("compiled decoder decoded = %v, want %v", fast, tt.fast)
			}
		})
	}
}

// TestMapDecCaseCollisionWinner: with members equal ignoring case, the
// winner is the reference's (it falls back), which is the member decoded
// last in Go's map order: either may win, and nothing else happens.
func TestMapDecCaseCollisionWinner(t *testing.T) {
	av := mdM("USER", mdS("a"), "user", mdS("b"))
	seen := map[string]bool{}
	for range 200 {
		var v mdCase
		if err := decodeMap(av, &v); err != nil {
			t.Fatal(err)
		}
		seen[v.User] = true
	}
	if diff := cmp.Diff(map[string]bool{"a": true, "b": true}, seen); diff != "" {
		t.Errorf("winners over 200 decodes mismatch (-want +got):\n%s", diff)
	}
}

// TestMapDecNonZeroTarget: a target that is not zero is the reference's
// (attributevalue merges into it).
func TestMapDecNonZeroTarget(t *testing.T) {
	av := mdM("mStr", mdM("b", mdS("2")), "ints", mdL(mdN("9")))
	got := mdAll{MStr: map[string]string{"a": "1"}, Ints: []int{1, 2, 3}, S: "kept"}
	if decodeMapFast(av, &got) {
		t.Fatal("the compiled decoder decoded into a value that was not zero")
	}
	if err := decodeMap(av, &got); err != nil {
		t.Fatal(err)
	}
	want := mdAll{MStr: map[string]string{"a": "1", "b": "2"}, Ints: []int{9}, S: "kept"}
	if diff := cmp.Diff(want, got, mdExactly); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

// TestMapDecStoredRecords: every record the Node stores wrote (and the
// golden records of our codecs), into the Node app's session type and
// into map[string]any, by the compiled decoder.
func TestMapDecStoredRecords(t *testing.T) {
	paths, _ := filepath.Glob("testdata/fixtures/*.json")
	golden, _ := filepath.Glob("testdata/golden/*.json")
	n := 0
	for _, path := range append(paths, golden...) {
		if strings.HasSuffix(path, ".meta.json") {
			continue
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		item, err := ddbjson.UnmarshalItem(raw)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		sess, ok := item["sess"].(*types.AttributeValueMemberM)
		if !ok {
			continue
		}
		n++
		t.Run(strings.TrimSuffix(filepath.Base(path), ".json"), func(t *testing.T) {
			if fast, err := checkMapDec[mdNode](t, sess); !fast || err != nil {
				t.Errorf("into mdNode: compiled %v, reference error %v", fast, err)
			}
			if fast, err := checkMapDec[map[string]any](t, sess); !fast || err != nil {
				t.Errorf("into map[string]any: compiled %v, reference error %v", fast, err)
			}
		})
	}
	if n < 8 {
		t.Fatalf("found %d Map records, want the fixtures' and golden files'", n)
	}
}

// TestMapDecAllocs: the compiled decoder allocates less than the
// reference on the benchmark session, at every size the benchmarks use.
func TestMapDecAllocs(t *testing.T) {
	for _, size := range []int{512, 2048, 64 << 10} {
		s := samplesession.New(rand.New(rand.NewPCG(1, 0)), size, time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC))
		av, err := Map[samplesession.Session]().Encode("", &s)
		if err != nil {
			t.Fatal(err)
		}
		decode := func(f func(types.AttributeValue, any) error) float64 {
			return testing.AllocsPerRun(20, func() {
				var v samplesession.Session
				if err := f(av, &v); err != nil {
					t.Fatal(err)
				}
			})
		}
		fast := decode(decodeMap)
		ref := decode(decodeMapReference)
		t.Logf("%d bytes: %v allocations, reference %v", size, fast, ref)
		if fast > ref {
			t.Errorf("%d bytes: %v allocations, more than the reference's %v", size, fast, ref)
		}
	}
}

// mdGen makes random values of any type the tests use, biased to edges.
type mdGen struct{ r *rand.Rand }

func (g mdGen) value(t reflect.Type, depth int) reflect.Value {
	v := reflect.New(t).Elem()
	g.fill(v, depth)
	return v
}

func (g mdGen) fill(v reflect.Value, depth int) {
	r := g.r
	t := v.Type()
	if t == timeType {
		zones := []*time.Location{time.UTC, time.Local, time.FixedZone("", 3600), time.FixedZone("X", -(7*3600 + 30*60))}
		at := time.Unix(r.Int64N(1<<35)-1<<34, r.Int64N(1e9)).In(zones[r.IntN(len(zones))])
		v.Set(reflect.ValueOf(at))
		return
	}
	if depth > 4 && (t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map || t.Kind() == reflect.Interface) {
		return
	}
	switch t.Kind() {
	case reflect.Bool:
		v.SetBool(r.IntN(2) == 0)
	case reflect.String:
		v.SetString(mdStrings[r.IntN(len(mdStrings))] + strconv.Itoa(r.IntN(3)))
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := t.Bits()
		v.SetInt(r.Int64() >> (64 - bits) >> r.IntN(bits))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(r.Uint64() >> (64 - t.Bits()) >> r.IntN(t.Bits()))
	case reflect.Float32, reflect.Float64:
		f := []float64{0, 1.5, -0.1, 1e300, 5e-324, math.MaxFloat32, float64(r.Int64()), r.NormFloat64() * math.Pow(10, float64(r.IntN(40)-20))}
		v.SetFloat(f[r.IntN(len(f))])
	case reflect.Pointer:
		if r.IntN(3) > 0 {
			v.Set(reflect.New(t.Elem()))
			g.fill(v.Elem(), depth+1)
		}
	case reflect.Slice:
		if r.IntN(4) == 0 && t.Elem().Kind() != reflect.Uint8 { // a BS refuses nil elements
			return
		}
		n := r.IntN(4)
		v.Set(reflect.MakeSlice(t, n, n))
		for i := range n {
			g.fill(v.Index(i), depth+1)
		}
	case reflect.Array:
		for i := range v.Len() {
			g.fill(v.Index(i), depth+1)
		}
	case reflect.Map:
		if r.IntN(4) == 0 {
			return
		}
		v.Set(reflect.MakeMap(t))
		for range r.IntN(4) {
			k, e := reflect.New(t.Key()).Elem(), reflect.New(t.Elem()).Elem()
			g.fill(k, depth+1)
			g.fill(e, depth+1)
			v.SetMapIndex(k, e)
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if t.Field(i).IsExported() {
				g.fill(v.Field(i), depth+1)
			}
		}
	case reflect.Interface:
		if x := g.anyValue(depth); x != nil && t.NumMethod() == 0 {
			v.Set(reflect.ValueOf(x))
		}
	}
}

func (g mdGen) anyValue(depth int) any {
	switch g.r.IntN(9) {
	case 0:
		return nil
	case 1:
		return mdStrings[g.r.IntN(len(mdStrings))]
	case 2:
		return g.r.Int64() >> g.r.IntN(64)
	case 3:
		return g.r.Uint64()
	case 4:
		return g.r.NormFloat64()
	case 5:
		return g.r.IntN(2) == 0
	case 6:
		return []byte{byte(g.r.IntN(256))}
	case 7:
		if depth < 5 {
			return []any{g.anyValue(depth + 1), g.anyValue(depth + 1)}
		}
	case 8:
		if depth < 5 {
			return map[string]any{"a": g.anyValue(depth + 1), "B": g.anyValue(depth + 1)}
		}
	}
	return "leaf"
}

// mdMutate replaces about one stored value in rate with a value of
// mdValues, and member names with names equal ignoring case: the damage
// other programs (or none) could leave in a record. av is changed in place.
func mdMutate(r *rand.Rand, av types.AttributeValue, rate int, values []types.AttributeValue) types.AttributeValue {
	if r.IntN(rate) == 0 {
		// A copy: the loop below may reach the replacement again (a key
		// re-added in another case), and mutating the shared value in
		// place could make it hold itself, a cycle no decoder survives.
		return mdClone(values[r.IntN(len(values))])
	}
	switch a := av.(type) {
	case *types.AttributeValueMemberM:
		for k, e := range a.Value {
			e = mdMutate(r, e, rate, values)
			if r.IntN(rate) == 0 {
				delete(a.Value, k)
				k = strings.ToUpper(k)
			}
			a.Value[k] = e
		}
	case *types.AttributeValueMemberL:
		for i, e := range a.Value {
			a.Value[i] = mdMutate(r, e, rate, values)
		}
	}
	return av
}

// mdClone copies the maps and lists of av, the parts mdMutate changes.
func mdClone(av types.AttributeValue) types.AttributeValue {
	switch a := av.(type) {
	case *types.AttributeValueMemberM:
		m := make(map[string]types.AttributeValue, len(a.Value))
		for k, e := range a.Value {
			m[k] = mdClone(e)
		}
		return &types.AttributeValueMemberM{Value: m}
	case *types.AttributeValueMemberL:
		l := make([]types.AttributeValue, len(a.Value))
		for i, e := range a.Value {
			l[i] = mdClone(e)
		}
		return &types.AttributeValueMemberL{Value: l}
	}
	return av
}

// TestMapDecProperty: random values of several types, encoded by the Map
// codec, decode the same both ways; then again with some stored values
// replaced by others (wrong types, other spellings, names in another case).
func TestMapDecProperty(t *testing.T) {
	n := 300
	if testing.Short() {
		n = 30
	}
	values := mdValues()
	checks := map[string]func(testing.TB, types.AttributeValue) (bool, error){
		"mdAll":          checkMapDec[mdAll],
		"mdNode":         checkMapDec[mdNode],
		"mdDeep":         checkMapDec[mdDeep],
		"map[string]any": checkMapDec[map[string]any],
		"session":        checkMapDec[samplesession.Session],
	}
	gens := map[string]reflect.Type{
		"mdAll":          reflect.TypeFor[mdAll](),
		"mdNode":         reflect.TypeFor[mdNode](),
		"mdDeep":         reflect.TypeFor[mdDeep](),
		"map[string]any": reflect.TypeFor[map[string]any](),
		"session":        reflect.TypeFor[samplesession.Session](),
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) {
			r := rand.New(rand.NewPCG(17, uint64(len(name))))
			g := mdGen{r}
			var encoded, fast int
			for range n {
				v := g.value(gens[name], 0)
				av, err := mapEncoder.Encode(pointerTo(v))
				if err != nil {
					continue
				}
				encoded++
				if name == "mdAll" {
					// Stored as B, which the compiled decoder leaves to
					// the reference (mdKnownDecline).
					delete(av.(*types.AttributeValueMemberM).Value, "byteArr")
				}
				if ok, err := check(t, av); ok {
					fast++
				} else if err == nil {
					t.Errorf("the compiled decoder declined an encoded %s: %s", name, mdDump(av))
				}
				check(t, mdMutate(r, av, 8, values))
			}
			t.Logf("%d encoded, %d decoded by the compiled decoder", encoded, fast)
			if encoded < n/2 {
				t.Errorf("only %d of %d generated values encoded", encoded, n)
			}
		})
	}
}

// mdBuilder makes a stored value out of fuzz bytes: each byte picks what
// comes next, names come from the test types' fields (in several cases),
// numbers and strings from the corpora above or from the bytes.
type mdBuilder struct {
	data []byte
	keys []string
}

func (b *mdBuilder) next() int {
	if len(b.data) == 0 {
		return 0
	}
	c := b.data[0]
	b.data = b.data[1:]
	return int(c)
}

func (b *mdBuilder) text() string {
	n := b.next() % 8
	n = min(n, len(b.data))
	s := string(b.data[:n])
	b.data = b.data[n:]
	return s
}

func (b *mdBuilder) number() string {
	c := b.next()
	if c%4 == 0 {
		return b.text()
	}
	return mdNumbers[c%len(mdNumbers)]
}

func (b *mdBuilder) str() string {
	c := b.next()
	if c%3 == 0 {
		return b.text()
	}
	return mdStrings[c%len(mdStrings)]
}

func (b *mdBuilder) key() string {
	c := b.next()
	switch c % 5 {
	case 0:
		return b.text()
	case 1:
		return strings.ToUpper(b.keys[c%len(b.keys)])
	}
	return b.keys[c%len(b.keys)]
}

func (b *mdBuilder) value(depth int) types.AttributeValue {
	c := b.next()
	count := func() int { return b.next() % 5 }
	switch c % 12 {
	case 0:
		return mdN(b.number())
	case 1:
		return mdS(b.str())
	case 2:
		return mdBool(c&0x80 != 0)
	case 3:
		return mdNULL
	case 4:
		return mdB([]byte(b.text())...)
	case 5, 6:
		m := map[string]types.AttributeValue{}
		for range count() {
			if depth < 33 {
				m[b.key()] = b.value(depth + 1)
			}
		}
		return &types.AttributeValueMemberM{Value: m}
	case 7, 8:
		var l []types.AttributeValue
		for range count() {
			if depth < 33 {
				l = append(l, b.value(depth+1))
			}
		}
		return mdL(l...)
	case 9:
		ns := []string{}
		for range count() {
			ns = append(ns, b.number())
		}
		return mdNS(ns...)
	case 10:
		ss := []string{}
		for range count() {
			ss = append(ss, b.str())
		}
		return mdSS(ss...)
	default:
		bs := [][]byte{}
		for range count() {
			bs = append(bs, []byte(b.text()))
		}
		return mdBS(bs...)
	}
}

// mdKeys are the member names the fuzz builder uses: every field name of
// the test types.
func mdKeys() []string {
	var keys []string
	for _, t := range []reflect.Type{reflect.TypeFor[mdAll](), reflect.TypeFor[mdItem](), reflect.TypeFor[mdNode](), reflect.TypeFor[mdDeep](), reflect.TypeFor[mdCase](), reflect.TypeFor[mdFallback]()} {
		for i := range t.NumField() {
			f := t.Field(i)
			if name := parseAVTag(f.Tag).name; name != "" {
				keys = append(keys, name)
			}
			keys = append(keys, f.Name)
		}
	}
	return keys
}

func FuzzMapDecodeMatchesAttributevalue(f *testing.F) {
	f.Add([]byte{5, 3, 2, 0, 7})
	f.Add([]byte("\x05\x04\x02\x07\x02\x00\x01\x05\x01\x11\x01\x05\x03\x01\x02"))
	f.Add([]byte("\x06\x04\x0a\x08\x04\x00\x03\x09\x04\x01\x02\x03\x04"))
	f.Add([]byte("\x05\x04\x01\x06\x02\x00\x31\x04\x00\x00"))
	keys := mdKeys()
	f.Fuzz(func(t *testing.T, data []byte) {
		b := &mdBuilder{data: data, keys: keys}
		av := b.value(0)
		checkMapDec[mdAll](t, av)
		checkMapDec[mdNode](t, av)
		checkMapDec[mdDeep](t, av)
		checkMapDec[mdFallback](t, av)
		checkMapDec[map[string]any](t, av)
		checkMapDec[samplesession.Session](t, av)
	})
}

// The fuzz builder reaches every kind of stored value.
func TestMapDecBuilderKinds(t *testing.T) {
	seen := map[string]bool{}
	for c := range 12 {
		b := &mdBuilder{data: []byte{byte(c), 1, 1, 1, 1}, keys: mdKeys()}
		seen[typeName(b.value(0))] = true
	}
	if len(seen) != 10 {
		t.Errorf("builder made %d kinds of stored value, want 10: %v", len(seen), seen)
	}
}

// TestMapDecodeNeverPanics: stored values on which attributevalue panics
// are errors. B into a byte array of another length made it call
// reflect.Value.SetLen on the array; a typed nil member dereferenced it.
func TestMapDecodeNeverPanics(t *testing.T) {
	tests := []struct {
		name string
		av   types.AttributeValue
	}{
		{"B shorter than a byte array", mdM("byteArr", mdB(1, 2))},
		{"B longer than a byte array", mdM("byteArr", mdB(1, 2, 3, 4, 5))},
		{"empty B into a byte array", mdM("byteArr", mdB())},
		{"typed nil S", mdM("s", (*types.AttributeValueMemberS)(nil))},
		{"typed nil M", mdM("item", (*types.AttributeValueMemberM)(nil))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var v mdAll
			err := Map[mdAll]().Decode("", tt.av, &v)
			if err == nil || !strings.Contains(err.Error(), "cannot decode") {
				t.Errorf("Decode = %v, want an error that says it cannot decode", err)
			}
		})
	}
}
