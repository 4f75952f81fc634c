package dynamosession

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/upgrade"
)

// An Upgrade reads session data stored under an older schema version of
// the session type, or data that no longer decodes as it, and converts it
// to the current type. Create it with [UpgradeFrom] and list it in
// Options.Upgrades (or migrate's Config.Upgrades); it has no methods of
// its own to call. A nil Upgrade is not valid.
type Upgrade[T any] interface{ upgrade.Sealed[T] }

// UpgradeFrom returns the upgrade of data stored under schema version from
// (1 for records written before versions were declared) to T: the stored
// data is decoded as Old, by the codec that wrote it (Map, JSON,
// MessagePack, compressed or sealed alike, with the repository's keys),
// and fn converts it. Old is typically the session type as that version
// declared it, kept in the code until `dynamosession schemas` shows no
// record of that version remains:
//
//	type CartV1 struct{ Items []string `json:"items"` }
//
//	o.Schema = 2
//	o.Upgrades = []dynamosession.Upgrade[Cart]{
//		dynamosession.UpgradeFrom(1, func(old CartV1) (Cart, error) {
//			c := Cart{}
//			for _, sku := range old.Items {
//				c.Items = append(c.Items, Item{SKU: sku, Qty: 1})
//			}
//			return c, nil
//		}),
//	}
//
// Old may also be map[string]any for a generic view; its values are then
// what the codec's decoder gives an any (see package codec). An upgrade
// registered for the current version runs only for records that do not
// decode as T, which is how a team that never declared versions recovers
// from an incompatible change. An error from fn is reported as the
// *DecodeError of the session, and the record is left as it is.
func UpgradeFrom[Old, T any](from int, fn func(Old) (T, error)) Upgrade[T] {
	return &upgrade.Func[T]{From: from, Read: func(c codec.Codec[T], key string, stored types.AttributeValue) (T, error) {
		var old Old
		if err := codecs.DecodeAs(c, key, stored, &old); err != nil {
			var zero T
			return zero, fmt.Errorf("decoding as %T: %w", old, err)
		}
		return fn(old)
	}}
}

// ErrSchemaTooNew reports a session that a newer version of the
// application stored, under a higher schema version than Options.Schema:
// a Save of it returns ErrSchemaTooNew and writes nothing (that would store
// new data in an old shape), and a Get of one this code cannot decode
// returns a *DecodeError that wraps it, so callers can tell a newer
// deploy's session from a broken record (httpsession serves such a request
// without a session and leaves its cookie alone).
// During a rolling deploy, sessions a new process wrote are read by old
// processes, which then serve them but cannot save them.
var ErrSchemaTooNew = errors.New("dynamosession: session stored by a newer schema version")

// schemaOf returns the schema version an item is stored under: its schema
// attribute, or 1 when it has none.
func (r *Repo[T]) schemaOf(id string, item map[string]types.AttributeValue) (int, error) {
	v, err := attr.SchemaVersion(item[schemaAttr])
	if err != nil {
		return 0, &DecodeError{ID: id, Attr: schemaAttr, Err: err}
	}
	return v, nil
}

// decodeData fills s.Data from the stored data attribute, through an
// upgrade where the stored schema version or shape calls for one.
func (r *Repo[T]) decodeData(s *Session[T], data types.AttributeValue) error {
	f := codecs.Detect(data)
	s.format, s.stored, s.baseline, s.payloadBy = f, data, data, r
	up, hasUp := r.upgrades[s.schema]
	if s.schema < r.opts.Schema {
		if !hasUp {
			return fmt.Errorf("stored under schema version %d, and Options.Upgrades has no upgrade from it", s.schema)
		}
		return r.upgrade(s, up, data)
	}
	var err error
	if pc, ok := r.opts.Codec.(payloadCodec[T]); ok && f == r.opts.Codec.Format() {
		// The reader's codec for f: New puts Options.Codec first.
		var payload []byte
		payload, err = pc.DecodePayload(s.key, data, &s.Data)
		s.payload = keep(payload)
	} else {
		_, err = r.reader.Decode(s.key, data, &s.Data)
	}
	if err != nil && s.schema > r.opts.Schema {
		// A newer deploy's record, in a shape this code does not know:
		// not garbage, and not to be cleared or deleted.
		return fmt.Errorf("%w: stored under version %d, this code reads up to %d: %w", ErrSchemaTooNew, s.schema, r.opts.Schema, err)
	}
	if err != nil && hasUp && s.schema == r.opts.Schema {
		var zero T
		s.Data, s.payload = zero, nil
		if uerr := r.upgrade(s, up, data); uerr != nil {
			return fmt.Errorf("%w; upgrade from schema version %d: %w", err, s.schema, uerr)
		}
		return nil
	}
	return err
}

// upgrade runs up on the stored data and keeps the encoding of its result
// as the session's baseline: Save compares the data with it, so a session
// that was only read is not written, and a due Touch stores it.
func (r *Repo[T]) upgrade(s *Session[T], up *upgrade.Func[T], data types.AttributeValue) error {
	c, ok := r.reader.Codec(s.format)
	if !ok {
		_, err := r.reader.Decode(s.key, data, &s.Data) // names the unknown format
		return err
	}
	v, err := up.Read(c, s.key, data)
	if err != nil {
		return err
	}
	base, err := r.opts.Codec.Encode(s.key, &v)
	if err != nil {
		return fmt.Errorf("the upgraded data cannot be encoded as %s: %w", r.opts.Codec.Format(), err)
	}
	s.Data, s.upgraded = v, true
	s.baseline = base
	return nil
}
