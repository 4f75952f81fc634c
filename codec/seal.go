package codec

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"errors"
	"fmt"
	"reflect"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/wire"
)

// The envelope of a sealed session; see [Sealed] for the layout.
const sealVersion byte = 1

const (
	sealFixedBytes = 4  // marker, kind, version, key-ID length
	sealNonceBytes = 12 // GCM's standard nonce, which NewGCMWithRandomNonce draws
	sealTagBytes   = 16
)

// keyBytes is the size of a [Key]'s Secret: AES-256 takes 32 bytes.
const keyBytes = 32

// Errors of [Sealed] and [NewKeyring], checked with errors.Is. A repository
// wraps decoding errors in its own *DecodeError, which unwraps to these.
var (
	// ErrInvalidKey reports a key NewKeyring refuses: a secret that is not
	// exactly 32 bytes, an empty key ID or one over 255 bytes, or a key ID
	// given twice.
	ErrInvalidKey = errors.New("codec: invalid encryption key")

	// ErrUnknownKeyID reports a sealed session whose key ID the keyring does
	// not hold: it was sealed with a key that has been retired, or that this
	// process was not given yet.
	ErrUnknownKeyID = errors.New("codec: session sealed with an unknown key ID")

	// ErrNotAuthentic reports a sealed session that does not open: the key
	// under its key ID is not the one it was sealed with, a byte was
	// changed, or the record was sealed for another session key (a record
	// copied to another ID); or bytes that are not a sealed envelope this
	// version reads at all (too short, a wrong marker or kind, an unknown
	// layout version, a key-ID length that overruns the payload). Whoever
	// can write to the table can produce either by changing one byte or
	// another, so one error reports both.
	ErrNotAuthentic = errors.New("codec: sealed session failed authentication")
)

// A Key is one AES-256 key and the ID under which sealed sessions name it.
//
// The ID is stored in every envelope, in clear, so that any key the
// keyring still holds can open what it sealed: choose IDs that say nothing
// secret ("2026-11", a KMS key version). The Secret must be 32 bytes from a
// cryptographic source: crypto/rand, or a data key from a key-management
// service (see [Sealed]). The ID is 1 to 255 bytes: its length is stored
// in one byte of the envelope.
type Key struct {
	ID     string
	Secret []byte
}

// String describes k without its secret, so that a Key printed into a log
// by mistake does not leak.
func (k Key) String() string {
	return fmt.Sprintf("codec.Key{ID: %q, Secret: <%d bytes redacted>}", k.ID, len(k.Secret))
}

// GoString is String, for %#v.
func (k Key) GoString() string { return k.String() }

// A Keyring holds the key a [Sealed] codec encrypts with, and every key it
// may decrypt with. Create it with [NewKeyring]; the zero Keyring holds no key
// and [Sealed] refuses it. A Keyring keeps no reference to the callers'
// secret slices, is immutable and is safe for concurrent use; rotate keys
// by building a new one.
type Keyring struct {
	current string
	aeads   map[string]cipher.AEAD
}

// NewKeyring returns a keyring that seals with current and opens what
// current or any of previous sealed. It returns an error wrapping
// [ErrInvalidKey] for a secret that is not 32 bytes long, an empty key ID
// or one longer than 255 bytes, and a key ID given twice (two
// secrets under one ID would make some records unreadable).
//
// Rotating keys in a fleet takes two deployments: first add the new key to
// previous everywhere, so every process can open it, then make it current.
// Keep an old key among previous until no live session can still be sealed
// with it: that is the repository's TTL after the switch.
func NewKeyring(current Key, previous ...Key) (*Keyring, error) {
	kr := &Keyring{current: current.ID, aeads: make(map[string]cipher.AEAD, 1+len(previous))}
	for _, k := range append([]Key{current}, previous...) {
		switch {
		case k.ID == "":
			return nil, fmt.Errorf("%w: empty key ID", ErrInvalidKey)
		case len(k.ID) > wire.MaxKeyIDBytes:
			return nil, fmt.Errorf("%w: key ID is %d bytes, at most %d fit an envelope", ErrInvalidKey, len(k.ID), wire.MaxKeyIDBytes)
		case len(k.Secret) != keyBytes:
			return nil, fmt.Errorf("%w: key %q is %d bytes, AES-256 needs %d", ErrInvalidKey, k.ID, len(k.Secret), keyBytes)
		}
		if _, dup := kr.aeads[k.ID]; dup {
			return nil, fmt.Errorf("%w: key ID %q given twice", ErrInvalidKey, k.ID)
		}
		block, err := aes.NewCipher(k.Secret)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrInvalidKey, k.ID, err)
		}
		// NewGCMWithRandomNonce draws each 96-bit nonce from crypto/rand
		// itself, so no code path here can reuse one, and it is the GCM
		// constructor that Go's FIPS 140-only mode allows.
		aead, err := cipher.NewGCMWithRandomNonce(block)
		if err != nil {
			return nil, fmt.Errorf("%w: key %q: %v", ErrInvalidKey, k.ID, err)
		}
		kr.aeads[k.ID] = aead
	}
	return kr, nil
}

