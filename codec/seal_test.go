package codec_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/golden"
)

// sealKey derives a fixed test key from its ID, so the checked-in seed
// corpus stays openable across runs. Real keys come from crypto/rand or a
// key service, never from a hash of a name.
func sealKey(id string) codec.Key {
	sum := sha256.Sum256([]byte("dynamosession seal test key " + id))
	return codec.Key{ID: id, Secret: sum[:]}
}

func mustKeyring(t testing.TB, current codec.Key, previous ...codec.Key) *codec.Keyring {
	t.Helper()
	kr, err := codec.NewKeyring(current, previous...)
	if err != nil {
		t.Fatal(err)
	}
	return kr
}

func envelope(t testing.TB, av types.AttributeValue) []byte {
	t.Helper()
	b, ok := av.(*types.AttributeValueMemberB)
	if !ok {
		t.Fatalf("sealed value is %T, want B", av)
	}
	return b.Value
}

func TestSealedRoundTrip(t *testing.T) {
	kr := mustKeyring(t, sealKey("2026-11"))
	inners := map[string]codec.Binary[profile]{"msgpack": codec.Msgpack[profile](), "json": codec.JSON[profile]()}
	for name, inner := range inners {
		t.Run(name, func(t *testing.T) {
			c := codec.Sealed(inner, kr)
			in := sample()
			av, err := c.Encode("session#abc", &in)
			if err != nil {
				t.Fatal(err)
			}
			if got := codecs.Detect(av); got != codec.FormatSealed {
				t.Errorf("Detect = %q, want %q", got, codec.FormatSealed)
			}
			env := envelope(t, av)
			plain, _ := inner.Marshal(&in)
			// Layout: marker, kind, version, key-ID length, key ID, then
			// 12 bytes of nonce and the ciphertext with its 16-byte tag.
			wantHead := append([]byte{0xC1, 'e', 1, 7}, "2026-11"...)
			if !bytes.HasPrefix(env, wantHead) {
				t.Errorf("envelope starts % x, want % x", env[:min(len(env), len(wantHead))], wantHead)
			}
			if want := len(wantHead) + 12 + len(plain) + 16; len(env) != want {
				t.Errorf("envelope is %d bytes, want %d", len(env), want)
			}
			if bytes.Contains(env, []byte("Grüße")) || bytes.Contains(env, []byte("ada")) {
				t.Error("the envelope shows the session in clear")
			}
			var out profile
			if err := c.Decode("session#abc", av, &out); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(in, out, timeEqual, cmpopts.IgnoreUnexported(profile{})); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSealedAroundCompressed seals a compressed payload, the one order in
// which both help: ciphertext does not compress.
func TestSealedAroundCompressed(t *testing.T) {
	c := codec.Sealed[profile](codec.Compressed[profile](codec.Msgpack[profile]()), mustKeyring(t, sealKey("k")))
	in := sample()
	in.Tags = strings.Fields(strings.Repeat("compressible ", 500))
	av, err := c.Encode("session#abc", &in)
	if err != nil {
		t.Fatal(err)
	}
	plain, _ := codec.Msgpack[profile]().Marshal(&in)
	if n := len(envelope(t, av)); n >= len(plain)/2 {
		t.Errorf("sealed compressed envelope is %d bytes for a %d-byte payload; it did not compress", n, len(plain))
	}
	var out profile
	if err := c.Decode("session#abc", av, &out); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out, timeEqual, cmpopts.IgnoreUnexported(profile{})); diff != "" {
		t.Errorf("mismatch (-want +got):\n%s", diff)
	}
}

func TestSealedNoncesAreFresh(t *testing.T) {
	c := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, sealKey("k")))
	in := sample()
	seen := map[string]bool{}
	for range 100 {
		av, err := c.Encode("session#abc", &in)
		if err != nil {
			t.Fatal(err)
		}
		nonce := string(envelope(t, av)[5:17])
		if seen[nonce] {
			t.Fatalf("nonce % x repeated", nonce)
		}
		seen[nonce] = true
	}
}

func TestNewKeyringRejects(t *testing.T) {
	good := sealKey("good")
	tests := []struct {
		name     string
		current  codec.Key
		previous []codec.Key
		want     string
	}{
		{"short secret", codec.Key{ID: "k", Secret: make([]byte, 16)}, nil, "16 bytes"},
		{"long secret", codec.Key{ID: "k", Secret: make([]byte, 33)}, nil, "33 bytes"},
		{"nil secret", codec.Key{ID: "k"}, nil, "0 bytes"},
		{"empty ID", codec.Key{Secret: good.Secret}, nil, "empty key ID"},
		{"long ID", codec.Key{ID: strings.Repeat("k", 256), Secret: good.Secret}, nil, "256 bytes"},
		{"bad previous", good, []codec.Key{{ID: "old", Secret: []byte("short")}}, `"old" is 5 bytes`},
		{"duplicate ID", good, []codec.Key{sealKey("other"), {ID: "good", Secret: sealKey("x").Secret}}, "given twice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kr, err := codec.NewKeyring(tt.current, tt.previous...)
			if !errors.Is(err, codec.ErrInvalidKey) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("NewKeyring = %v, %v; want ErrInvalidKey mentioning %q", kr, err, tt.want)
			}
		})
	}
	if _, err := codec.NewKeyring(codec.Key{ID: strings.Repeat("k", 255), Secret: good.Secret}); err != nil {
		t.Errorf("a 255-byte key ID: %v", err)
	}
}

