package codec_test

import (
	"encoding/json"
	"net/netip"
	"testing"
	"time"

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
		S     string            `json:"s"`
		T     time.Time         `json:"t"`
		PT    *time.Time        `json:"pt"`
		M     map[string]string `json:"m"`
		L     [][2]float64      `json:"l"`
		Skip  any               `json:"-"`
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