// String describes the keyring by the ID of the key new sessions are
// sealed with and its number of keys.
func (kr *Keyring) String() string {
	return "codec.Keyring{current: " + strconv.Quote(kr.current) + ", keys: " + strconv.Itoa(len(kr.aeads)) + "}"
}

// GoString is String, for %#v.
func (kr *Keyring) GoString() string { return kr.String() }

// Sealed returns a codec that encrypts the bytes of inner with AES-256-GCM
// under keys, so that whoever can read the table (a backup, an export, a
// console user, a stolen credential with GetItem) sees the session's
// length and expiry but not its contents. inner is typically [Msgpack],
// the smallest, or a [Compressed] codec around it (compress first:
// ciphertext does not compress). Changing inner later makes existing
// sealed sessions unreadable, because the envelope does not record which
// codec produced the bytes it holds. A nil inner codec or a keyring not
// made by [NewKeyring] panics, as a programming error.
//
// Every write draws a fresh random nonce, so equal sessions seal to
// different bytes; a repository therefore keeps the plaintext it opened
// when it read a session (the data it already holds decoded, in another
// form) and compares the fresh plaintext with it on Save, sealing only
// when the data changed: an unchanged session costs no write and no
// decryption. Each sealed session is
// bound to its stored key (prefix and session ID) as associated data: a
// record copied to another session's key fails to open with
// [ErrNotAuthentic] instead of logging someone in as its owner.
//
// Encryption hides contents; it does not stop someone who can write to the
// table from deleting sessions or from storing a plain Map, JSON or
// MessagePack record, which a repository reads as well (that is how a
// table migrates into encryption). Grant write access accordingly.
//
// Random 96-bit nonces allow about 2^32 writes per key before a nonce
// collision becomes a real risk: rotate the current key well before then.
// 2^32 writes in a year is 136 a second, so a busy table wants a rotation
// every few months, not every few years.
//
// # Envelope layout
//
// A sealed session is a B attribute holding, in version 1:
//
//	offset  size  field
//	0       1     0xC1, the envelope marker
//	1       1     'e', the envelope kind of sealed sessions
//	2       1     1, the layout version
//	3       1     n, the length of the key ID, 1 to 255
//	4       n     the key ID, the bytes of Key.ID
//	4+n     12    the GCM nonce, random for every write
//	16+n    m+16  the AES-256-GCM ciphertext of the inner codec's m bytes,
//	              then the 16-byte authentication tag
//
// The associated data authenticated with the ciphertext is bytes 0 to 4+n
// (the header) followed by the stored key (prefix and session ID), so the
// key ID and version are tamper-evident too. The overhead is 32 bytes plus
// the length of the key ID.
//
// # Keys from AWS KMS (envelope encryption)
//
// This package takes raw keys and does not depend on any key service. With
// AWS KMS, the usual pattern is envelope encryption:
//
//  1. Once per key (at rotation), call KMS GenerateDataKey with
//     KeySpec AES_256 on your KMS key. Store the returned CiphertextBlob
//     (the encrypted data key) wherever configuration lives (SSM Parameter
//     Store, a secret, a file in the deployment), beside the key ID you
//     chose for it. Discard the returned Plaintext.
//  2. At process start, call KMS Decrypt on each stored CiphertextBlob
//     (EncryptionContext, if you used one, must match) and pass the 32-byte
//     Plaintext it returns as a [Key]'s Secret to [NewKeyring].
//  3. The process then seals and opens sessions locally, with no KMS call
//     per request: KMS sees one Decrypt per key per process start, and
//     IAM on the KMS key decides which roles can read sessions at all.
//
// Rotation is a new data key under a new ID (step 1), added as previous
// and then made current, as [NewKeyring] describes. A repository seals a
// session read under an older key again under the current one at its next
// due touch, without decoding it, so that once the TTL has passed since
// the switch no live session is sealed with the old key and it can be
// dropped.
func Sealed[T any](inner Binary[T], keys *Keyring) Codec[T] {
	if inner == nil {
		panic("codec: Sealed: nil inner codec")
	}
	if keys == nil || keys.aeads == nil {
		panic("codec: Sealed: keyring not made by NewKeyring")
	}
	return &sealer[T]{inner: inner, keys: keys, detached: detached(inner)}
}