func TestSealedPanicsOnMissingParts(t *testing.T) {
	tests := map[string]func(){
		"nil inner":    func() { codec.Sealed[profile](nil, mustKeyring(t, sealKey("k"))) },
		"nil keyring":  func() { codec.Sealed[profile](codec.Msgpack[profile](), nil) },
		"zero keyring": func() { codec.Sealed[profile](codec.Msgpack[profile](), &codec.Keyring{}) },
	}
	for name, fn := range tests {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("Sealed did not panic")
				}
			}()
			fn()
		})
	}
}

func TestNewKeyringCopiesSecrets(t *testing.T) {
	k := sealKey("k")
	secret := bytes.Clone(k.Secret)
	c := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, codec.Key{ID: "k", Secret: secret}))
	in := sample()
	av, _ := c.Encode("session#a", &in)
	clear(secret) // a caller wiping its copy must not change the keyring
	var out profile
	if err := c.Decode("session#a", av, &out); err != nil {
		t.Fatalf("Decode after the caller wiped its secret: %v", err)
	}
}

func TestKeyDoesNotPrintSecret(t *testing.T) {
	k := sealKey("2026-11")
	kr := mustKeyring(t, k)
	for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%x", "%q"} {
		for name, v := range map[string]any{"Key": k, "*Key": &k, "Keyring": kr} {
			got := fmt.Sprintf(verb, v)
			if strings.Contains(got, fmt.Sprintf("%x", k.Secret)) || strings.Contains(got, string(k.Secret)) ||
				strings.Contains(got, fmt.Sprint(k.Secret)) || strings.Contains(got, fmt.Sprintf("% x", k.Secret)) {
				t.Errorf("Sprintf(%q, %s) = %q shows the secret", verb, name, got)
			}
		}
	}
	if got, want := kr.String(), `codec.Keyring{current: "2026-11", keys: 1}`; got != want {
		t.Errorf("Keyring.String = %q, want %q", got, want)
	}
}

