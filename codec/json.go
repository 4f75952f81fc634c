package codec

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// JSON stores a session as JSON text in a string attribute (S), with
// encoding/json, and writes `type: connect-session` beside it: the record
// format of connect-dynamodb, so a connect-dynamodb app and a Go service can
// share one table (use the prefix `sess:` there).
//
// time.Time fields are RFC 3339 strings with nanoseconds, the same text
// JavaScript's JSON.stringify writes for a Date (which keeps milliseconds).
// The zero value is ready to use.
type JSON[T any] struct {
	// Exclusive declares that only this library writes the table's JSON
	// records (no connect-dynamodb app shares it any more). The encoding is
	// then trusted as canonical: a repository's Save compares bytes only
	// and skips decoding the stored text, which is most of the cost of
	// saving changed data. Leave it false while connect-dynamodb writes the
	// table: its JSON has other key orders and fields.
	Exclusive bool
}

// Canonical reports Exclusive: encoding/json is deterministic (struct
// fields in order, map keys sorted).
func (c JSON[T]) Canonical() bool { return c.Exclusive }

// ConnectSessionType is the value connect-dynamodb writes in its `type`
// attribute.
const ConnectSessionType = "connect-session"

var connectTypeAttrs = map[string]types.AttributeValue{
	"type": &types.AttributeValueMemberS{Value: ConnectSessionType},
}

// Format reports [FormatJSON].
func (JSON[T]) Format() Format { return FormatJSON }

// Marshal returns v as JSON text.
func (JSON[T]) Marshal(v *T) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("codec: json encode: %w", err)
	}
	return b, nil
}

// Unmarshal fills v from JSON text.
func (JSON[T]) Unmarshal(data []byte, v *T) error {
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("codec: json decode: %w", err)
	}
	return nil
}

// Encode returns v as an S attribute holding JSON text.
func (c JSON[T]) Encode(_ string, v *T) (types.AttributeValue, error) {
	b, err := c.Marshal(v)
	if err != nil {
		return nil, err
	}
	return &types.AttributeValueMemberS{Value: string(b)}, nil
}

// Decode fills v from an S attribute holding JSON text.
func (c JSON[T]) Decode(_ string, av types.AttributeValue, v *T) error {
	s, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return fmt.Errorf("codec: json decode: %w", wrongType("S", av))
	}
	return c.Unmarshal([]byte(s.Value), v)
}

// ExtraAttributes returns `type: connect-session`, which connect-dynamodb
// writes with every session. The returned map must not be modified.
func (JSON[T]) ExtraAttributes() map[string]types.AttributeValue { return connectTypeAttrs }
