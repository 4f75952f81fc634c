package codec

import (
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/wire"
)

// Reseal reports whether stored, a sealed value of the session key key,
// was sealed under a key other than the keyring's current one, and if so
// returns the same plaintext sealed under the current key. It opens and
// seals bytes only: the data is not decoded, so it comes out exactly as it
// went in. A repository calls it at a due touch, so that once the TTL has
// passed since a key stopped being current no live session is sealed with
// it and the key can be dropped, as [NewKeyring] describes. It returns the
// errors of opening (such as [ErrUnknownKeyID] or [ErrNotAuthentic]) for a
// value it cannot open.
func (c *sealer[T]) Reseal(key string, stored types.AttributeValue) (types.AttributeValue, bool, error) {
	b, ok := stored.(*types.AttributeValueMemberB)
	if !ok {
		return nil, false, fmt.Errorf("codec: reseal: %w", wrongType("B", stored))
	}
	plain, err := c.open(key, b.Value)
	if err != nil {
		return nil, false, err
	}
	// open checked the header, so the key ID is there.
	if string(b.Value[sealFixedBytes:sealFixedBytes+int(b.Value[3])]) == c.keys.current {
		return stored, false, nil
	}
	return &types.AttributeValueMemberB{Value: c.seal(key, plain)}, true, nil
}

// seal returns plain sealed under the current key for key, in the
// envelope layout of [Sealed].
func (c *sealer[T]) seal(key string, plain []byte) []byte {
	id := c.keys.current
	aead := c.keys.aeads[id]
	hdr := sealFixedBytes + len(id)
	out := make([]byte, hdr, hdr+aead.Overhead()+len(plain))
	out[0], out[1], out[2], out[3] = wire.EnvelopeMarker, wire.SealedKind, sealVersion, byte(len(id))
	copy(out[sealFixedBytes:], id)
	return aead.Seal(out, nil, plain, sealAAD(out[:hdr], key))
}
