package codec_test

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
)

type deterministic interface{ Deterministic() bool }

// ptrWriter writes itself through a pointer receiver, which encoding/json
// calls for an addressable value.
type ptrWriter struct{ N int }

func (p *ptrWriter) MarshalJSON() ([]byte, error) { return json.Marshal(p.N) }

// TestJSONDeterministic: the JSON codec reports its encoding a function of
// the data only for types whose text is all encoding/json's own: no
// interface, no MarshalJSON or MarshalText method (of a value, through a
// pointer, of a map key) but time.Time's; fields the codec does not
// encode do not count.
func TestJSONDeterministic(t *testing.T) {
	type plain struct {
		S    string            `json:"s"`
		T    time.Time         `json:"t"`
		PT   *time.Time        `json:"pt"`
		M    map[string]string `json:"m"`
		L    [][2]float64      `json:"l"`
		Skip any               `json:"-"`
		//lint:ignore U1000 an unexported field, which the codec skips
		inner any
	}
	type withAny struct {
		M map[string]any `json:"m"`
	}
	type withRaw struct {
		R json.RawMessage `json:"r"`
	}
	type withTextKey struct {
		M map[netip.Addr]int `json:"m"`
	}
	type withTextValue struct {
		A []netip.Addr `json:"a"`
	}
	type withPtrWriter struct {
		P ptrWriter `json:"p"`
	}
	for name, c := range map[string]struct {
		got, want bool
	}{
		"plain":                          {codec.JSON[plain]().(deterministic).Deterministic(), true},
		"time.Time":                      {codec.JSON[time.Time]().(deterministic).Deterministic(), true},
		"map[string]any":                 {codec.JSON[withAny]().(deterministic).Deterministic(), false},
		"json.RawMessage":                {codec.JSON[withRaw]().(deterministic).Deterministic(), false},
		"MarshalText map key":            {codec.JSON[withTextKey]().(deterministic).Deterministic(), false},
		"MarshalText value":              {codec.JSON[withTextValue]().(deterministic).Deterministic(), false},
		"MarshalJSON on a pointer":       {codec.JSON[withPtrWriter]().(deterministic).Deterministic(), false},
		"exclusive, with map[string]any": {codec.JSON[withAny](func(o *codec.Options) { o.Exclusive = true }).(deterministic).Deterministic(), false},
	} {
		if c.got != c.want {
			t.Errorf("%s: Deterministic = %v, want %v", name, c.got, c.want)
		}
	}
}

// TestJSONTimesInSlicesOfStructs: a time whose zone offset RFC 3339
// cannot write (seconds in it) is written as the same instant in UTC
// wherever it is, here in the elements of a slice and of an array of
// structs, which the rewrite walks with one plan for all elements; the
// caller's value is left as it was.
func TestJSONTimesInSlicesOfStructs(t *testing.T) {
	type line struct {
		SKU string    `json:"sku"`
		At  time.Time `json:"at"`
	}
	type cart struct {
		Lines []line      `json:"lines"`
		Pair  [2]line     `json:"pair"`
		Times []time.Time `json:"times"`
	}
	odd := time.FixedZone("odd", 3600+7)
	at := time.Date(2026, 11, 21, 12, 0, 0, 5, odd)
	in := cart{
		Lines: []line{{"a", at.UTC()}, {"b", at}, {"c", at.In(time.FixedZone("CET", 3600))}},
		Pair:  [2]line{{"d", at}, {"e", at.UTC()}},
		Times: []time.Time{at, at.UTC()},
	}
	c := codec.JSON[cart]()
	b, err := c.Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	var out cart
	if err := c.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	instants := func(c cart) []time.Time {
		var ts []time.Time
		for _, l := range append(c.Lines, c.Pair[:]...) {
			ts = append(ts, l.At)
		}
		return append(ts, c.Times...)
	}
	got, want := instants(out), instants(in)
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("time %d read back as %v, want the instant %v", i, got[i], want[i])
		}
	}
	if in.Lines[1].At.Location() != odd || in.Pair[0].At.Location() != odd || in.Times[0].Location() != odd {
		t.Error("Marshal changed the caller's times")
	}
}

// TestJSONDecodePanicIsAnError: a session type whose UnmarshalJSON panics
// on a stored value (here time.Time's, promoted from an embedded nil
// *time.Time, as encoding/json calls it) gets an error, and the process
// goes on.
func TestJSONDecodePanicIsAnError(t *testing.T) {
	type stamped struct{ *time.Time }
	c := codec.JSON[stamped]()
	var got stamped
	err := c.Decode("k", &types.AttributeValueMemberS{Value: `"2026-11-30T12:00:00Z"`}, &got)
	if err == nil {
		t.Fatal("Decode = nil, want an error")
	}
}
