package gorillastore

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"fmt"
	"reflect"
)

// macInfo separates the record MAC key from every other use of a hash key
// (securecookie signs cookies with the hash key itself).
const macInfo = "github.com/dynamosession/dynamosession/gorillastore record MAC v1"

// macKey derives the record MAC key from a hash key.
func macKey(hashKey []byte) []byte {
	k, err := hkdf.Key(sha256.New, hashKey, nil, macInfo, sha256.Size)
	if err != nil {
		// hkdf.Key fails only for a key length over 255 hash sizes.
		panic("gorillastore: " + err.Error())
	}
	return k
}

// mac returns HMAC-SHA256 under key of the session ID and the gob bytes,
// the ID's length first so that no two (id, values) pairs share an input.
func mac(key []byte, id string, values []byte) []byte {
	h := hmac.New(sha256.New, key)
	h.Write(binary.AppendUvarint(nil, uint64(len(id))))
	h.Write([]byte(id))
	h.Write(values)
	return h.Sum(nil)
}

// seal returns the record of session id holding the gob bytes b.
func (s *Store) seal(id string, b []byte) Record {
	return Record{Values: b, MAC: mac(s.macKeys[0], id, b)}
}

// open checks rec and decodes its Values, in the order that keeps
// unauthenticated bytes away from gob: the size first, then the MAC, then
// gob. rekey reports a record sealed by another key than the first.
func (s *Store) open(id string, rec Record) (values map[interface{}]interface{}, rekey bool, err error) {
	if s.MaxLength > 0 && len(rec.Values) > s.MaxLength {
		return nil, false, fmt.Errorf("%w: %d bytes stored, MaxLength is %d", ErrTooLarge, len(rec.Values), s.MaxLength)
	}
	i := s.verify(id, rec)
	if i < 0 {
		return nil, false, ErrNotAuthentic
	}
	values, err = decodeValues(rec.Values)
	return values, i > 0, err
}

// verify returns the index of the key whose MAC rec carries, or -1.
func (s *Store) verify(id string, rec Record) int {
	if len(rec.MAC) != sha256.Size {
		return -1
	}
	for i, k := range s.macKeys {
		if hmac.Equal(mac(k, id, rec.Values), rec.MAC) {
			return i
		}
	}
	return -1
}

// encode gob-encodes a Values map, within MaxLength.
func (s *Store) encode(values map[interface{}]interface{}) ([]byte, error) {
	if values == nil {
		values = map[interface{}]interface{}{}
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(values); err != nil {
		return nil, fmt.Errorf("gorillastore: encoding values (are their types gob.Register'ed?): %w", err)
	}
	if s.MaxLength > 0 && buf.Len() > s.MaxLength {
		return nil, fmt.Errorf("%w: %d bytes encoded, MaxLength is %d", ErrTooLarge, buf.Len(), s.MaxLength)
	}
	return buf.Bytes(), nil
}

// decodeValues decodes authenticated gob bytes into a Values map. A panic
// in the decoder, or in a registered type's GobDecode or
// UnmarshalBinary, is an error, not the end of the process.
func decodeValues(b []byte) (values map[interface{}]interface{}, err error) {
	defer func() {
		if p := recover(); p != nil {
			values, err = nil, fmt.Errorf("%w: the decoder panicked: %v", ErrBadValues, p)
		}
	}()
	// A *bytes.Reader is an io.ByteReader, so gob reads from it directly
	// and what it leaves unread is what follows the one value.
	r := bytes.NewReader(b)
	if err := gob.NewDecoder(r).Decode(&values); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadValues, err)
	}
	if r.Len() > 0 {
		return nil, fmt.Errorf("%w: %d bytes after the values", ErrBadValues, r.Len())
	}
	if values == nil {
		values = map[interface{}]interface{}{}
	}
	return values, nil
}

// unchanged reports whether the Values encoded as b are what is stored.
// gob writes a map's entries in Go's random iteration order, so equal
// maps of two or more entries may encode to different bytes: then the
// stored bytes are decoded afresh and the maps compared. Comparing with a
// copy taken at load time instead would miss changes made in place, to a
// *Cart the map holds.
func (s *Store) unchanged(stored, b []byte, values map[interface{}]interface{}) bool {
	if bytes.Equal(stored, b) {
		return true
	}
	orig, err := decodeValues(stored)
	if err != nil {
		return false
	}
	if values == nil {
		values = map[interface{}]interface{}{}
	}
	return reflect.DeepEqual(orig, values)
}
