// This file tests Repo.Save of sealed sessions: the repository keeps the
// plaintext a read opened and compares the fresh one with it, sealing only
// when the data changed (session.go's payloadCodec, codec.Sealed).

package dynamosession_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

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

// TestSaveSealedComparesPlaintexts: a sealed session keeps the plaintext
// its read (or Put, or last Save) opened or sealed, and Save compares the
// fresh one with it. A session only read sends nothing; a change is
// sealed under a fresh nonce, written and read back; the next Save of the
// unchanged session sends nothing again. For every inner codec a sealed
// codec takes, compressed included.
func TestSaveSealedComparesPlaintexts(t *testing.T) {
	keys, err := codec.NewKeyring(rotationKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	always := func(o *codec.CompressOptions) { o.Threshold = 0 }
	inners := map[string]codec.Binary[cart]{
		"msgpack":            codec.Msgpack[cart](),
		"json":               codec.JSON[cart](),
		"compressed msgpack": codec.Compressed(codec.Msgpack[cart](), always),
		"another package's":  foreignCart{},
		"compressed, stored": codec.Compressed(codec.JSON[cart]()),
	}
	cases := map[string]func(t *testing.T, e *env){}
	for name, inner := range inners {
		for _, from := range []string{"get", "put", "save"} {
			cases[name+", session from "+from] = func(t *testing.T, e *env) {
				ctx := context.Background()
				repo := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = codec.Sealed(inner, keys) })
				data := cart{User: "ada", Items: []string{"book"}, Count: 1}
				s, err := repo.Put(ctx, newID(t), data)
				if err != nil {
					t.Fatal(err)
				}
				key := repo.Options().Prefix + s.ID
				switch from {
				case "get":
					if s, err = repo.Get(ctx, s.ID); err != nil {
						t.Fatal(err)
					}
				case "save":
					s.Data.Count++
					must(t, repo.Save(ctx, s))
				}
				_, _, before := sealedEnvelope(t, e, key)
				e.reset()
				if err := repo.Save(ctx, s); err != nil || e.count("") != 0 {
					t.Fatalf("Save of an unchanged session = %v after %d requests, want nil after 0", err, e.count(""))
				}
				s.Data.Items = append(s.Data.Items, "pen")
				if err := repo.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
					t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
				}
				if _, _, after := sealedEnvelope(t, e, key); after == before {
					t.Errorf("the change was sealed under the nonce % x of the envelope it replaced", after)
				}
				got, err := repo.Get(ctx, s.ID)
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(s.Data, got.Data); diff != "" {
					t.Errorf("read back mismatch (-want +got):\n%s", diff)
				}
				e.reset()
				for _, x := range []*dynamosession.Session[cart]{s, got} {
					if err := repo.Save(ctx, x); err != nil || e.count("") != 0 {
						t.Fatalf("Save after the change = %v after %d requests, want nil after 0", err, e.count(""))
					}
				}
			}
		}
	}
	onBackends(t, cases)
}

// foreignCart is an inner codec of another package than codec: MessagePack
// through codec.Msgpack, but a type the sealed codec knows nothing about.
type foreignCart struct{}

func (foreignCart) Format() codec.Format { return codec.FormatMsgpack }
func (foreignCart) Marshal(v *cart) ([]byte, error) {
	return codec.Msgpack[cart]().Marshal(v)
}
func (foreignCart) Unmarshal(b []byte, v *cart) error { return codec.Msgpack[cart]().Unmarshal(b, v) }
func (c foreignCart) Encode(key string, v *cart) (types.AttributeValue, error) {
	return codec.Msgpack[cart]().Encode(key, v)
}
func (c foreignCart) Decode(key string, av types.AttributeValue, v *cart) error {
	return codec.Msgpack[cart]().Decode(key, av, v)
}

// blob is a session that is its own bytes, with an inner codec that
// shares memory with it both ways, as a codec of another package may:
// Marshal returns the session's own slice, Unmarshal keeps its input.
type blob []byte

type sharingCodec struct{}