type sealer[T any] struct {
	inner Binary[T]
	keys  *Keyring
	// detached is detached(inner): a payload of inner's may be kept as it
	// is, with no private copy.
	detached bool
}

// detached reports whether c is made of this package's codecs only, whose
// Marshal returns bytes of its own and whose Unmarshal copies what it
// keeps. A payload a [sealer] keeps for a repository must share no memory
// with the session's data: a codec of another package may return a slice
// of the value it encodes (a T that is a []byte) or decode into a slice of
// its input, and a change made in place to the data would then change the
// kept payload too and look like no change at all.
func detached[T any](c Binary[T]) bool {
	switch c := c.(type) {
	case msgpackCodec[T], jsonCodec[T]:
		return true
	case *compressor[T]:
		// It decodes a payload stored as is by a slice of its input.
		return detached(c.inner)
	}
	return false
}

func (*sealer[T]) Format() Format { return FormatSealed }

func (c *sealer[T]) Encode(key string, v *T) (types.AttributeValue, error) {
	plain, err := c.inner.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &types.AttributeValueMemberB{Value: c.seal(key, plain)}, nil
}

// Decode opens a sealed B attribute with the key its envelope names,
// checking that it was sealed for key, and decodes the plaintext with the
// inner codec. It never changes av.
func (c *sealer[T]) Decode(key string, av types.AttributeValue, v *T) error {
	plain, err := c.openAttr(key, av)
	if err != nil {
		return err
	}
	return c.unmarshal(plain, v)
}

// unmarshal decodes an opened plaintext with the inner codec.
func (c *sealer[T]) unmarshal(plain []byte, v *T) error {
	if err := checkForeign(c.inner, plain); err != nil {
		return fmt.Errorf("codec: sealed decode: %w", err)
	}
	return c.inner.Unmarshal(plain, v)
}

// DecodePayload is Decode, and also returns the opened plaintext: what a
// repository keeps with a session read, so that its Save compares
// plaintexts (SamePayload) instead of opening the stored envelope again,
// and seals (WrapPayload) only when the data changed. The plaintext is
// exactly as long as the inner codec's bytes, 32 bytes and the key ID
// shorter than av's: it shares no memory with av, nor with v (a copy of
// its own when the inner codec is of another package).
//
// It returns the errors of Decode, and no plaintext with them: a session
// that does not open or decode keeps nothing.
func (c *sealer[T]) DecodePayload(key string, av types.AttributeValue, v *T) ([]byte, error) {
	plain, err := c.openAttr(key, av)
	if err != nil {
		return nil, err
	}
	kept := plain
	if !c.detached {
		kept = bytes.Clone(plain) // before Unmarshal can hand plain to v
	}
	if err := c.unmarshal(plain, v); err != nil {
		return nil, err
	}
	return kept, nil
}

// EncodePayload returns v's plaintext, as Encode would seal it: a
// repository compares it with the plaintext it kept from the read (see
// DecodePayload) and seals it (WrapPayload) only when the data changed, so
// the Save of a session opens nothing. It shares no memory with v.
func (c *sealer[T]) EncodePayload(v *T) ([]byte, error) {
	plain, err := c.inner.Marshal(v)
	if err != nil {
		return nil, err
	}
	if !c.detached {
		plain = bytes.Clone(plain)
	}
	return plain, nil
}

// WrapPayload returns the attribute value Encode returns for a plaintext
// from EncodePayload: sealed for the session key key, under the keyring's
// current key and a fresh random nonce, whatever key or nonce the
// session was read with.
func (c *sealer[T]) WrapPayload(key string, plain []byte) types.AttributeValue {
	return &types.AttributeValueMemberB{Value: c.seal(key, plain)}
}

