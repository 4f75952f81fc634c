package codec_test

import (
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/vmihailenco/msgpack/v5"

	"github.com/dynamosession/dynamosession/codec"
)

type (
	// stampedNote inherits time.Time's MarshalJSON, MarshalText and
	// MarshalBinary while holding another field.
	stampedNote struct {
		time.Time
		Note string `json:"note"`
	}
	// stampOnly is time.Time with methods of its own: nothing else to lose.
	stampOnly struct{ time.Time }
	// ownJSON declares its MarshalJSON (and UnmarshalJSON), so encoding/json
	// calls the type's own code.
	ownJSON struct {
		time.Time
		Note string
	}
	// jsonBase writes itself to JSON and has exported fields.
	jsonBase     struct{ ID string }
	extendedBase struct {
		jsonBase
		Extra int `json:"extra"`
	}
	TextA struct{ A string }
	TextB struct{ B string }
	// ambiguous embeds two types with MarshalText: neither is promoted.
	ambiguous struct {
		TextA
		TextB
		N int `json:"n"`
	}
	textC struct{ C string }
	textD struct{ D string }
	// hiddenWriters embeds two unexported types with MarshalText.
	hiddenWriters struct {
		textC
		textD
		N int `json:"n"`
	}
	stampedPtr struct {
		*time.Time
		N int `json:"n"`
	}
	stampedItems struct {
		Items []stampedNote `json:"items"`
	}
	// dashedStamp and dynDashedStamp skip the time by tag, but a tag does
	// not stop Go promoting its methods: encoding/json and msgpack still
	// write the struct as the time and drop N.
	dashedStamp struct {
		time.Time `json:"-"`
		N         int `json:"n"`
	}
	dynDashedStamp struct {
		time.Time `dynamodbav:"-"`
		N         int `json:"n"`
	}
	// namedStamp names its embedded time: attributevalue stores it as the
	// field "at" rather than flattening it.
	namedStamp struct {
		time.Time `json:"at"`
		N         int `json:"n"`
	}
	// ptrJSON declares MarshalJSON on its pointer only: encoding/json
	// calls it for a value it can address, but a map value it writes by
	// the MarshalText the value inherits from time.Time.
	ptrJSON struct {
		time.Time
		N int `json:"n"`
	}
	ptrJSONs struct {
		M map[string]ptrJSON `json:"m"`
	}
	// ptrMsgpack declares EncodeMsgpack on its pointer only: msgpack looks
	// at a value's own methods first, and writes a field by the
	// MarshalBinary it inherits from time.Time.
	ptrMsgpack struct {
		time.Time
		N int `json:"n"`
	}
	ptrMsgpackField struct {
		V ptrMsgpack `json:"v"`
	}
)

func (o ownJSON) MarshalJSON() ([]byte, error) {
	return []byte(`{"t":"` + o.Time.UTC().Format(time.RFC3339Nano) + `","note":` + `"` + o.Note + `"}`), nil
}