func (sharingCodec) Format() codec.Format                 { return "blob" }
func (sharingCodec) Marshal(v *blob) ([]byte, error)      { return *v, nil }
func (sharingCodec) Unmarshal(data []byte, v *blob) error { *v = data; return nil }
func (c sharingCodec) Decode(_ string, av types.AttributeValue, v *blob) error {
	return c.Unmarshal(av.(*types.AttributeValueMemberB).Value, v)
}
func (c sharingCodec) Encode(_ string, v *blob) (types.AttributeValue, error) {
	return &types.AttributeValueMemberB{Value: *v}, nil
}

// TestSaveSealedChangeInPlace: a change made in place to the session's
// data is a change, even when the inner codec shares memory with the
// data: the plaintext the session keeps is its own copy, so it cannot
// change along with the data and hide the change from Save.
func TestSaveSealedChangeInPlace(t *testing.T) {
	keys, err := codec.NewKeyring(rotationKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(t *testing.T, e *env){}
	for _, from := range []string{"get", "put", "save"} {
		cases["session from "+from] = func(t *testing.T, e *env) {
			ctx := context.Background()
			repo := newRepo(t, e, func(o *dynamosession.Options[blob]) { o.Codec = codec.Sealed[blob](sharingCodec{}, keys) })
			s, err := repo.Put(ctx, newID(t), blob("ada"))
			if err != nil {
				t.Fatal(err)
			}
			switch from {
			case "get":
				if s, err = repo.Get(ctx, s.ID); err != nil {
					t.Fatal(err)
				}
			case "save":
				s.Data = blob("bob")
				must(t, repo.Save(ctx, s))
			}
			s.Data[0] = 'z'
			e.reset()
			if err := repo.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("Save of a change in place = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
			}
			got, err := repo.Get(ctx, s.ID)
			if err != nil {
				t.Fatal(err)
			}
			if string(got.Data) != string(s.Data) {
				t.Errorf("read back %q, want %q", got.Data, s.Data)
			}
		}
	}
	onBackends(t, cases)
}

// TestSaveSealedUnderAnOldKey: a session sealed under a key the keyring
// now only opens with is, on Save, compared as any other: unchanged, it
// sends nothing and stays as it is (the due touch reseals it, see
// testKeyRotationCompletes); changed, it is sealed under the current key.
// After a due touch resealed it, the same holds.
func TestSaveSealedUnderAnOldKey(t *testing.T) {
	k1, k2 := rotationKey("k1"), rotationKey("k2")
	sealed := func(current codec.Key, previous ...codec.Key) func(*dynamosession.Options[cart]) {
		kr, err := codec.NewKeyring(current, previous...)
		if err != nil {
			t.Fatal(err)
		}
		return func(o *dynamosession.Options[cart]) { o.Codec = codec.Sealed[cart](codec.Msgpack[cart](), kr) }
	}
	cases := map[string]func(t *testing.T, e *env){}
	for _, touched := range []bool{false, true} {
		cases[fmt.Sprint("touched ", touched)] = func(t *testing.T, e *env) {
			ctx := context.Background()
			old, cur := newRepo(t, e, sealed(k1)), newRepo(t, e, sealed(k2, k1))
			s, err := old.Put(ctx, newID(t), cart{User: "ada"})
			if err != nil {
				t.Fatal(err)
			}
			key := cur.Options().Prefix + s.ID
			e.clock.Advance(2 * time.Hour) // a touch is due
			if s, err = cur.Get(ctx, s.ID); err != nil {
				t.Fatal(err)
			}
			wantID := "k1"
			if touched {
				if wrote, err := cur.Touch(ctx, s); err != nil || !wrote {
					t.Fatalf("Touch = %v, %v; want true, nil", wrote, err)
				}
				wantID = "k2"
			}
			_, id, nonce := sealedEnvelope(t, e, key)
			if id != wantID {
				t.Fatalf("stored under key %q before the Save, want %q", id, wantID)
			}
			e.reset()
			if err := cur.Save(ctx, s); err != nil || e.count("") != 0 {
				t.Fatalf("Save of an unchanged session = %v after %d requests, want nil after 0", err, e.count(""))
			}
			if _, id, again := sealedEnvelope(t, e, key); id != wantID || again != nonce {
				t.Fatalf("after a Save that sent nothing the record is under %q, nonce % x; want %q, % x", id, again, wantID, nonce)
			}
			s.Data.Count = 7
			if err := cur.Save(ctx, s); err != nil || e.count("UpdateItem") != 1 {
				t.Fatalf("Save of a change = %v after %d UpdateItems, want nil after 1", err, e.count("UpdateItem"))
			}
			if _, id, fresh := sealedEnvelope(t, e, key); id != "k2" || fresh == nonce {
				t.Errorf("the change is sealed under %q, nonce % x; want k2 and a fresh nonce (was % x)", id, fresh, nonce)
			}
			onlyNew := newRepo(t, e, sealed(k2))
			got, err := onlyNew.Get(ctx, s.ID)
			if err != nil || got.Data.Count != 7 {
				t.Fatalf("Get with k2 alone = %+v, %v; want Count 7", got, err)
			}
		}
	}
	onBackends(t, cases)
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

// TestSealedSessionPrintsNoPlaintext: a sealed session keeps the plaintext
// it opened; printed with any verb (a Session logged by mistake), it shows
// no byte of it. (Data prints as itself: it is the caller's.)
func TestSealedSessionPrintsNoPlaintext(t *testing.T) {
	keys, err := codec.NewKeyring(rotationKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	db := newFake(t)
	repo, err := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) {
		o.Codec = codec.Sealed(codec.Msgpack[cart](), keys)
		o.Clock = db.Now
	})
	if err != nil {
		t.Fatal(err)
	}
	data := cart{User: "ada", Items: []string{"book"}}
	plain, err := codec.Msgpack[cart]().Marshal(&data)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	put, err := repo.Put(ctx, "printed", data)
	if err != nil {
		t.Fatal(err)
	}
	got, err := repo.Get(ctx, "printed")
	if err != nil {
		t.Fatal(err)
	}
	for name, s := range map[string]*dynamosession.Session[cart]{"put": put, "get": got} {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%d", "%x", "%X", "%q"} {
			for _, arg := range []any{s, *s} {
				out := fmt.Sprintf(verb, arg)
				// How each verb prints the plaintext as a []byte, without
				// the brackets or braces of a slice.
				shown := strings.TrimPrefix(fmt.Sprintf(verb, plain), "[]byte")
				shown = strings.Trim(shown, "[]{}")
				if strings.Contains(out, shown) || bytes.Contains([]byte(out), plain) {
					t.Errorf("%s: %s of a %T shows the plaintext: %s", name, verb, arg, out)
				}
			}
		}
	}
}

