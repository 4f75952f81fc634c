package gorillastore_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/gorillastore"
)

// FuzzLoad stores any record the table could hold and loads it through a
// cookie: no record may crash the process or make the load allocate more
// than a small multiple of its size, and none but the one sealed with the
// store's key (a seed) may load at all.
func FuzzLoad(f *testing.F) {
	const id = "fuzzedSession"
	sealed := sealFor(f, hashKey, id, gobOf(f, map[interface{}]interface{}{"user": "ada", "n": 1, "cart": cart{Items: []string{"tea"}}}))
	f.Add(sealed.Values, sealed.MAC)
	f.Add(sealed.Values, bytes.Repeat([]byte{1}, 32))
	f.Add(mapBomb(f, 100_000_000), bytes.Repeat([]byte{7}, 32))
	f.Add(unregisteredGob(f), []byte{})
	f.Add([]byte{}, []byte(nil))

	fk := fake.New()
	e := newEnv(f, fk, fk)
	cookie := &http.Cookie{Name: sessionName, Value: cookieFor(f, id)}
	f.Fuzz(func(t *testing.T, values, mac []byte) {
		if _, err := e.repo.Put(context.Background(), id, gorillastore.Record{Values: values, MAC: mac}); err != nil {
			t.Skip(err) // over DynamoDB's item size: no table holds it
		}
		b := newBrowser()
		b.cookies[sessionName] = cookie
		var err error
		n := allocated(func() { _, err = b.load(e.store) })
		var de *dynamosession.DecodeError
		authentic := bytes.Equal(sealFor(t, hashKey, id, values).MAC, mac)
		if !authentic && !errors.As(err, &de) {
			t.Fatalf("a record not sealed with the store's key: err = %v, want a *dynamosession.DecodeError", err)
		}
		if limit := uint64(1<<20 + 16*(len(values)+len(mac))); n > limit {
			t.Errorf("loading a %d-byte record allocated %d bytes, want at most %d", len(values)+len(mac), n, limit)
		}
	})
}
