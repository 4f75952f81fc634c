package gorillastore_test

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"net/http"
	"runtime"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/gorilla/securecookie"
	"github.com/gorilla/sessions"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/gorillastore"
	"github.com/dynamosession/dynamosession/internal/attr"
)

// gone stands for a type a later deploy stopped registering: its records
// carry a name this process does not know (see unregisteredGob).
type gone struct{ A int }

// fragile's GobDecode panics, as a buggy registered type's might.
type fragile struct{}

func (fragile) GobEncode() ([]byte, error) { return []byte{1}, nil }
func (*fragile) GobDecode([]byte) error    { panic("fragile: cannot decode") }

func init() {
	gob.RegisterName("gorillastore_test.gone", gone{})
	gob.Register(fragile{})
}

// unregisteredGob returns Values holding a type registered under a name no
// type has in this process.
func unregisteredGob(t testing.TB) []byte {
	t.Helper()
	b := gobOf(t, map[interface{}]interface{}{"x": gone{1}})
	out := bytes.Replace(b, []byte("gorillastore_test.gone"), []byte("gorillastore_test.lost"), 1)
	if bytes.Equal(out, b) {
		t.Fatal("type name not found in the gob stream")
	}
	return out
}

// mapBomb returns a gob stream of a Values map whose declared entry count
// is n while it holds one entry: what encoding/gob allocates for before it
// reads a single entry.
func mapBomb(t testing.TB, n uint64) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	v := map[interface{}]interface{}{"a": 1}
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	types := buf.Len()
	if err := enc.Encode(v); err != nil { // the second message is the value alone
		t.Fatal(err)
	}
	all := buf.Bytes()
	defs, msg := all[:types-(buf.Len()-types)], all[types:]
	// The value message: length, type ID, singleton delta 0, count 1, then
	// the first key, an interface holding a "string".
	i := bytes.Index(msg, []byte("\x00\x01\x06string"))
	if i < 0 {
		t.Fatalf("unexpected gob layout % x", msg)
	}
	payload := append(append(append([]byte{}, msg[1:i+1]...), gobUint(n)...), msg[i+2:]...)
	return append(append(append([]byte{}, defs...), gobUint(uint64(len(payload)))...), payload...)
}

// gobUint encodes x as gob encodes an unsigned integer.
func gobUint(x uint64) []byte {
	if x < 128 {
		return []byte{byte(x)}
	}
	var b []byte
	for ; x > 0; x >>= 8 {
		b = append([]byte{byte(x)}, b...)
	}
	return append([]byte{byte(-len(b))}, b...)
}

// allocated returns the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestGobMapBomb is the premise of the package's sealing: encoding/gob
// trusts a map's declared length, so a few dozen bytes make it allocate
// tens of megabytes (and with a larger count, more than any process has).
// If this starts failing, gob has learnt to check; the package
// documentation's account of why records are sealed needs updating, not
// the sealing.
func TestGobMapBomb(t *testing.T) {
	bomb := mapBomb(t, 1_000_000)
	var v map[interface{}]interface{}
	n := allocated(func() { _ = gob.NewDecoder(bytes.NewReader(bomb)).Decode(&v) })
	if n < 32<<20 {
		t.Errorf("gob allocated %d bytes for a %d-byte stream declaring 1e6 entries; the premise no longer holds", n, len(bomb))
	}
	t.Logf("gob allocated %d bytes decoding %d bytes", n, len(bomb))
}

