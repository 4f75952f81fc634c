package codec_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
)

// resealer is a sealed codec with the method a repository's due touch
// reaches by type assertion (session.go declares the same interface).
type resealer interface {
	codec.Codec[profile]
	Reseal(key string, stored types.AttributeValue) (types.AttributeValue, bool, error)
}

func TestReseal(t *testing.T) {
	k1, k2 := sealKey("k1"), sealKey("k2")
	old := codec.Sealed[profile](codec.Msgpack[profile](), mustKeyring(t, k1))
	rotated := codec.Sealed[profile](codec.Msgpack[profile](), mustKeyring(t, k2, k1)).(resealer)
	onlyNew := codec.Sealed[profile](codec.Msgpack[profile](), mustKeyring(t, k2))
	const key = "session#abc"
	in := profile{User: "ada", Tags: []string{"x"}}
	sealedOld, err := old.Encode(key, &in)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("sealed under a previous key", func(t *testing.T) {
		av, stale, err := rotated.Reseal(key, sealedOld)
		if err != nil || !stale {
			t.Fatalf("Reseal = stale %v, %v; want stale, nil", stale, err)
		}
		var got profile
		if err := onlyNew.Decode(key, av, &got); err != nil {
			t.Fatalf("the resealed value does not open without the old key: %v", err)
		}
		if got.User != in.User || len(got.Tags) != 1 {
			t.Errorf("resealed data = %+v, want %+v", got, in)
		}
		if bytes.Equal(envelope(t, av), envelope(t, sealedOld)) {
			t.Error("Reseal returned the old envelope")
		}
	})
	t.Run("sealed under the current key", func(t *testing.T) {
		cur, err := rotated.Encode(key, &in)
		if err != nil {
			t.Fatal(err)
		}
		av, stale, err := rotated.Reseal(key, cur)
		if err != nil || stale || av != cur {
			t.Fatalf("Reseal = %v, stale %v, %v; want the same value, not stale", av, stale, err)
		}
	})
	t.Run("sealed for another session key", func(t *testing.T) {
		if _, _, err := rotated.Reseal("session#other", sealedOld); !errors.Is(err, codec.ErrNotAuthentic) {
			t.Fatalf("Reseal of a record copied to another key = %v, want ErrNotAuthentic", err)
		}
	})
	t.Run("not binary", func(t *testing.T) {
		if _, _, err := rotated.Reseal(key, &types.AttributeValueMemberS{Value: "x"}); err == nil {
			t.Fatal("Reseal of a string = nil error")
		}
	})
}