func (o *ownJSON) UnmarshalJSON(b []byte) error {
	var v struct {
		T    time.Time
		Note string
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	o.Time, o.Note = v.T, v.Note
	return nil
}

func (p *ptrJSON) MarshalJSON() ([]byte, error) { return json.Marshal(p.N) }
func (p *ptrJSON) UnmarshalJSON(b []byte) error { return json.Unmarshal(b, &p.N) }

func (p *ptrMsgpack) EncodeMsgpack(e *msgpack.Encoder) error { return e.EncodeInt(int64(p.N)) }
func (p *ptrMsgpack) DecodeMsgpack(d *msgpack.Decoder) (err error) {
	p.N, err = d.DecodeInt()
	return err
}

func (jsonBase) MarshalJSON() ([]byte, error) { return []byte(`"base"`), nil }
func (a TextA) MarshalText() ([]byte, error)  { return []byte(a.A), nil }
func (b TextB) MarshalText() ([]byte, error)  { return []byte(b.B), nil }
func (a *TextA) UnmarshalText(t []byte) error { a.A = string(t); return nil }
func (b *TextB) UnmarshalText(t []byte) error { b.B = string(t); return nil }

func (textC) MarshalText() ([]byte, error) { return []byte("c"), nil }
func (textD) MarshalText() ([]byte, error) { return []byte("d"), nil }

// TestMsgpackEncodePanicIsAnError: vmihailenco/msgpack panics encoding a
// field of an unexported embedded type with MarshalText; Encode returns an
// error and the process goes on.
func TestMsgpackEncodePanicIsAnError(t *testing.T) {
	v := hiddenWriters{N: 1}
	if _, err := codec.Msgpack[hiddenWriters]().Encode("k", &v); !errors.Is(err, codec.ErrUnsupported) {
		t.Fatalf("Encode = %v; want an error wrapping ErrUnsupported", err)
	}
}

// TestEmbeddedMarshalersRefused: a session type that would lose data
// because a struct in it embeds a type whose writing methods it inherits
// (or, for Map, a type attributevalue flattens to nothing) is refused by
// Encode with ErrUnsupported; the shapes that lose nothing round-trip.
func TestEmbeddedMarshalersRefused(t *testing.T) {
	at := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	// refused lists the formats that must refuse; the others must round-trip.
	check := func(t *testing.T, name string, refused map[codec.Format]bool, encode func(*testing.T, codec.Format) error) {
		for _, f := range []codec.Format{codec.FormatMap, codec.FormatJSON, codec.FormatMsgpack} {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				err := encode(t, f)
				switch {
				case refused[f] && !errors.Is(err, codec.ErrUnsupported):
					t.Errorf("Encode = %v; want an error wrapping ErrUnsupported", err)
				case !refused[f] && err != nil:
					t.Errorf("Encode: %v", err)
				}
			})
		}
	}
	all := map[codec.Format]bool{codec.FormatMap: true, codec.FormatJSON: true, codec.FormatMsgpack: true}
	check(t, "time and another field", all, embeddedRoundTrip(stampedNote{Time: at, Note: "n"}))
	check(t, "pointer to time and another field", all, embeddedRoundTrip(stampedPtr{Time: &at, N: 1}))
	check(t, "stampedItems in a slice", all, embeddedRoundTrip(stampedItems{Items: []stampedNote{{Time: at}}}))
	check(t, "time alone", map[codec.Format]bool{codec.FormatMap: true}, embeddedRoundTrip(stampOnly{at}))
	check(t, "own MarshalJSON", map[codec.Format]bool{codec.FormatMap: true, codec.FormatMsgpack: true}, embeddedRoundTrip(ownJSON{Time: at, Note: "n"}))
	check(t, "JSON writer with fields", map[codec.Format]bool{codec.FormatJSON: true}, embeddedRoundTrip(extendedBase{jsonBase: jsonBase{ID: "x"}, Extra: 2}))
	check(t, "two writers, neither promoted", nil, embeddedRoundTrip(ambiguous{TextA{"a"}, TextB{"b"}, 3}))
	// The Map codec skips the time by its tag (nothing to lose from a zero
	// time); the others inherit its writers all the same.
	jsonAndMsgpack := map[codec.Format]bool{codec.FormatJSON: true, codec.FormatMsgpack: true}
	check(t, "time skipped by json tag", jsonAndMsgpack, embeddedRoundTrip(dashedStamp{N: 1}))
	check(t, "time skipped by dynamodbav tag", jsonAndMsgpack, embeddedRoundTrip(dynDashedStamp{N: 1}))
	check(t, "time named by tag", jsonAndMsgpack, embeddedRoundTrip(namedStamp{Time: at, N: 1}))
	check(t, "own pointer MarshalJSON, in a map", all, embeddedRoundTrip(ptrJSONs{M: map[string]ptrJSON{"a": {Time: at, N: 1}}}))
	check(t, "own pointer EncodeMsgpack, in a field", all, embeddedRoundTrip(ptrMsgpackField{V: ptrMsgpack{Time: at, N: 1}}))
}

// embeddedRoundTrip returns an encode function for the formats: Encode with the
// format's codec and, when that succeeds, Decode and compare.
func embeddedRoundTrip[T any](v T) func(*testing.T, codec.Format) error {
	return func(t *testing.T, f codec.Format) error {
		var c codec.Codec[T]
		switch f {
		case codec.FormatMap:
			c = codec.Map[T]()
		case codec.FormatJSON:
			c = codec.JSON[T]()
		default:
			c = codec.Msgpack[T]()
		}
		av, err := c.Encode("k", &v)
		if err != nil {
			return err
		}
		var got T
		if err := c.Decode("k", av, &got); err != nil {
			t.Errorf("Decode of what Encode stored: %v", err)
			return nil
		}
		if diff := cmp.Diff(v, got, cmp.Comparer(func(a, b time.Time) bool { return a.Equal(b) }), cmp.AllowUnexported(ambiguous{}, jsonBase{}, extendedBase{})); diff != "" {
			t.Errorf("read back otherwise than stored (-want +got):\n%s", diff)
		}
		return nil
	}
}