func TestSealedRefusesToOpen(t *testing.T) {
	in := sample()
	sealer := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, sealKey("k1")))
	av, err := sealer.Encode("session#alice", &in)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		keys *codec.Keyring
		key  string
		av   types.AttributeValue
		want error
	}{
		{"wrong secret under the same ID", mustKeyring(t, codec.Key{ID: "k1", Secret: sealKey("other").Secret}), "session#alice", av, codec.ErrNotAuthentic},
		{"copied to another session", mustKeyring(t, sealKey("k1")), "session#mallory", av, codec.ErrNotAuthentic},
		{"copied under another prefix", mustKeyring(t, sealKey("k1")), "sess:alice", av, codec.ErrNotAuthentic},
		{"key retired", mustKeyring(t, sealKey("k2")), "session#alice", av, codec.ErrUnknownKeyID},
		{"stored as a string", mustKeyring(t, sealKey("k1")), "session#alice", &types.AttributeValueMemberS{Value: string(envelope(t, av))}, codec.ErrUnknownFormat},
		{"plain msgpack", mustKeyring(t, sealKey("k1")), "session#alice", &types.AttributeValueMemberB{Value: []byte{0x80}}, codec.ErrNotAuthentic},
		{"another envelope kind", mustKeyring(t, sealKey("k1")), "session#alice", &types.AttributeValueMemberB{Value: append([]byte{0xC1, 'z'}, envelope(t, av)[2:]...)}, codec.ErrNotAuthentic},
		{"future version", mustKeyring(t, sealKey("k1")), "session#alice", &types.AttributeValueMemberB{Value: append([]byte{0xC1, 'e', 2}, envelope(t, av)[3:]...)}, codec.ErrNotAuthentic},
		{"empty key ID", mustKeyring(t, sealKey("k1")), "session#alice", &types.AttributeValueMemberB{Value: append([]byte{0xC1, 'e', 1, 0}, make([]byte, 40)...)}, codec.ErrNotAuthentic},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := codec.Sealed(codec.Msgpack[profile](), tt.keys)
			var out profile
			err := c.Decode(tt.key, tt.av, &out)
			if !errors.Is(err, tt.want) {
				t.Fatalf("Decode = %v, want %v", err, tt.want)
			}
			if diff := cmp.Diff(profile{}, out, cmpopts.IgnoreUnexported(profile{})); diff != "" {
				t.Errorf("a refused Decode filled the value (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSealedRotation(t *testing.T) {
	old, next := sealKey("2026-05"), sealKey("2026-11")
	before := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, old))
	// Step 1 of a rotation: the new key is known everywhere, not yet used.
	during := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, old, next))
	// Step 2: the new key is current, the old one still opens.
	after := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, next, old))
	// Step 3, once the TTL has passed: the old key is retired.
	retired := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, next))

	in := sample()
	oldRecord, _ := before.Encode("session#a", &in)
	newRecord, _ := after.Encode("session#b", &in)
	if id := string(envelope(t, oldRecord)[4:11]); id != old.ID {
		t.Fatalf("old record sealed under %q", id)
	}
	if id := string(envelope(t, newRecord)[4:11]); id != next.ID {
		t.Fatalf("a record written after rotation is sealed under %q, want %q", id, next.ID)
	}
	tests := []struct {
		name   string
		c      codec.Codec[profile]
		key    string
		record types.AttributeValue
		want   error
	}{
		{"before opens old", before, "session#a", oldRecord, nil},
		{"before cannot open new", before, "session#b", newRecord, codec.ErrUnknownKeyID},
		{"during opens old", during, "session#a", oldRecord, nil},
		{"during opens new", during, "session#b", newRecord, nil},
		{"after opens old", after, "session#a", oldRecord, nil},
		{"after opens new", after, "session#b", newRecord, nil},
		{"retired cannot open old", retired, "session#a", oldRecord, codec.ErrUnknownKeyID},
		{"retired opens new", retired, "session#b", newRecord, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out profile
			err := tt.c.Decode(tt.key, tt.record, &out)
			if !errors.Is(err, tt.want) || (tt.want != nil) != (err != nil) {
				t.Fatalf("Decode = %v, want %v", err, tt.want)
			}
			if err == nil && out.User != in.User {
				t.Errorf("opened %q, want %q", out.User, in.User)
			}
		})
	}
}

// TestSealedTamperAnywhere flips every bit of an envelope, one at a time,
// and expects a named error for each: no change to any byte goes unseen.
func TestSealedTamperAnywhere(t *testing.T) {
	kr := mustKeyring(t, sealKey("k1"), sealKey("k0"))
	c := codec.Sealed(codec.Msgpack[profile](), kr)
	in := sample()
	av, _ := c.Encode("session#abc", &in)
	env := envelope(t, av)
	const hdr = 4 + len("k1")
	for i := range env {
		for bit := range 8 {
			bad := bytes.Clone(env)
			bad[i] ^= 1 << bit
			var want []error
			switch {
			case i <= 2: // marker, kind, version
				want = []error{codec.ErrNotAuthentic}
			case i == 3: // key-ID length: a shorter or longer ID, or none
				want = []error{codec.ErrNotAuthentic, codec.ErrUnknownKeyID}
			case i < hdr: // the key ID: "k0" is a known key, but not this one
				want = []error{codec.ErrUnknownKeyID, codec.ErrNotAuthentic}
			default: // nonce, ciphertext, tag
				want = []error{codec.ErrNotAuthentic}
			}
			var out profile
			err := c.Decode("session#abc", &types.AttributeValueMemberB{Value: bad}, &out)
			if !isAny(err, want...) {
				t.Fatalf("byte %d bit %d flipped: Decode = %v, want one of %v", i, bit, err, want)
			}
		}
	}
}

func TestSealedTruncated(t *testing.T) {
	c := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, sealKey("k1")))
	in := sample()
	av, _ := c.Encode("session#abc", &in)
	env := envelope(t, av)
	const shortest = 4 + len("k1") + 12 + 16
	for n := range len(env) {
		var out profile
		err := c.Decode("session#abc", &types.AttributeValueMemberB{Value: env[:n]}, &out)
		want := codec.ErrNotAuthentic
		if n < shortest {
			want = codec.ErrNotAuthentic
		}
		if !errors.Is(err, want) {
			t.Fatalf("first %d of %d bytes: Decode = %v, want %v", n, len(env), err, want)
		}
	}
	// Bytes appended after the tag are tampering too.
	long := append(bytes.Clone(env), 0)
	if err := c.Decode("session#abc", &types.AttributeValueMemberB{Value: long}, new(profile)); !errors.Is(err, codec.ErrNotAuthentic) {
		t.Errorf("one byte appended: Decode = %v, want ErrNotAuthentic", err)
	}
}