// TestSaveSealedOpensNothing: the Save of an unchanged sealed session
// allocates no more than that of an unchanged MessagePack session: it
// encodes the data and compares plaintexts, and neither seals (a fresh
// envelope) nor opens anything (each open allocates the plaintext and
// the associated data). It runs on the fake alone: no request is sent.
func TestSaveSealedOpensNothing(t *testing.T) {
	keys, err := codec.NewKeyring(rotationKey("k1"))
	if err != nil {
		t.Fatal(err)
	}
	allocs := func(c codec.Codec[cart]) float64 {
		db := newFake(t)
		repo, err := dynamosession.New[cart](db, "sessions", func(o *dynamosession.Options[cart]) { o.Codec = c })
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		if _, err := repo.Put(ctx, "allocs", cart{User: "ada", Items: []string{"book", "pen"}, Count: 3}); err != nil {
			t.Fatal(err)
		}
		s, err := repo.Get(ctx, "allocs")
		if err != nil {
			t.Fatal(err)
		}
		db.ResetStats()
		n := testing.AllocsPerRun(100, func() { must(t, repo.Save(ctx, s)) })
		if calls := db.Stats().Calls; len(calls) != 0 {
			t.Fatalf("Save of an unchanged session sent %v", calls)
		}
		return n
	}
	plain, sealed := allocs(codec.Msgpack[cart]()), allocs(codec.Sealed(codec.Msgpack[cart](), keys))
	if sealed > plain {
		t.Errorf("Save of an unchanged sealed session: %v allocations, want at most the %v of a MessagePack one", sealed, plain)
	}
}
