// This file tests Repo.Save of sealed sessions.

package dynamosession_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
)

// sealedEnvelope returns the stored sealed envelope of key, its key ID
// and its nonce (see codec.Sealed's layout).
func sealedEnvelope(t *testing.T, e *env, key string) (sealed []byte, keyID, nonce string) {
	t.Helper()
	b, ok := e.raw(t, key)["sess"].(*types.AttributeValueMemberB)
	if !ok || len(b.Value) < 4 || len(b.Value) < 4+int(b.Value[3])+12 {
		t.Fatalf("stored %v, want a sealed envelope", e.raw(t, key)["sess"])
	}
	n := 4 + int(b.Value[3])
	return b.Value, string(b.Value[4:n]), string(b.Value[n : n+12])
}

// TestSaveSealedThroughAnotherRepository: the plaintext a session keeps
// is in the inner format of the repository that read it, and a sealed
// envelope does not say which format its plaintext is in. Saved through a
// repository whose sealed codec wraps another inner format, with the same
// keys, a change is written even when the two plaintexts have the same
// bytes: the JSON text 5 is the MessagePack encoding of 53. Through a
// repository with other keys, a change is sealed under its own key, and
// an unchanged session sends nothing.
func TestSaveSealedThroughAnotherRepository(t *testing.T) {
	k1, k2 := rotationKey("k1"), rotationKey("k2")
	kr1, err := codec.NewKeyring(k1)
	if err != nil {
		t.Fatal(err)
	}
	kr21, err := codec.NewKeyring(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(t *testing.T, e *env){}
	for _, from := range []string{"get", "put", "save"} {
		// session returns a session of 5 as from says, read or written by r.
		session := func(t *testing.T, r *dynamosession.Repo[int]) *dynamosession.Session[int] {
			ctx := context.Background()
			s, err := r.Put(ctx, newID(t), 4)
			if err != nil {
				t.Fatal(err)
			}
			switch from {
			case "get":
				s.Data = 5
				must(t, r.Save(ctx, s))
				if s, err = r.Get(ctx, s.ID); err != nil {
					t.Fatal(err)
				}
			case "put":
				if s, err = r.Put(ctx, s.ID, 5); err != nil {
					t.Fatal(err)
				}
			case "save":
				s.Data = 5
				must(t, r.Save(ctx, s))
			}
			return s
		}
		cases["other inner format, session from "+from] = func(t *testing.T, e *env) {
			ctx := context.Background()
			byJSON := newRepo(t, e, func(o *dynamosession.Options[int]) { o.Codec = codec.Sealed(codec.JSON[int](), kr1) })
			byMsgpack := newRepo(t, e, func(o *dynamosession.Options[int]) { o.Codec = codec.Sealed(codec.Msgpack[int](), kr1) })
			s := session(t, byJSON)
			s.Data = 53
			e.reset()
			if err := byMsgpack.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
			}
			if got, err := byMsgpack.Get(ctx, s.ID); err != nil || got.Data != 53 {
				t.Errorf("read back %v, %v; want 53", got, err)
			}
		}
		cases["other keys, session from "+from] = func(t *testing.T, e *env) {
			ctx := context.Background()
			before := newRepo(t, e, func(o *dynamosession.Options[int]) { o.Codec = codec.Sealed(codec.Msgpack[int](), kr1) })
			rotated := newRepo(t, e, func(o *dynamosession.Options[int]) { o.Codec = codec.Sealed(codec.Msgpack[int](), kr21) })
			s := session(t, before)
			e.reset()
			if err := rotated.Save(ctx, s); err != nil || e.count("") != 0 {
				t.Fatalf("Save of an unchanged session = %v after %d requests, want nil after 0", err, e.count(""))
			}
			s.Data = 6
			if err := rotated.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
			}
			if _, id, _ := sealedEnvelope(t, e, rotated.Options().Prefix+s.ID); id != "k2" {
				t.Errorf("the change is sealed under %q, want k2", id)
			}
			if got, err := rotated.Get(ctx, s.ID); err != nil || got.Data != 6 {
				t.Errorf("read back %v, %v; want 6", got, err)
			}
		}
	}
	onBackends(t, cases)
}