func TestSealedDecodeLeavesStoredBytes(t *testing.T) {
	c := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, sealKey("k1")))
	in := sample()
	av, _ := c.Encode("session#abc", &in)
	before := bytes.Clone(envelope(t, av))
	var out profile
	if err := c.Decode("session#abc", av, &out); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, envelope(t, av)) {
		t.Fatal("Decode changed the stored bytes")
	}
}

// payloadSealer is a sealed codec with the methods a repository reaches
// by type assertion to keep a session's plaintext (session.go declares the
// same interface as payloadCodec).
type payloadSealer[T any] interface {
	codec.Codec[T]
	DecodePayload(key string, av types.AttributeValue, v *T) ([]byte, error)
	EncodePayload(v *T) ([]byte, error)
	WrapPayload(key string, payload []byte) types.AttributeValue
	SamePayload(a, b []byte) bool
}

// TestSealedPayloads: the plaintext DecodePayload keeps is the inner
// codec's bytes, shares no memory with the stored value, and is kept only
// for a value that opens and decodes; WrapPayload seals it for the given
// key, under the current key and a fresh nonce every time, never the
// nonce of the envelope it came from.
func TestSealedPayloads(t *testing.T) {
	k1, k2 := sealKey("k1"), sealKey("k2")
	const key = "session#abc"
	in := sample()
	plain, err := codec.Msgpack[profile]().Marshal(&in)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, k1)).Encode(key, &in)
	if err != nil {
		t.Fatal(err)
	}
	storedBytes := bytes.Clone(envelope(t, stored))
	rotated := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, k2, k1)).(payloadSealer[profile])

	t.Run("decode keeps the plaintext", func(t *testing.T) {
		var out profile
		kept, err := rotated.DecodePayload(key, stored, &out)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(plain, kept); diff != "" {
			t.Errorf("kept payload mismatch (-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(in, out, timeEqual, cmpopts.IgnoreUnexported(profile{})); diff != "" {
			t.Errorf("decoded mismatch (-want +got):\n%s", diff)
		}
		// Bounded by what is stored: the envelope less its 32 bytes of
		// header, nonce and tag and the 2-byte key ID.
		if bound := len(storedBytes) - 32 - len(k1.ID); cap(kept) > bound {
			t.Errorf("kept payload holds %d bytes (capacity), want at most the %d the envelope seals", cap(kept), bound)
		}
		clear(kept)
		if !bytes.Equal(storedBytes, envelope(t, stored)) {
			t.Error("the kept payload shares memory with the stored value")
		}
	})

	t.Run("fresh nonce under the current key", func(t *testing.T) {
		kept, err := rotated.DecodePayload(key, stored, new(profile))
		if err != nil {
			t.Fatal(err)
		}
		nonces := map[string]bool{string(storedBytes[6:18]): true}
		for range 50 {
			env := envelope(t, rotated.WrapPayload(key, kept))
			if id := string(env[4:6]); id != k2.ID {
				t.Fatalf("wrapped under key %q, want the current %q", id, k2.ID)
			}
			if nonce := string(env[6:18]); nonces[nonce] {
				t.Fatalf("nonce % x used twice (the stored envelope's or an earlier wrap's)", nonce)
			} else {
				nonces[nonce] = true
			}
			var out profile
			if err := codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, k2)).Decode(key, &types.AttributeValueMemberB{Value: env}, &out); err != nil {
				t.Fatalf("a wrapped payload does not open with the current key: %v", err)
			}
		}
	})

	t.Run("wrap binds the session key", func(t *testing.T) {
		av := rotated.WrapPayload(key, plain)
		if err := rotated.Decode("session#mallory", av, new(profile)); !errors.Is(err, codec.ErrNotAuthentic) {
			t.Fatalf("Decode under another key = %v, want ErrNotAuthentic", err)
		}
	})

	t.Run("nothing kept from what does not decode", func(t *testing.T) {
		tampered := bytes.Clone(storedBytes)
		tampered[len(tampered)-1] ^= 1
		garbage := codec.Sealed(rawCodec{}, mustKeyring(t, k1)).(payloadSealer[rawPayload]).WrapPayload(key, []byte("\xdd\xff\xff\xff\xff"))
		tests := []struct {
			name string
			c    payloadSealer[profile]
			key  string
			av   types.AttributeValue
			want error
		}{
			{"key retired", codec.Sealed(codec.Msgpack[profile](), mustKeyring(t, k2)).(payloadSealer[profile]), key, stored, codec.ErrUnknownKeyID},
			{"tampered", rotated, key, &types.AttributeValueMemberB{Value: tampered}, codec.ErrNotAuthentic},
			{"copied to another session", rotated, "session#mallory", stored, codec.ErrNotAuthentic},
			{"malformed plaintext", rotated, key, garbage, codec.ErrMalformedMsgpack},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				kept, err := tt.c.DecodePayload(tt.key, tt.av, new(profile))
				if !errors.Is(err, tt.want) || kept != nil {
					t.Fatalf("DecodePayload = %d bytes, %v; want none, %v", len(kept), err, tt.want)
				}
			})
		}
	})

	t.Run("same payload", func(t *testing.T) {
		c := codec.Sealed(codec.Msgpack[map[string]int](), mustKeyring(t, k1)).(payloadSealer[map[string]int])
		ab := []byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x02} // {"a":1,"b":2}
		ba := []byte{0x82, 0xa1, 'b', 0x02, 0xa1, 'a', 0x01} // the same, entries swapped
		ab3 := []byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'b', 0x03}
		tests := []struct {
			name string
			a, b []byte
			want bool
		}{
			{"equal bytes", ab, ab, true},
			{"map entries in another order", ab, ba, true},
			{"another value", ab, ab3, false},
			{"malformed", ab, ab[:5], false},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if got := c.SamePayload(tt.a, tt.b); got != tt.want {
					t.Errorf("SamePayload = %v, want %v", got, tt.want)
				}
			})
		}
	})
}