// cookieFor returns the cookie value naming session id, signed as the
// store with hashKey signs it.
func cookieFor(t testing.TB, id string) string {
	t.Helper()
	v, err := securecookie.New(hashKey, nil).SetSerializer(securecookie.NopEncoder{}).Encode(sessionName, []byte(id))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestUndecodable: every way a stored record can fail to decode gives a
// new session and a *dynamosession.DecodeError naming the session, leaves
// the record as it was, and lets the new session be saved under a new ID.
func TestUndecodable(t *testing.T) {
	const id = "aSessionWhoseRecordDoesNotDecode000000000000"
	good := gobOf(t, map[interface{}]interface{}{"user": "ada"})
	put := func(rec func(t *testing.T) gorillastore.Record) func(t *testing.T, e *env) {
		return func(t *testing.T, e *env) {
			if _, err := e.repo.Put(context.Background(), id, rec(t)); err != nil {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name      string
		store     func(e *env)
		put       func(t *testing.T, e *env)
		want      error
		maxAlloc  uint64 // bytes the load may allocate; 0 for no check
		wantAlloc string
	}{
		{
			name: "sealed with a key the store does not hold",
			put:  put(func(t *testing.T) gorillastore.Record { return sealFor(t, otherKey, id, good) }),
			want: gorillastore.ErrNotAuthentic,
		},
		{
			name: "sealed for another session (copied)",
			put:  put(func(t *testing.T) gorillastore.Record { return sealFor(t, hashKey, "another", good) }),
			want: gorillastore.ErrNotAuthentic,
		},
		{
			name: "values changed after sealing",
			put: put(func(t *testing.T) gorillastore.Record {
				r := sealFor(t, hashKey, id, bytes.Clone(good))
				r.Values[len(r.Values)-1] ^= 1
				return r
			}),
			want: gorillastore.ErrNotAuthentic,
		},
		{
			name: "no MAC",
			put:  put(func(t *testing.T) gorillastore.Record { return gorillastore.Record{Values: good} }),
			want: gorillastore.ErrNotAuthentic,
		},
		{
			name: "a gob map bomb without the key",
			put: put(func(t *testing.T) gorillastore.Record {
				return gorillastore.Record{Values: mapBomb(t, 100_000_000), MAC: bytes.Repeat([]byte{7}, 32)}
			}),
			want:     gorillastore.ErrNotAuthentic,
			maxAlloc: 1 << 20,
		},
		{
			name:  "over MaxLength, checked before the MAC",
			store: func(e *env) { e.store.MaxLength = 1000 },
			put: put(func(t *testing.T) gorillastore.Record {
				return gorillastore.Record{Values: bytes.Repeat([]byte{1}, 1001), MAC: bytes.Repeat([]byte{7}, 32)}
			}),
			want: gorillastore.ErrTooLarge,
		},
		{
			name: "a type no longer registered",
			put:  put(func(t *testing.T) gorillastore.Record { return sealFor(t, hashKey, id, unregisteredGob(t)) }),
			want: gorillastore.ErrBadValues,
		},
		{
			name: "bytes after the values",
			put: put(func(t *testing.T) gorillastore.Record {
				return sealFor(t, hashKey, id, append(bytes.Clone(good), 0))
			}),
			want: gorillastore.ErrBadValues,
		},
		{
			name: "not gob at all",
			put:  put(func(t *testing.T) gorillastore.Record { return sealFor(t, hashKey, id, []byte("{\"user\":\"ada\"}")) }),
			want: gorillastore.ErrBadValues,
		},
		{
			name: "a registered type's GobDecode panics",
			put: put(func(t *testing.T) gorillastore.Record {
				return sealFor(t, hashKey, id, gobOf(t, map[interface{}]interface{}{"f": fragile{}}))
			}),
			want: gorillastore.ErrBadValues,
		},
		{
			name: "a record the repository cannot decode",
			put: func(t *testing.T, e *env) {
				_, err := e.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: &e.table, Item: map[string]types.AttributeValue{
					"id":   &types.AttributeValueMemberS{Value: "session#" + id},
					"sess": &types.AttributeValueMemberS{Value: "not a record"},
				}})
				if err != nil {
					t.Fatal(err)
				}
			},
		},
	}
	eachBackend(t, func(t *testing.T, db backend, fk *fake.DB) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				e := newEnv(t, db, fk)
				if tt.store != nil {
					tt.store(e)
				}
				tt.put(t, e)
				before := e.rawItem(t, id)
				b := newBrowser()
				b.cookies[sessionName] = &http.Cookie{Name: sessionName, Value: cookieFor(t, id)}

				var s *sessions.Session
				var err error
				n := allocated(func() { s, err = b.load(e.store) })
				var de *dynamosession.DecodeError
				if !errors.As(err, &de) || de.ID != id || (tt.want != nil && !errors.Is(err, tt.want)) {
					t.Errorf("Get error = %v, want a *dynamosession.DecodeError for %q wrapping %v", err, id, tt.want)
				}
				if !s.IsNew || len(s.Values) != 0 || s.ID != "" {
					t.Errorf("Get session: IsNew %v, ID %q, Values %v; want a new, empty one", s.IsNew, s.ID, s.Values)
				}
				if tt.maxAlloc > 0 && n > tt.maxAlloc {
					t.Errorf("loading allocated %d bytes, want at most %d", n, tt.maxAlloc)
				}

				s, _, saveErr := b.save(e.store, func(s *sessions.Session) { s.Values["user"] = "grace" })
				if saveErr != nil || s.ID == "" || s.ID == id {
					t.Errorf("saving the new session: ID %q, %v; want a new ID", s.ID, saveErr)
				}
				after := e.rawItem(t, id)
				if !attr.Equal(&types.AttributeValueMemberM{Value: before}, &types.AttributeValueMemberM{Value: after}) {
					t.Errorf("the undecodable record changed:\nbefore %v\nafter  %v", before, after)
				}
				if s, err := b.load(e.store); err != nil || s.Values["user"] != "grace" {
					t.Errorf("next request: user %v, err %v; want the new session", s.Values["user"], err)
				}
			})
		}
	})
}
