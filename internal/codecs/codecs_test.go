package codecs_test

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/codecs"
)

// cartV1 and cartV2 are a session type before and after a deploy that
// changed it incompatibly (items became objects), as an upgrade sees them.
type cartV1 struct {
	Items []string `json:"items"`
	Owner string   `json:"owner"`
}

type cartV2 struct {
	Items []struct {
		SKU string `json:"sku"`
	} `json:"items"`
	Owner string `json:"owner"`
}

func testKeys(t *testing.T) *codec.Keyring {
	t.Helper()
	kr, err := codec.NewKeyring(codec.Key{ID: "k1", Secret: bytes.Repeat([]byte{7}, 32)})
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

// TestDecodeAs decodes, with each codec for a cartV2, a session its
// counterpart for a cartV1 stored: the configuration of the codec (the
// keyring, the compression) applies to the old shape too.
func TestDecodeAs(t *testing.T) {
	keys := testKeys(t)
	small := func(o *codec.CompressOptions) { o.Threshold = 0 } // compress even this small session
	tests := []struct {
		name string
		old  codec.Codec[cartV1]
		cur  codec.Codec[cartV2]
	}{
		{"map", codec.Map[cartV1](), codec.Map[cartV2]()},
		{"exclusive json", codec.JSON[cartV1](func(o *codec.Options) { o.Exclusive = true }), codec.JSON[cartV2](func(o *codec.Options) { o.Exclusive = true })},
		{"msgpack", codec.Msgpack[cartV1](), codec.Msgpack[cartV2]()},
		{"compressed msgpack", codec.Compressed(codec.Msgpack[cartV1](), small), codec.Compressed(codec.Msgpack[cartV2](), small)},
		{"compressed json", codec.Compressed(codec.JSON[cartV1](), small), codec.Compressed(codec.JSON[cartV2](), small)},
		{"sealed msgpack", codec.Sealed(codec.Msgpack[cartV1](), keys), codec.Sealed(codec.Msgpack[cartV2](), keys)},
		{"sealed compressed", codec.Sealed(codec.Compressed(codec.Msgpack[cartV1](), small), keys), codec.Sealed(codec.Compressed(codec.Msgpack[cartV2](), small), keys)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := cartV1{Items: []string{"A1", "B2"}, Owner: "ada"}
			av, err := tt.old.Encode("session#k", &want)
			if err != nil {
				t.Fatal(err)
			}
			var got cartV1
			if err := codecs.DecodeAs(tt.cur, "session#k", av, &got); err != nil {
				t.Fatalf("DecodeAs = %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("sealed for another session key", func(t *testing.T) {
		av, err := codec.Sealed(codec.Msgpack[cartV1](), keys).Encode("session#a", &cartV1{Owner: "ada"})
		if err != nil {
			t.Fatal(err)
		}
		var got cartV1
		if err := codecs.DecodeAs(codec.Sealed(codec.Msgpack[cartV2](), keys), "session#b", av, &got); !errors.Is(err, codec.ErrNotAuthentic) {
			t.Errorf("DecodeAs = %v, want ErrNotAuthentic", err)
		}
	})
}

// foreign is a codec of another package: it decodes into its own T only.
type foreign[T any] struct{ codec.Binary[T] }

// TestDecodeAsForeignCodec: a codec of another package decodes the type
// it is for, and refuses, by name, any other; so does a codec of package
// codec around one.
func TestDecodeAsForeignCodec(t *testing.T) {
	c := foreign[cartV2]{codec.Msgpack[cartV2]()}
	av, err := c.Encode("k", &cartV2{Owner: "ada"})
	if err != nil {
		t.Fatal(err)
	}
	var same cartV2
	if err := codecs.DecodeAs(codec.Codec[cartV2](c), "k", av, &same); err != nil || same.Owner != "ada" {
		t.Errorf("DecodeAs into its own type = %+v, %v; want the session", same, err)
	}
	keys := testKeys(t)
	for name, c := range map[string]codec.Codec[cartV2]{
		"foreign":              c,
		"sealed around it":     codec.Sealed(codec.Binary[cartV2](c), keys),
		"compressed around it": codec.Compressed(codec.Binary[cartV2](c)),
	} {
		t.Run(name, func(t *testing.T) {
			av, err := c.Encode("k", &cartV2{Owner: "ada"})
			if err != nil {
				t.Fatal(err)
			}
			var old cartV1
			err = codecs.DecodeAs(c, "k", av, &old)
			if err == nil || !strings.Contains(err.Error(), "foreign") {
				t.Errorf("DecodeAs into another type = %v, want an error naming the foreign codec", err)
			}
		})
	}
}

// TestDetect covers what codec's round trips do not: envelopes of an
// unknown kind and attributes no codec writes.
func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		av   types.AttributeValue
		want codec.Format
	}{
		{"empty B is MessagePack", &types.AttributeValueMemberB{Value: nil}, codec.FormatMsgpack},
		{"marker alone", &types.AttributeValueMemberB{Value: []byte{0xC1}}, ""},
		{"envelope of an unknown kind", &types.AttributeValueMemberB{Value: []byte{0xC1, 'q', 1}}, ""},
		{"compressed", &types.AttributeValueMemberB{Value: []byte{0xC1, 'z', 'm', 'n'}}, codec.FormatCompressed},
		{"sealed", &types.AttributeValueMemberB{Value: []byte{0xC1, 'e', 1}}, codec.FormatSealed},
		{"number", &types.AttributeValueMemberN{Value: "1"}, ""},
		{"missing", nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := codecs.Detect(tt.av); got != tt.want {
				t.Errorf("Detect = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestKeepUnknownOnlyMapAndJSON: the other codecs, and a nil stored
// value, get fresh back as it is.
func TestKeepUnknownOnlyMapAndJSON(t *testing.T) {
	stored := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{
		"owner": &types.AttributeValueMemberS{Value: "ada"},
		"extra": &types.AttributeValueMemberS{Value: "kept"},
	}}
	fresh := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"owner": &types.AttributeValueMemberS{Value: "bob"}}}
	got, err := codecs.KeepUnknown(codec.Map[cartV1](), stored, fresh)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := got.(*types.AttributeValueMemberM).Value["extra"]; !ok {
		t.Errorf("Map: KeepUnknown = %v, want extra kept", got)
	}
	for name, c := range map[string]codec.Codec[cartV1]{
		"msgpack": codec.Msgpack[cartV1](),
		"foreign": foreign[cartV1]{codec.Msgpack[cartV1]()},
	} {
		if got, err := codecs.KeepUnknown(c, stored, fresh); err != nil || got != types.AttributeValue(fresh) {
			t.Errorf("%s: KeepUnknown = %v, %v; want fresh itself", name, got, err)
		}
	}
	if got, err := codecs.KeepUnknown(codec.Map[cartV1](), nil, fresh); err != nil || got != types.AttributeValue(fresh) {
		t.Errorf("nil stored: KeepUnknown = %v, %v; want fresh itself", got, err)
	}
}

// TestLossyForeignCodec: a codec of another package keeps no unknown
// fields, so rewriting a Map or JSON record that has some with it loses
// them; without any, nothing is lost.
func TestLossyForeignCodec(t *testing.T) {
	to := codec.Codec[cartV1](foreign[cartV1]{codec.Msgpack[cartV1]()})
	tests := []struct {
		name   string
		stored types.AttributeValue
		lossy  bool
	}{
		{"json with an unknown field", &types.AttributeValueMemberS{Value: `{"owner":"ada","extra":1}`}, true},
		{"json without", &types.AttributeValueMemberS{Value: `{"owner":"ada"}`}, false},
		{"json with a lone surrogate", &types.AttributeValueMemberS{Value: `{"owner":"\ud800"}`}, true},
		{"map with an unknown field", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"extra": &types.AttributeValueMemberN{Value: "1"}}}, true},
		{"map without", &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"owner": &types.AttributeValueMemberS{Value: "ada"}}}, false},
		{"msgpack", &types.AttributeValueMemberB{Value: []byte{0x80}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := codecs.Lossy(to, tt.stored)
			if got := errors.Is(err, codec.ErrUnsupported); got != tt.lossy {
				t.Errorf("Lossy = %v, want lossy %v", err, tt.lossy)
			}
		})
	}
}