// sharedPayload is a session that is its own bytes, with an inner codec
// of another package that shares memory with it both ways: Marshal returns
// the session's own slice and Unmarshal keeps its input, as such codecs
// may.
type sharedPayload []byte

type sharingCodec struct{}

func (sharingCodec) Format() codec.Format                          { return "shared" }
func (sharingCodec) Marshal(v *sharedPayload) ([]byte, error)      { return *v, nil }
func (sharingCodec) Unmarshal(data []byte, v *sharedPayload) error { *v = data; return nil }
func (c sharingCodec) Encode(_ string, v *sharedPayload) (types.AttributeValue, error) {
	return &types.AttributeValueMemberB{Value: *v}, nil
}
func (c sharingCodec) Decode(_ string, av types.AttributeValue, v *sharedPayload) error {
	return c.Unmarshal(av.(*types.AttributeValueMemberB).Value, v)
}

// TestSealedPayloadsOwnTheirBytes: the payloads of a sealed codec around
// an inner codec of another package are copies, so that a change made in
// place to the session's data is not made to the payload kept to detect
// it as well.
func TestSealedPayloadsOwnTheirBytes(t *testing.T) {
	const key = "session#abc"
	c := codec.Sealed[sharedPayload](sharingCodec{}, mustKeyring(t, sealKey("k1"))).(payloadSealer[sharedPayload])
	t.Run("encoded", func(t *testing.T) {
		v := sharedPayload("ada")
		kept, err := c.EncodePayload(&v)
		if err != nil {
			t.Fatal(err)
		}
		v[0] = 'z'
		if string(kept) != "ada" {
			t.Errorf("kept %q after a change in place, want \"ada\"", kept)
		}
	})
	t.Run("decoded", func(t *testing.T) {
		var v sharedPayload
		kept, err := c.DecodePayload(key, c.WrapPayload(key, []byte("ada")), &v)
		if err != nil {
			t.Fatal(err)
		}
		v[0] = 'z'
		if string(kept) != "ada" {
			t.Errorf("kept %q after a change in place, want \"ada\"", kept)
		}
	})
}

func isAny(err error, targets ...error) bool {
	for _, t := range targets {
		if errors.Is(err, t) {
			return true
		}
	}
	return false
}

// sealedCart is the session of the repository tests.
type sealedCart struct {
	User  string   `json:"user"`
	Items []string `json:"items"`
}

