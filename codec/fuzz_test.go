package codec_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
)

// The decoders read whatever is in a table, so they must never panic,
// never allocate beyond codecs.MsgpackAllocBound, and never report success
// on input that does not survive a round trip.

// seedSessions adds the data attribute of every Node fixture to f.
func seedSessions(f *testing.F, want func(types.AttributeValue) ([]byte, bool)) {
	paths, _ := filepath.Glob("testdata/fixtures/*.json")
	for _, p := range paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		item, err := ddbjson.UnmarshalItem(raw)
		if err != nil {
			continue // .meta.json files
		}
		if b, ok := want(item["sess"]); ok {
			f.Add(b)
		}
	}
}

func FuzzJSONDecode(f *testing.F) {
	seedSessions(f, func(av types.AttributeValue) ([]byte, bool) {
		s, ok := av.(*types.AttributeValueMemberS)
		if !ok {
			return nil, false
		}
		return []byte(s.Value), true
	})
	f.Add([]byte(`{"user":"a","visits":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := codec.JSON[profile]()
		var v profile
		if err := c.Decode("", &types.AttributeValueMemberS{Value: string(data)}, &v); err != nil {
			return
		}
		roundTrip(t, c, &v)
	})
}

func FuzzMsgpackDecode(f *testing.F) {
	in := sample()
	b, err := codec.Msgpack[profile]().Marshal(&in)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte{0x80})
	f.Add([]byte{0xdf, 0xff, 0xff, 0xff, 0xff}) // a map claiming 4 billion entries
	f.Add([]byte{0xC1, 'z'})
	f.Add(append([]byte("\x81\xa4tags\xdd"), 0xff, 0xff, 0xff, 0xff)) // issue 12's 12-byte record, for profile
	f.Add([]byte("\x81\xa3raw\xc6\xff\xff\xff\xff"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := codec.Msgpack[profile]()
		var v profile
		got, err := decodeTwice(func() error {
			v = profile{}
			return c.Decode("", &types.AttributeValueMemberB{Value: data}, &v)
		})
		if bound := codecs.MsgpackAllocBound[profile](len(data)); got > bound {
			t.Fatalf("decoding %d bytes allocated %d bytes, bound %d (err %v)", len(data), got, bound, err)
		}
		if err != nil {
			return
		}
		roundTrip(t, c, &v)
	})
}

func FuzzMapDecode(f *testing.F) {
	// Small seeds only: the Node fixtures' 3 KB maps slow the mutator to a
	// few executions a second; TestReadsNodeStoreRecords covers them.
	in := sample()
	av, err := codec.Map[profile]().Encode("", &in)
	if err != nil {
		f.Fatal(err)
	}
	b, err := ddbjson.MarshalValue(av)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"M":{"cookie":{"M":{"path":{"S":"/"}}},"lastModified":{"S":"2026-11-21T14:53:29.823Z"}}}`))
	f.Add([]byte(`{"M":{"visits":{"N":"1e400"}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		av, err := ddbjson.UnmarshalValue(data)
		if err != nil {
			return
		}
		c := codec.Map[profile]()
		var v profile
		if err := c.Decode("", av, &v); err != nil {
			return
		}
		roundTrip(t, c, &v)
	})
}

// roundTrip checks that a value a decoder accepted encodes, and decodes
// again to an equal encoding.
func roundTrip(t *testing.T, c codec.Codec[profile], v *profile) {
	t.Helper()
	av, err := c.Encode("", v)
	if err != nil {
		// Decoders accept values encoders refuse (NaN from msgpack into a
		// Map-encodable struct is the only known case); that is not a bug.
		return
	}
	var again profile
	if err := c.Decode("", av, &again); err != nil {
		t.Fatalf("re-decoding our own encoding failed: %v", err)
	}
	av2, err := c.Encode("", &again)
	if err != nil {
		t.Fatalf("re-encoding failed: %v", err)
	}
	if c.Format() != codec.FormatMap && !equalAV(av, av2) {
		t.Fatalf("encoding is not stable across a round trip")
	}
}

func equalAV(a, b types.AttributeValue) bool {
	switch a := a.(type) {
	case *types.AttributeValueMemberS:
		b, ok := b.(*types.AttributeValueMemberS)
		return ok && a.Value == b.Value
	case *types.AttributeValueMemberB:
		b, ok := b.(*types.AttributeValueMemberB)
		return ok && string(a.Value) == string(b.Value)
	}
	return false
}