// SamePayload reports whether two plaintexts of the inner codec (from
// EncodePayload or DecodePayload) hold the same data, as SameData compares
// them once opened.
func (c *sealer[T]) SamePayload(a, b []byte) bool {
	if bytes.Equal(a, b) {
		return true
	}
	if pc, ok := c.inner.(payloadComparer); ok {
		return pc.samePayload(a, b)
	}
	// An inner codec of another package: compare what it decodes both
	// to. Both sides go through the same decoding, so what it changes
	// (time zones, integer types in interfaces) changes both alike.
	var x, y T
	if c.inner.Unmarshal(a, &x) != nil || c.inner.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}

// DecodeInto is Decode into ptr, a non-nil pointer to any type; see
// [mapCodec.DecodeInto]. It needs an inner codec of this package: the
// inner codec of another package decodes into a T only.
func (c *sealer[T]) DecodeInto(key string, av types.AttributeValue, ptr any) error {
	inner, ok := c.inner.(intoUnmarshaler)
	if !ok {
		return fmt.Errorf("codec: sealed decode: the inner codec %T cannot decode into %T", c.inner, ptr)
	}
	plain, err := c.openAttr(key, av)
	if err != nil {
		return err
	}
	return inner.unmarshalInto(plain, ptr)
}

// openAttr returns the plaintext of a sealed B attribute, sealed for key.
func (c *sealer[T]) openAttr(key string, av types.AttributeValue) ([]byte, error) {
	b, ok := av.(*types.AttributeValueMemberB)
	if !ok {
		return nil, fmt.Errorf("codec: sealed decode: %w", wrongType("B", av))
	}
	return c.open(key, b.Value)
}

// SameData reports whether two sealed B attributes hold the same data:
// both open for key (with whichever keys of the keyring they name), and
// their plaintexts are equal, or hold the same value as the inner codec
// compares them (MessagePack maps in any order): what a repository asks
// before it saves a session whose encoding has other bytes than the
// stored one, which a fresh nonce always gives.
func (c *sealer[T]) SameData(key string, stored, encoded types.AttributeValue) bool {
	a, b, ok := bothBinary(stored, encoded)
	if !ok {
		return false
	}
	pa, errA := c.open(key, a)
	pb, errB := c.open(key, b)
	return errA == nil && errB == nil && c.SamePayload(pa, pb)
}

func (c *sealer[T]) open(key string, env []byte) ([]byte, error) {
	malformed := func(format string, args ...any) error {
		return fmt.Errorf("%w: malformed envelope: %s", ErrNotAuthentic, fmt.Sprintf(format, args...))
	}
	switch {
	case len(env) < sealFixedBytes:
		return nil, malformed("%d bytes", len(env))
	case env[0] != wire.EnvelopeMarker || env[1] != wire.SealedKind:
		return nil, malformed("starts 0x%02x 0x%02x, want 0x%02x %q", env[0], env[1], wire.EnvelopeMarker, wire.SealedKind)
	case env[2] != sealVersion:
		return nil, malformed("layout version %d, this package reads %d", env[2], sealVersion)
	case env[3] == 0:
		return nil, malformed("empty key ID")
	}
	hdr := sealFixedBytes + int(env[3])
	if len(env) < hdr+sealNonceBytes+sealTagBytes {
		return nil, malformed("%d bytes, too short for a %d-byte key ID, nonce and tag", len(env), env[3])
	}
	id := string(env[sealFixedBytes:hdr])
	aead, ok := c.keys.aeads[id]
	if !ok {
		return nil, fmt.Errorf("%w %q", ErrUnknownKeyID, id)
	}
	// A nil dst makes Open allocate: the stored bytes stay intact, which
	// matters because a repository keeps them as the condition of its
	// writes, and the plaintext shares no memory with them, which matters
	// because a repository keeps it to compare on Save (DecodePayload).
	plain, err := aead.Open(nil, nil, env[hdr:], sealAAD(env[:hdr], key))
	if err != nil {
		return nil, fmt.Errorf("%w (key ID %q)", ErrNotAuthentic, id)
	}
	return plain, nil
}

// sealAAD returns the associated data: the envelope header, then the stored
// key. The header carries its own length, so the concatenation is
// unambiguous. It is a fresh slice: GCM refuses associated data that
// overlaps its output.
func sealAAD(header []byte, key string) []byte {
	aad := make([]byte, 0, len(header)+len(key))
	return append(append(aad, header...), key...)
}