func newSealedTable(t testing.TB) *fake.DB {
	t.Helper()
	db := fake.New()
	_, err := db.CreateTable(context.Background(), &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func sealedRepo(t testing.TB, db *fake.DB, c codec.Codec[sealedCart], readers ...codec.Codec[sealedCart]) *dynamosession.Repo[sealedCart] {
	t.Helper()
	r, err := dynamosession.New[sealedCart](db, "sessions", func(o *dynamosession.Options[sealedCart]) {
		o.Codec = c
		o.Readers = readers
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func rawItem(t testing.TB, db *fake.DB, key string) map[string]types.AttributeValue {
	t.Helper()
	item, ok := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: key}})
	if !ok {
		t.Fatalf("no item %q", key)
	}
	return item
}

// TestSealedThroughRepo runs the sealed codec as a repository's codec:
// what is stored, a record copied to another ID, rotation, and moving a
// table into and out of encryption.
func TestSealedThroughRepo(t *testing.T) {
	ctx := context.Background()
	db := newSealedTable(t)
	oldKey, newKey := sealKey("2026-05"), sealKey("2026-11")
	v1 := sealedRepo(t, db, codec.Sealed(codec.Msgpack[sealedCart](), mustKeyring(t, oldKey)))
	v2 := sealedRepo(t, db, codec.Sealed(codec.Msgpack[sealedCart](), mustKeyring(t, newKey, oldKey)))
	retired := sealedRepo(t, db, codec.Sealed(codec.Msgpack[sealedCart](), mustKeyring(t, newKey)))

	if _, err := v1.Put(ctx, "alice", sealedCart{User: "alice", Items: []string{"book"}}); err != nil {
		t.Fatal(err)
	}
	stored := rawItem(t, db, "session#alice")
	if got := codecs.Detect(stored["sess"]); got != codec.FormatSealed {
		t.Fatalf("stored format %q, want sealed", got)
	}
	if bytes.Contains(envelope(t, stored["sess"]), []byte("book")) {
		t.Fatal("the stored session is readable without the key")
	}

	t.Run("copied record does not open", func(t *testing.T) {
		copied := map[string]types.AttributeValue{}
		for k, v := range stored {
			copied[k] = v
		}
		copied["id"] = &types.AttributeValueMemberS{Value: "session#mallory"}
		if err := db.PutRaw("sessions", copied); err != nil {
			t.Fatal(err)
		}
		_, err := v1.Get(ctx, "mallory")
		var de *dynamosession.DecodeError
		if !errors.As(err, &de) || !errors.Is(err, codec.ErrNotAuthentic) || !strings.Contains(err.Error(), "(sealed)") {
			t.Fatalf("Get of a copied record = %v, want a *DecodeError wrapping ErrNotAuthentic", err)
		}
		if diff := cmp.Diff(envelope(t, copied["sess"]), envelope(t, rawItem(t, db, "session#mallory")["sess"])); diff != "" {
			t.Errorf("the record changed after a failed decode (-want +got):\n%s", diff)
		}
	})

	t.Run("rotation", func(t *testing.T) {
		s, err := v2.Get(ctx, "alice")
		if err != nil {
			t.Fatalf("the rotated repository cannot read an old record: %v", err)
		}
		if _, err := retired.Get(ctx, "alice"); !errors.Is(err, codec.ErrUnknownKeyID) {
			t.Fatalf("Get with the old key retired = %v, want ErrUnknownKeyID", err)
		}
		s.Data.Items = append(s.Data.Items, "pen")
		if err := v2.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
		if id := string(envelope(t, rawItem(t, db, "session#alice")["sess"])[4:11]); id != newKey.ID {
			t.Fatalf("a record saved after rotation is sealed under %q, want %q", id, newKey.ID)
		}
		got, err := retired.Get(ctx, "alice")
		if err != nil {
			t.Fatalf("a resaved record does not open with the new key alone: %v", err)
		}
		if diff := cmp.Diff([]string{"book", "pen"}, got.Data.Items); diff != "" {
			t.Errorf("mismatch (-want +got):\n%s", diff)
		}
	})

	t.Run("unchanged sealed session is not rewritten", func(t *testing.T) {
		s, err := v2.Get(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		db.ResetStats()
		if err := v2.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
		if n := db.Stats().Calls["UpdateItem"]; n != 0 {
			t.Fatalf("Save of an unchanged sealed session sent %d writes, want 0", n)
		}
	})

	t.Run("into encryption", func(t *testing.T) {
		plain := sealedRepo(t, db, codec.Msgpack[sealedCart]())
		if _, err := plain.Put(ctx, "bob", sealedCart{User: "bob"}); err != nil {
			t.Fatal(err)
		}
		s, err := v2.Get(ctx, "bob") // plain formats stay readable
		if err != nil {
			t.Fatal(err)
		}
		s.Data.Items = []string{"lamp"}
		if err := v2.Save(ctx, s); err != nil {
			t.Fatal(err)
		}
		if got := codecs.Detect(rawItem(t, db, "session#bob")["sess"]); got != codec.FormatSealed {
			t.Fatalf("after Save the record is %q, want sealed", got)
		}
	})

	t.Run("out of encryption", func(t *testing.T) {
		// A repository that writes plain MessagePack again still reads
		// sealed records when the sealed codec is among its Readers.
		plain := sealedRepo(t, db, codec.Msgpack[sealedCart](), codec.Sealed(codec.Msgpack[sealedCart](), mustKeyring(t, newKey)))
		s, err := plain.Get(ctx, "bob")
		if err != nil || s.Format() != codec.FormatSealed {
			t.Fatalf("Get = %v, %v; want a sealed session", s, err)
		}
		noKeys := sealedRepo(t, db, codec.Msgpack[sealedCart]())
		if _, err := noKeys.Get(ctx, "bob"); !errors.Is(err, codec.ErrUnknownFormat) {
			t.Fatalf("Get without the sealed codec = %v, want ErrUnknownFormat", err)
		}
	})
}

// rawPayload is a session that is its own bytes, so the fuzz targets test
// the sealing alone, not an inner codec.
type rawPayload struct{ B []byte }

type rawCodec struct{}

func (rawCodec) Format() codec.Format { return "raw" }
func (rawCodec) Marshal(v *rawPayload) ([]byte, error) {
	return bytes.Clone(v.B), nil
}
func (rawCodec) Unmarshal(data []byte, v *rawPayload) error {
	v.B = bytes.Clone(data)
	return nil
}
func (c rawCodec) Encode(_ string, v *rawPayload) (types.AttributeValue, error) {
	b, err := c.Marshal(v)
	return &types.AttributeValueMemberB{Value: b}, err
}
func (c rawCodec) Decode(_ string, av types.AttributeValue, v *rawPayload) error {
	b, ok := av.(*types.AttributeValueMemberB)
	if !ok {
		return codec.ErrUnknownFormat
	}
	return c.Unmarshal(b.Value, v)
}

// fuzzSealed is the codec of the fuzz targets: current key "k1", and "k0"
// from before a rotation.
func fuzzSealed(t testing.TB) codec.Codec[rawPayload] {
	return codec.Sealed[rawPayload](rawCodec{}, mustKeyring(t, sealKey("k1"), sealKey("k0")))
}

// sealCorpus lists the checked-in seeds of FuzzSealedDecode by file name.
// Valid ones are sealed for their key by the current or the previous key
// of fuzzSealed; they double as a check that envelopes written by an
// earlier build still open.
func sealCorpus(t testing.TB) map[string]struct {
	env []byte
	key string
} {
	c := fuzzSealed(t)
	oldOnly := codec.Sealed[rawPayload](rawCodec{}, mustKeyring(t, sealKey("k0")))
	seal := func(c codec.Codec[rawPayload], key, plain string) []byte {
		av, err := c.Encode(key, &rawPayload{B: []byte(plain)})
		if err != nil {
			t.Fatal(err)
		}
		return envelope(t, av)
	}
	valid := seal(c, "session#abc", `{"user":"ada"}`)
	type seed = struct {
		env []byte
		key string
	}
	return map[string]seed{
		"valid-current":  {valid, "session#abc"},
		"valid-previous": {seal(oldOnly, "sess:xyz", "\x81\xa4user\xa3ada"), "sess:xyz"},
		"valid-empty":    {seal(c, "", ""), ""},
		"copied":         {valid, "session#other"},
		"truncated":      {valid[:len(valid)-1], "session#abc"},
		"header-only":    {valid[:6], "session#abc"},
		"unknown-key":    {append([]byte{0xC1, 'e', 1, 2, 'k', '9'}, valid[6:]...), "session#abc"},
		"long-key-id":    {append([]byte{0xC1, 'e', 1, 255}, valid[4:]...), "session#abc"},
		"version-2":      {append([]byte{0xC1, 'e', 2}, valid[3:]...), "session#abc"},
		"plain-msgpack":  {[]byte{0x81, 0xa4, 'u', 's', 'e', 'r', 0xa3, 'a', 'd', 'a'}, "session#abc"},
		"empty":          {nil, ""},
	}
}

// TestSealedCorpus checks the checked-in seeds; -update writes the ones
// missing and never rewrites one (see golden.Seed). The valid seeds must
// still open: a layout change that cannot read them would lock every user
// out of their sessions.
func TestSealedCorpus(t *testing.T) {
	dir := filepath.Join("testdata", "fuzz", "FuzzSealedDecode")
	seeds := sealCorpus(t)
	for name, s := range seeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nstring(%s)\n", strconv.Quote(string(s.env)), strconv.Quote(s.key))
		golden.Seed(t, filepath.Join(dir, name), []byte(body))
	}
	c := fuzzSealed(t)
	for name := range seeds {
		t.Run(name, func(t *testing.T) {
			env, key := readSealSeed(t, filepath.Join(dir, name))
			var out rawPayload
			err := c.Decode(key, &types.AttributeValueMemberB{Value: env}, &out)
			if valid := strings.HasPrefix(name, "valid-"); valid != (err == nil) {
				t.Fatalf("Decode = %v; the seed is valid: %v", err, valid)
			}
		})
	}
}

// readSealSeed parses a corpus file in the `go test fuzz v1` format.
func readSealSeed(t *testing.T, path string) ([]byte, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./codec -run TestSealedCorpus -update)", err)
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if len(lines) != 3 || lines[0] != "go test fuzz v1" {
		t.Fatalf("%s: not a two-value corpus file", path)
	}
	arg := func(line, prefix string) string {
		s, err := strconv.Unquote(strings.TrimSuffix(strings.TrimPrefix(line, prefix+"("), ")"))
		if err != nil {
			t.Fatalf("%s: %q: %v", path, line, err)
		}
		return s
	}
	return []byte(arg(lines[1], "[]byte")), arg(lines[2], "string")
}

// FuzzSealedDecode feeds arbitrary envelopes and keys to Decode: it must
// never panic, never change its input, fail only with the package's named
// errors, and open nothing that was not sealed for the key it is given.
func FuzzSealedDecode(f *testing.F) {
	for _, s := range sealCorpus(f) {
		f.Add(s.env, s.key)
	}
	c := fuzzSealed(f)
	f.Fuzz(func(t *testing.T, env []byte, key string) {
		before := bytes.Clone(env)
		av := &types.AttributeValueMemberB{Value: env}
		var out rawPayload
		err := c.Decode(key, av, &out)
		if !bytes.Equal(before, env) {
			t.Fatal("Decode changed its input")
		}
		if err != nil {
			if !isAny(err, codec.ErrNotAuthentic, codec.ErrUnknownKeyID, codec.ErrNotAuthentic) {
				t.Fatalf("Decode = %v, not a named error", err)
			}
			return
		}
		if err := c.Decode(key+"x", av, &out); !errors.Is(err, codec.ErrNotAuthentic) {
			t.Fatalf("an envelope that opens for %q opens for %q too: %v", key, key+"x", err)
		}
	})
}

// FuzzSealedRoundTrip seals arbitrary payloads for arbitrary keys: they
// must open for that key, and for no other.
func FuzzSealedRoundTrip(f *testing.F) {
	f.Add([]byte(`{"user":"ada"}`), "session#abc", "session#abd")
	f.Add([]byte{}, "", "x")
	f.Add([]byte{0xC1, 'e', 1}, "sess:\xff", "sess:")
	c := fuzzSealed(f)
	f.Fuzz(func(t *testing.T, plain []byte, key, other string) {
		av, err := c.Encode(key, &rawPayload{B: plain})
		if err != nil {
			t.Fatal(err)
		}
		var out rawPayload
		if err := c.Decode(key, av, &out); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(plain, out.B) {
			t.Fatalf("round trip = %q, want %q", out.B, plain)
		}
		if other != key {
			if err := c.Decode(other, av, &out); !errors.Is(err, codec.ErrNotAuthentic) {
				t.Fatalf("sealed for %q, Decode for %q = %v; want ErrNotAuthentic", key, other, err)
			}
		}
	})
}

// ExampleSealed encrypts sessions at rest, bound to their IDs, with a key
// rotation in the middle.
func ExampleSealed() {
	ctx := context.Background()
	db := fake.New()
	_, _ = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:            aws.String("sessions"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
	})
	type Cart struct {
		User string `json:"user"`
	}
	// In production each Secret is 32 bytes from crypto/rand or a KMS data
	// key (see Sealed), loaded at startup.
	may, nov := sealKey("2026-05"), sealKey("2026-11")
	repoWith := func(current codec.Key, previous ...codec.Key) *dynamosession.Repo[Cart] {
		keys, err := codec.NewKeyring(current, previous...)
		if err != nil {
			panic(err)
		}
		sealed := codec.Sealed[Cart](codec.Msgpack[Cart](), keys)
		repo, err := dynamosession.New[Cart](db, "sessions", func(o *dynamosession.Options[Cart]) { o.Codec = sealed })
		if err != nil {
			panic(err)
		}
		return repo
	}

	before := repoWith(may)
	_, _ = before.Put(ctx, "alice", Cart{User: "alice"})

	after := repoWith(nov, may) // rotated: seal with November's key, open May's too
	s, err := after.Get(ctx, "alice")
	fmt.Println(s.Data.User, s.Format(), err)

	// Someone with write access to the table copies alice's record to
	// another session ID: it does not open there.
	item, _ := db.Item("sessions", map[string]types.AttributeValue{"id": &types.AttributeValueMemberS{Value: "session#alice"}})
	item["id"] = &types.AttributeValueMemberS{Value: "session#mallory"}
	_ = db.PutRaw("sessions", item)
	_, err = after.Get(ctx, "mallory")
	fmt.Println(errors.Is(err, codec.ErrNotAuthentic))
	// Output:
	// alice sealed <nil>
	// true
}

// BenchmarkSealed measures what sealing adds to the MessagePack codec it
// wraps, per Encode and per Decode of the sample session.
func BenchmarkSealed(b *testing.B) {
	in := sample()
	codecs := map[string]codec.Codec[profile]{
		"msgpack":        codec.Msgpack[profile](),
		"sealed-msgpack": codec.Sealed[profile](codec.Msgpack[profile](), mustKeyring(b, sealKey("2026-11"))),
	}
	for name, c := range codecs {
		av, err := c.Encode("session#abc", &in)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(name+"/encode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := c.Encode("session#abc", &in); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(name+"/decode", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var out profile
				if err := c.Decode("session#abc", av, &out); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
