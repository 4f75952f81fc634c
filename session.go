package dynamosession

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/codecs"
	"github.com/dynamosession/dynamosession/internal/expiry"
	"github.com/dynamosession/dynamosession/internal/readconsistency"
)

// Session is a session read by [Repo.Get]. Change Data and pass the session
// to [Repo.Save] to write it back, or to [Repo.Touch] to extend its expiry.
// A Session is a value owned by one request: do not share it between
// goroutines without synchronisation.
type Session[T any] struct {
	// ID is the session ID, without the repository's prefix.
	ID string
	// Data is the session's typed contents.
	Data T
	// ExpiresAt is the stored expiry; zero if the record has none.
	ExpiresAt time.Time
	// Version is the optimistic-locking version read; 0 when the record
	// has none (an unversioned repository, or a record written by another
	// store).
	Version int64

	format     codec.Format         // format of the stored record
	stored     types.AttributeValue // data attribute as read or last written
	expiresRaw string               // expiry attribute as stored, "" if absent
	hasVersion bool                 // the record has a version attribute, even 0
	tokens     []byte               // the stored write tokens, newest first
	key        string               // prefix + ID
	schema     int                  // schema version of the stored data
	upgraded   bool                 // Data came through an upgrade
	baseline   types.AttributeValue // what Data is compared with on Save: stored, or the upgrade's encoding
	own        ownerState           // the stored owner (owner.go)
	// payload is the stored data's payload, uncompressed or opened, when
	// the codec is a payloadCodec and the stored data is in its format
	// and current shape (not upgraded); nil otherwise. Save compares the
	// fresh payload with it instead of decompressing or opening the
	// stored value. It holds at most the codec's MaxBytes (a compressed
	// codec's inner payload of a 2 KB session is some 1.5 KB), a slice of
	// stored when that holds it uncompressed; a sealed session's is its
	// plaintext, 32 bytes and the key ID shorter than stored. Of a sealed
	// session it is the data in clear, as Data is, so it sits behind a
	// pointer, which fmt prints as an address: a Session printed by
	// mistake never shows it (Data is the caller's to print or not).
	payload *keptPayload
	// payloadBy is the repository that decoded the stored data (Get) or
	// wrote it (Put, Save), whose codec made payload and baseline: only
	// its own payloads compare with its fresh ones. Another repository's
	// compressed codec may wrap another inner format, whose bytes can
	// spell other data (the JSON text 5 is the MessagePack of 53; found by
	// a breaker); it compares envelopes instead, and a sealed envelope,
	// which does not name its inner format, by the data that repository
	// decodes from it (see unchanged).
	payloadBy *Repo[T]
	// encoded is the data attribute encodedBy wrote (Put, Save) as its
	// codec encoded Data then, with nothing of an older record merged
	// in. While stored is that very value, it holds no field T does not
	// declare, and samedata.go compares JSON by its bytes alone.
	encoded   types.AttributeValue
	encodedBy *Repo[T]
}

// keptPayload is a payload a Session keeps (Session.payload). fmt prints
// every field of a struct it is given, unexported ones included, and
// calls no method of theirs; a pointer inside a struct it prints as an
// address only.
type keptPayload struct{ b []byte }

// keep returns payload as a Session keeps it; nil for none.
func keep(payload []byte) *keptPayload {
	if payload == nil {
		return nil
	}
	return &keptPayload{payload}
}

// Format reports the format the session is stored in.
func (s *Session[T]) Format() codec.Format { return s.format }

// key returns the stored key for id, or an error wrapping ErrInvalidID.
// The checks are DynamoDB's own, made locally so no request is wasted.
func (r *Repo[T]) key(id string) (string, error) {
	switch {
	case id == "":
		return "", fmt.Errorf("%w: empty", ErrInvalidID)
	case !utf8.ValidString(id):
		return "", fmt.Errorf("%w: not valid UTF-8", ErrInvalidID)
	}
	if err := r.checkReservedID(id); err != nil {
		return "", err
	}
	if r.opts.HashIDs {
		sum := sha256.Sum256([]byte(id))
		return r.opts.Prefix + base64.RawURLEncoding.EncodeToString(sum[:]), nil
	}
	k := r.opts.Prefix + id
	if len(k) > capacity.MaxPartitionKeyBytes {
		return "", fmt.Errorf("%w: key is %d bytes, DynamoDB allows %d", ErrInvalidID, len(k), capacity.MaxPartitionKeyBytes)
	}
	return k, nil
}

func (r *Repo[T]) keyAV(k string) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{r.opts.KeyAttr: &types.AttributeValueMemberS{Value: k}}
}

// Get reads the session id. It returns an error for which errors.Is(err,
// ErrNotFound) holds when the session does not exist or has expired, and a
// *DecodeError when the stored record cannot be decoded.
//
// A read costs 0.5 read unit per started 4 KB, or 1 when strongly
// consistent (see Options.Consistency). With Options.Cache on, an
// eventually consistent Get may be served from memory (see CacheOptions).
func (r *Repo[T]) Get(ctx context.Context, id string) (*Session[T], error) {
	k, err := r.key(id)
	if err != nil {
		return nil, err
	}
	strong := readconsistency.Strong(ctx, r.opts.Consistency)
	now := r.now()
	item, cached := r.cache.lookup(k, strong, now)
	if !cached.hit {
		// The input, its key's value and its flag in one allocation
		// rather than three: every page view makes this call.
		in := &getInput{strong: strong, key: types.AttributeValueMemberS{Value: k}}
		in.GetItemInput = dynamodb.GetItemInput{
			TableName:      &r.table,
			Key:            map[string]types.AttributeValue{r.opts.KeyAttr: &in.key},
			ConsistentRead: &in.strong,
		}
		out, err := r.client.GetItem(ctx, &in.GetItemInput)
		if err != nil {
			return nil, wrap("get", id, err)
		}
		item, now = out.Item, r.now()
	}
	if item == nil {
		return nil, ErrNotFound
	}
	s, err := r.decode(id, k, item, now)
	if err != nil {
		return nil, err
	}
	r.cache.fill(cached, item)
	if err := r.ownerOnGet(ctx, s, item); err != nil {
		return nil, err
	}
	if r.opts.RewriteOnRead && (s.format != r.opts.Codec.Format() || s.upgraded) && s.schema <= r.opts.Schema &&
		codecs.Lossy(r.opts.Codec, s.stored) == nil {
		// Best effort: the read succeeded, and a rewrite that loses a race
		// or fails leaves the record as it was, still readable. A record the
		// rewrite could not keep exactly is left as it is.
		_ = r.save(ctx, s, true)
	}
	return s, nil
}

// getInput is a GetItemInput with what its pointers point to.
type getInput struct {
	dynamodb.GetItemInput
	key    types.AttributeValueMemberS
	strong bool
}

// decode turns a stored item into a Session, or a *DecodeError naming the
// attribute that is wrong.
func (r *Repo[T]) decode(id, k string, item map[string]types.AttributeValue, now time.Time) (s *Session[T], err error) {
	s = &Session[T]{ID: id, key: k}
	if av, ok := item[r.opts.ExpiresAttr]; ok {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			return nil, &DecodeError{ID: id, Attr: r.opts.ExpiresAttr, Err: fmt.Errorf("want a number, stored %T", av)}
		}
		t, err := expiry.Parse(n.Value)
		if err != nil {
			return nil, &DecodeError{ID: id, Attr: r.opts.ExpiresAttr, Err: err}
		}
		s.ExpiresAt, s.expiresRaw = t, n.Value
		if !t.After(now) {
			return nil, ErrExpired // dead: do not spend a decode, nor fail on one
		}
	}
	if r.opts.Versioned {
		if av, ok := item[versionAttr]; ok {
			n, ok := av.(*types.AttributeValueMemberN)
			if !ok {
				return nil, &DecodeError{ID: id, Attr: versionAttr, Err: fmt.Errorf("want a number, stored %T", av)}
			}
			v, err := strconv.ParseInt(n.Value, 10, 64)
			if err != nil || v < 0 {
				return nil, &DecodeError{ID: id, Attr: versionAttr, Err: fmt.Errorf("version %q is not a non-negative integer", n.Value)}
			}
			s.Version, s.hasVersion = v, true
		}
		if b, ok := item[tokenAttr].(*types.AttributeValueMemberB); ok {
			s.tokens = b.Value
		}
	}
	data, ok := item[r.opts.DataAttr]
	if !ok {
		// A husk: connect-dynamodb's unconditional touch recreates a
		// deleted session as {id, expires} when it races a logout. Both
		// Node stores read such an item as no session; so do we.
		if _, ok := item[supersededAttr]; ok {
			return nil, ErrSuperseded // a tombstone: see Supersede
		}
		return nil, ErrNotFound
	}
	if s.schema, err = r.schemaOf(id, item); err != nil {
		return nil, err
	}
	if err := r.decodeData(s, data); err != nil {
		return nil, &DecodeError{ID: id, Attr: r.opts.DataAttr, Err: err, format: s.format}
	}
	return s, nil
}

// Put creates or replaces the session id with data and a fresh expiry, in
// one PutItem (1 write unit per started KB of the larger of the old and new
// item), and returns the session as stored, ready for Save and Touch in the
// same request without reading it back. In a versioned repository Put
// refuses to replace a live session and returns ErrConflict instead (or
// ErrOutcomeUnknown, see there).
func (r *Repo[T]) Put(ctx context.Context, id string, data T) (_ *Session[T], err error) {
	k, err := r.key(id)
	if err != nil {
		return nil, err
	}
	var av types.AttributeValue
	var payload []byte
	dataSize := -1 // unknown
	switch c := r.opts.Codec.(type) {
	case payloadCodec[T]:
		if payload, err = c.EncodePayload(&data); err == nil {
			av = c.WrapPayload(k, payload)
		}
	case sizedEncoder[T]:
		av, dataSize, err = c.EncodeSized(k, &data)
	default:
		av, err = r.opts.Codec.Encode(k, &data)
	}
	if err != nil {
		return nil, encodeError(id, r.opts.Codec.Format(), err)
	}
	now := r.now()
	expAt, exp := r.expiry(ctx, now)
	item := make(map[string]types.AttributeValue, 5+len(r.extras))
	item[r.opts.KeyAttr] = &types.AttributeValueMemberS{Value: k}
	item[r.opts.DataAttr] = av
	item[r.opts.ExpiresAttr] = &types.AttributeValueMemberN{Value: exp}
	for name, v := range r.extras {
		item[name] = v
	}
	if r.opts.Schema > 1 {
		item[schemaAttr] = &types.AttributeValueMemberN{Value: strconv.Itoa(r.opts.Schema)}
	}
	own, err := r.ownerOnCreate(id, item, &data, now)
	if err != nil {
		return nil, err
	}
	in := &dynamodb.PutItemInput{TableName: &r.table, Item: item}
	var token []byte
	var tries attempts
	var optFns []func(*dynamodb.Options)
	if r.opts.Versioned {
		token = newToken()
		item[versionAttr] = &types.AttributeValueMemberN{Value: "1"}
		item[tokenAttr] = &types.AttributeValueMemberB{Value: token}
		// Absent, a husk without data, or stored but expired (in any unit
		// a read accepts): as good as absent.
		w := newWrite()
		w.names["#k"], w.names["#d"], w.names["#e"] = r.opts.KeyAttr, r.opts.DataAttr, r.opts.ExpiresAttr
		w.cond = append(w.cond, "(attribute_not_exists(#k) OR attribute_not_exists(#d) OR "+expiry.Expired("#e", now, w.values)+")")
		in.ConditionExpression, in.ExpressionAttributeNames, in.ExpressionAttributeValues = w.condition(), w.names, w.values
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		optFns = append(optFns, tries.option, provenRetries)
	}
	if err := r.checkSize(item, dataSize); err != nil {
		return nil, fmt.Errorf("dynamosession: put session %s: %w", redact(id), err)
	}
	defer r.cache.created(k, item, now, r.cache.begin(k), &err)
	_, err = r.client.PutItem(ctx, in, optFns...)
	if ccf, ok := isConditionFailed(err); ok {
		switch {
		case r.landed(ccf.Item, token):
			err = nil // our own earlier attempt, retried by the SDK
		case tries.retried():
			return nil, fmt.Errorf("dynamosession: put session %s: %w", redact(id), ErrOutcomeUnknown)
		default:
			return nil, fmt.Errorf("dynamosession: put session %s: %w: it already exists", redact(id), ErrConflict)
		}
	}
	if r.opts.Versioned && maybeApplied(err) {
		// The response was lost: the item tells whether the write landed.
		if item, verr := r.storedNow(ctx, k); verr != nil || !r.landed(item, token) {
			return nil, fmt.Errorf("dynamosession: put session %s: %w (%w)", redact(id), ErrOutcomeUnknown, err)
		}
		err = nil
	}
	if err != nil {
		return nil, wrap("put", id, err)
	}
	s := &Session[T]{ID: id, Data: data, ExpiresAt: expAt, key: k, format: r.opts.Codec.Format(), stored: av, baseline: av, expiresRaw: exp, schema: r.opts.Schema, payload: keep(payload), payloadBy: r, encoded: av, encodedBy: r}
	if r.opts.Versioned {
		s.Version, s.hasVersion, s.tokens = 1, true, token
	}
	s.own = own
	return s, nil
}

// expiry returns the expiry the TTL policy gives a write at now, as it is
// stored: whole Unix seconds, rounded up so that a policy's fractional
// expiry never ends a session early, and that number's text.
func (r *Repo[T]) expiry(ctx context.Context, now time.Time) (time.Time, string) {
	t := r.policy(ctx).Expiry(now) // Options.TTL unless WithLifetime says otherwise
	sec := t.Unix()
	if t.Nanosecond() != 0 {
		sec++
	}
	return time.Unix(sec, 0), strconv.FormatInt(sec, 10)
}

// checkSize returns an error wrapping ErrItemTooLarge when item is larger
// than DynamoDB stores. dataSize is the size of its data attribute when
// the encoding measured it (sizedEncoder), or negative.
func (r *Repo[T]) checkSize(item map[string]types.AttributeValue, dataSize int) error {
	if dataSize < 0 {
		return tooLarge(capacity.ItemSize(item))
	}
	return tooLarge(capacity.ItemSizeKnown(item, r.opts.DataAttr, dataSize))
}

// Save writes back a session read by Get. When Data encodes to what is
// stored it sends no request at all. Otherwise it writes the data and a
// fresh expiry in one conditional UpdateItem that keeps any other
// attributes of the item, and fails with ErrNotFound if the session was
// deleted since it was read (Save never resurrects a session).
//
// In a versioned repository it fails with ErrConflict, writing nothing, if
// the session changed since it was read. A record that holds no version
// (another store wrote it last, such as connect-dynamodb's PutItem) is
// compared by its data instead: Save succeeds only if the stored data is
// exactly what was read. If the SDK retried the write after a lost
// response and the stored item no longer shows whether the first attempt
// landed, Save returns ErrOutcomeUnknown (see [ErrOutcomeUnknown]); it
// never reports a write that landed as a conflict.
func (r *Repo[T]) Save(ctx context.Context, s *Session[T]) error {
	if s == nil || s.key == "" {
		return fmt.Errorf("dynamosession: save: session was not read by Get")
	}
	return r.save(ctx, s, false)
}

func (r *Repo[T]) save(ctx context.Context, s *Session[T], force bool) (err error) {
	if s.schema > r.opts.Schema {
		return fmt.Errorf("dynamosession: save session %s: %w: stored under version %d, this code writes %d", redact(s.ID), ErrSchemaTooNew, s.schema, r.opts.Schema)
	}
	var av types.AttributeValue
	pc, byPayload := r.opts.Codec.(payloadCodec[T])
	var payload []byte
	dataSize := -1 // unknown
	if byPayload {
		payload, err = pc.EncodePayload(&s.Data)
	} else if sc, ok := r.opts.Codec.(sizedEncoder[T]); ok {
		av, dataSize, err = sc.EncodeSized(s.key, &s.Data)
	} else {
		av, err = r.opts.Codec.Encode(s.key, &s.Data)
	}
	sized := av // what dataSize measures
	var diff *memberDiff
	if err == nil && !s.upgraded && !byPayload {
		// Fields T does not declare (a Node.js app's, a removed field's)
		// stay as stored. Not after an upgrade: the stored data is the old
		// shape, and what the upgrade dropped or renamed must go (found by
		// a breaker), as a due touch of the upgrade's encoding drops it.
		// Only members that differ can hold them (samedata.go).
		switch diff = r.diffMembers(s, av); {
		case diff == nil:
			av, err = codecs.KeepUnknown(r.opts.Codec, s.stored, av)
		case diff.keeps():
			av, err = codecs.KeepUnknown(r.opts.Codec, diff.storedObject(), av)
		}
	}
	if err != nil {
		return encodeError(s.ID, r.opts.Codec.Format(), err)
	}
	owner, err := r.ownerChange(s)
	if err != nil {
		return err
	}
	if !force && owner == nil {
		same, ok := false, false
		switch {
		case byPayload && s.payload != nil && s.payloadBy == r && !s.upgraded:
			same, ok = pc.SamePayload(s.payload.b, payload), true
		case diff != nil:
			same, ok = r.sameData(s.key, diff)
		}
		if !ok {
			if byPayload {
				av = pc.WrapPayload(s.key, payload)
			}
			same = r.unchanged(s, av)
		}
		if same {
			return nil
		}
	}
	if av == nil { // a payload codec's, compressed only now that it is written
		av = pc.WrapPayload(s.key, payload)
	}
	now := r.now()
	if !s.ExpiresAt.IsZero() && !s.ExpiresAt.After(now) {
		return fmt.Errorf("dynamosession: save session %s: %w", redact(s.ID), ErrExpired)
	}
	expAt, exp := r.expiry(ctx, now)
	req := r.newUpdateRequest(s.key)
	w := &req.write
	w.names["#d"], w.names["#e"] = r.opts.DataAttr, r.opts.ExpiresAttr
	w.values[":d"], w.values[":e"] = av, &types.AttributeValueMemberN{Value: exp}
	w.set = append(w.set, "#d = :d", "#e = :e")
	// The item's size for the size check, summed attribute by attribute
	// as capacity.ItemSize counts it: building the item as a map for that
	// alone cost a tenth of the write path.
	if dataSize < 0 || av != sized { // not measured, or unknown fields put back
		dataSize = capacity.AttributeSize(av)
	}
	size := len(r.opts.KeyAttr) + len(s.key) + len(r.opts.DataAttr) + dataSize +
		len(r.opts.ExpiresAttr) + capacity.NumberSize(exp) + r.extrasSize
	for _, x := range r.extraSets {
		w.names[x.namePH], w.values[x.valuePH] = x.name, x.v
		w.set = append(w.set, x.clause)
	}
	if r.opts.Schema > 1 {
		w.names["#s"], w.values[":s"] = schemaAttr, &types.AttributeValueMemberN{Value: strconv.Itoa(r.opts.Schema)}
		w.set = append(w.set, "#s = :s")
		size += len(schemaAttr) + capacity.AttributeSize(w.values[":s"])
	}
	var owned map[string]types.AttributeValue // the owner's attributes, for the size
	if owner != nil {
		owned = make(map[string]types.AttributeValue, 3)
	}
	own := r.writeOwner(w, owned, owner, now)
	size += capacity.ItemSize(owned)
	if s.format == codec.FormatJSON && r.extras == nil {
		// Leaving connect-dynamodb's format: its `type` marker goes too.
		w.names["#t"] = "type"
		w.remove = append(w.remove, "#t")
	}
	// A live session: not deleted, not a husk {id, expires}, not expired
	// (in any unit a read accepts).
	w.cond = append(w.cond, "attribute_exists(#d)", expiry.Live("#e", now, w.values))
	// RewriteOnRead replaces only the very value that was read; so does a
	// versioned save of a record without a version, which another store
	// wrote last and which only its data can identify.
	if force || s.upgraded || r.opts.Versioned && !s.hasVersion {
		w.cond = append(w.cond, "#d = :old")
		w.values[":old"] = s.stored
	}
	var token []byte
	var tries attempts
	var optFns []func(*dynamodb.Options)
	if r.opts.Versioned {
		token = newToken()
		w.names["#v"], w.names["#w"] = versionAttr, tokenAttr
		next := &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version+1, 10)}
		w.values[":v"], w.values[":w"] = next, &types.AttributeValueMemberB{Value: tokenList(token, s.tokens)}
		w.set = append(w.set, "#v = :v", "#w = :w")
		size += len(versionAttr) + capacity.AttributeSize(next) + len(tokenAttr) + capacity.AttributeSize(w.values[":w"])
		if s.hasVersion {
			w.values[":seen"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version, 10)}
			w.cond = append(w.cond, "#v = :seen", r.sameTokens(s, w))
		} else {
			w.cond = append(w.cond, "attribute_not_exists(#v)")
		}
		optFns = append(optFns, tries.option, provenRetries)
	}
	if err := tooLarge(size); err != nil {
		return fmt.Errorf("dynamosession: save session %s: %w", redact(s.ID), err)
	}
	defer r.cache.wrote(s.key, w, r.cache.begin(s.key), &err)
	in := req.input()
	in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
	_, err = r.client.UpdateItem(ctx, in, optFns...)
	if ccf, ok := isConditionFailed(err); ok {
		switch {
		case r.landed(ccf.Item, token):
			err = nil // our own earlier attempt, retried by the SDK
		case ccf.Item == nil || ccf.Item[r.opts.DataAttr] == nil:
			return fmt.Errorf("dynamosession: save session %s: %w: deleted since it was read", redact(s.ID), ErrNotFound)
		case tries.retried():
			return fmt.Errorf("dynamosession: save session %s: %w", redact(s.ID), ErrOutcomeUnknown)
		default:
			return fmt.Errorf("dynamosession: save session %s: %w", redact(s.ID), ErrConflict)
		}
	}
	if r.opts.Versioned && maybeApplied(err) {
		// The response was lost: the item tells whether the write landed.
		item, verr := r.storedNow(ctx, s.key)
		switch {
		case verr == nil && r.landed(item, token):
			err = nil
		case verr == nil && r.asRead(item, s):
			return wrap("save", s.ID, err) // certainly not applied: safe to try again
		default:
			return fmt.Errorf("dynamosession: save session %s: %w (%w)", redact(s.ID), ErrOutcomeUnknown, err)
		}
	}
	if err != nil {
		return wrap("save", s.ID, err)
	}
	s.stored, s.baseline, s.format, s.payload, s.payloadBy = av, av, r.opts.Codec.Format(), keep(payload), r
	s.encoded, s.encodedBy = nil, nil
	if av == sized { // nothing kept from the record read
		s.encoded, s.encodedBy = av, r
	}
	s.schema, s.upgraded = r.opts.Schema, false
	s.ExpiresAt, s.expiresRaw = expAt, exp
	if own != nil {
		s.own = *own
	}
	if r.opts.Versioned {
		s.Version++
		s.hasVersion = true
		s.tokens = w.values[":w"].(*types.AttributeValueMemberB).Value
	}
	return nil
}

// unchanged reports whether the session's data is what is stored. The fast
// path compares encodings; when they differ in the format the codec writes,
// a comparer tells (MessagePack map order, a sealed nonce); otherwise
// (another format, JSON a Node.js app wrote with other spacing) it decodes
// the stored value afresh and compares values, so a session that was only
// read never costs a write. Save asks it only when the member-by-member
// comparison of samedata.go cannot tell (another format, an upgraded
// session, a T that decodes itself, JSON with escaped or repeated keys).
//
// An upgraded session is compared with the encoding of the upgrade's
// result, not with the old shape stored: reading through an upgrade is
// not a change.
func (r *Repo[T]) unchanged(s *Session[T], encoded types.AttributeValue) bool {
	if s.baseline == nil {
		return false
	}
	format := s.format
	if s.upgraded {
		format = r.opts.Codec.Format()
	}
	if format == codec.FormatSealed && s.payloadBy != r {
		// A sealed envelope does not name the inner format of its
		// plaintext, and one plaintext can spell other data in another
		// format (the JSON text 5 is the MessagePack of 53): SameData
		// would compare the bytes of two formats. Only the repository
		// that read the session knows what its baseline holds; compare
		// the data it decodes from it.
		var orig T
		if s.payloadBy == nil {
			return false
		}
		if _, err := s.payloadBy.reader.Decode(s.key, s.baseline, &orig); err != nil {
			return false
		}
		return reflect.DeepEqual(orig, s.Data)
	}
	if format == r.opts.Codec.Format() {
		if attr.Equal(encoded, s.baseline) {
			return true
		}
		if c, ok := r.opts.Codec.(comparer); ok {
			if c.SameData(s.key, s.baseline, encoded) {
				return true // map order, nonces: not data
			}
			if _, ok := r.opts.Codec.(payloadCodec[T]); !ok {
				return false
			}
			// A compressed session comes here only when Save could not
			// compare its kept payload: none was kept because the stored
			// envelope holds another inner format (another repository's
			// codec wrote it, JSON where this one writes MessagePack), or
			// another repository kept it. SameData tells the inner formats
			// apart, not the data: decoded, it may be the same; else two
			// such repositories rewrote the record on every read (found
			// by a breaker).
		} else if c, ok := r.opts.Codec.(canonical); ok && c.Canonical() {
			return false // our own deterministic encoding: different bytes, different data
		}
	}
	var orig T
	if _, err := r.reader.Decode(s.key, s.baseline, &orig); err != nil {
		return false
	}
	return reflect.DeepEqual(orig, s.Data)
}

// sameTokens returns the condition that the stored write tokens are the
// ones s was read with. The version alone does not identify a record: a
// session deleted and created again under the same ID starts again at
// version 1, and a retried write must not land on that newer session.
func (r *Repo[T]) sameTokens(s *Session[T], w *write) string {
	w.names["#w"] = tokenAttr
	if s.tokens == nil {
		return "attribute_not_exists(#w)"
	}
	w.values[":seenw"] = &types.AttributeValueMemberB{Value: s.tokens}
	return "#w = :seenw"
}

// comparer is implemented by codecs that can tell whether two stored
// values of their format hold the same data without decoding them into a
// T: codec.Msgpack, codec.Compressed and codec.Sealed (MessagePack maps in
// any order, a sealed value's random nonce).
type comparer interface {
	SameData(key string, stored, encoded types.AttributeValue) bool
}

// payloadCodec is implemented by codecs that store an inner payload in
// an envelope that costs CPU to open or close (codec.Compressed,
// codec.Sealed): a repository keeps the payload a read decoded
// (DecodePayload) and, on Save, compares it with the fresh one
// (EncodePayload, SamePayload), compressing or sealing it (WrapPayload,
// for the session key) only when the data changed. The Save of a changed
// compressed session cost 1.5 times the raw SDK's when both envelopes
// were decompressed to compare them, a sealed one 1.22 times when both
// were opened.
type payloadCodec[T any] interface {
	DecodePayload(key string, av types.AttributeValue, v *T) ([]byte, error)
	EncodePayload(v *T) ([]byte, error)
	WrapPayload(key string, payload []byte) types.AttributeValue
	SamePayload(a, b []byte) bool
}

// sizedEncoder is implemented by codecs whose Encode walks the value it
// returns anyway (codec.Map checks every string, number and key): they
// measure its size, as internal/capacity counts it, on the way, so that
// the item's size check does not walk the data again.
type sizedEncoder[T any] interface {
	EncodeSized(key string, v *T) (types.AttributeValue, int, error)
}

// canonical is implemented by codecs whose Encode is a deterministic
// function of the value and whose format no other program writes
// (codec.Map and codec.JSON with codec.Options.Exclusive set), so that
// different bytes mean different data.
type canonical interface{ Canonical() bool }

// resealer is implemented by codecs whose stored values can go stale
// without the data changing: [codec.Sealed] reports a value sealed under a
// key other than the keyring's current one, and returns it sealed again
// under the current key, without decoding the data.
type resealer interface {
	Reseal(key string, stored types.AttributeValue) (types.AttributeValue, bool, error)
}

// Touch extends the session's expiry if the touch policy says it is due,
// and reports whether it wrote. A due touch is one UpdateItem of the expiry
// attribute, conditional on the record still holding the expiry s was read
// with: it never recreates a session deleted in between and never
// overwrites a newer write. Losing such a race is not an error: Touch
// returns false, nil, and the next Get tells what happened.
//
// A due touch also brings the stored data up to date when it is stale
// without having changed: a session sealed under a key the keyring no
// longer seals with is sealed again under the current key, so that a key
// can be retired once the TTL has passed since the switch, even for users
// whose sessions are only ever read. That write is conditional on the
// stored data being exactly what was read, so it never undoes a Save that
// landed in between, and it costs nothing extra: a touch is billed for the
// whole item anyway (1 write unit per started KB).
func (r *Repo[T]) Touch(ctx context.Context, s *Session[T]) (bool, error) {
	if s == nil || s.key == "" {
		return false, fmt.Errorf("dynamosession: touch: session was not read by Get")
	}
	now := r.now()
	if !s.ExpiresAt.IsZero() && !s.ExpiresAt.After(now) {
		return false, nil // expired: extending it would resurrect it
	}
	if !r.touchDue(ctx, now, s.ExpiresAt) {
		return false, nil
	}
	expAt, exp := r.expiry(ctx, now)
	w := newWrite()
	w.names["#d"], w.names["#e"] = r.opts.DataAttr, r.opts.ExpiresAttr
	w.values[":e"] = &types.AttributeValueMemberN{Value: exp}
	w.set = append(w.set, "#e = :e")
	w.cond = append(w.cond, "attribute_exists(#d)")
	if s.expiresRaw == "" {
		w.cond = append(w.cond, "attribute_not_exists(#e)")
	} else {
		w.cond = append(w.cond, "#e = :olde")
		w.values[":olde"] = &types.AttributeValueMemberN{Value: s.expiresRaw}
	}
	fresh := r.refreshed(s)
	if fresh != nil {
		w.set = append(w.set, "#d = :d")
		w.cond = append(w.cond, "#d = :old")
		w.values[":d"], w.values[":old"] = fresh, s.stored
		if r.opts.Schema > 1 {
			w.names["#s"], w.values[":s"] = schemaAttr, &types.AttributeValueMemberN{Value: strconv.Itoa(r.opts.Schema)}
			w.set = append(w.set, "#s = :s")
		}
	}
	gen := r.cache.begin(s.key)
	_, err := r.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &r.table,
		Key:                       r.keyAV(s.key),
		UpdateExpression:          w.update(),
		ConditionExpression:       w.condition(),
		ExpressionAttributeNames:  w.names,
		ExpressionAttributeValues: w.values,
	})
	r.cache.wrote(s.key, w, gen, &err) // a lost race drops the entry
	if _, ok := isConditionFailed(err); ok {
		return false, nil
	}
	if err != nil {
		return false, wrap("touch", s.ID, err)
	}
	s.ExpiresAt, s.expiresRaw = expAt, exp
	if fresh != nil {
		s.stored, s.format, s.schema = fresh, r.opts.Codec.Format(), r.opts.Schema
		s.payload = nil // Save compares with the baseline instead
		if s.upgraded {
			s.upgraded = false // the baseline is now what is stored
		} else {
			s.baseline = fresh
		}
	}
	return true, nil
}

// refreshed returns the stored data brought up to date for a due touch,
// or nil when it is current. It works on the stored value, not on s.Data:
// a touch must never write changes the caller has not saved.
func (r *Repo[T]) refreshed(s *Session[T]) types.AttributeValue {
	switch {
	case s.schema > r.opts.Schema:
		return nil // a newer deploy's data: never rewrite it in this shape
	case s.upgraded:
		return s.baseline // the upgrade's result, encoded when it was read
	}
	rs, ok := r.opts.Codec.(resealer)
	if !ok || s.format != r.opts.Codec.Format() || s.stored == nil {
		return nil
	}
	av, stale, err := rs.Reseal(s.key, s.stored)
	if err != nil || !stale {
		return nil // it was read with this very codec; an error here leaves it as it is
	}
	return av
}

// Delete removes the session id. Deleting a session that does not exist is
// not an error. It costs 1 write unit per started KB of the deleted item.
func (r *Repo[T]) Delete(ctx context.Context, id string) error {
	k, err := r.key(id)
	if err != nil {
		return err
	}
	gen := r.cache.begin(k)
	_, err = r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &r.table, Key: r.keyAV(k)})
	r.cache.deleted(k, gen, &err)
	return wrap("delete", id, err)
}

// DeleteIfUnchanged removes a session read by Get (or written by Put or
// Save), only if it is still what was read: in a versioned repository,
// only if nobody saved it since (its version and write tokens); otherwise,
// and for a record that holds no version (another store wrote it last),
// only if its data is still exactly what was read. When it changed,
// DeleteIfUnchanged returns ErrConflict and deletes nothing, so a logout
// racing a save can decide what wins (typically: Get again and delete, or
// Delete unconditionally). A session already gone is not an error. If the
// SDK retried the delete after a lost response and a session is stored
// again under the ID, it returns ErrOutcomeUnknown. It costs what Delete
// costs: 1 write unit per started KB of the deleted item (a failed
// condition is billed the same).
func (r *Repo[T]) DeleteIfUnchanged(ctx context.Context, s *Session[T]) (err error) {
	if s == nil || s.key == "" {
		return fmt.Errorf("dynamosession: delete: session was not read by Get")
	}
	w := newWrite()
	switch {
	case r.opts.Versioned && s.hasVersion:
		w.names["#v"] = versionAttr
		w.cond = append(w.cond, "#v = :seen", r.sameTokens(s, w))
		w.values[":seen"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version, 10)}
	case r.opts.Versioned:
		w.names["#v"], w.names["#d"] = versionAttr, r.opts.DataAttr
		w.cond = append(w.cond, "attribute_not_exists(#v)", "#d = :old")
		w.values[":old"] = s.stored
	default:
		w.names["#d"] = r.opts.DataAttr
		w.cond = append(w.cond, "#d = :old")
		w.values[":old"] = s.stored
	}
	var tries attempts
	defer r.cache.deleted(s.key, r.cache.begin(s.key), &err)
	_, err = r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                           &r.table,
		Key:                                 r.keyAV(s.key),
		ConditionExpression:                 w.condition(),
		ExpressionAttributeNames:            w.names,
		ExpressionAttributeValues:           w.valuesOrNil(),
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	}, tries.option, provenRetries)
	if ccf, ok := isConditionFailed(err); ok {
		switch {
		case ccf.Item == nil || ccf.Item[r.opts.DataAttr] == nil:
			return nil // already gone (or a husk of it): what the caller wanted
		case tries.retried():
			return fmt.Errorf("dynamosession: delete session %s: %w", redact(s.ID), ErrOutcomeUnknown)
		}
		return fmt.Errorf("dynamosession: delete session %s: %w", redact(s.ID), ErrConflict)
	}
	if maybeApplied(err) {
		// The response was lost: the item tells whether the delete landed.
		item, verr := r.storedNow(ctx, s.key)
		switch {
		case verr == nil && (item == nil || item[r.opts.DataAttr] == nil):
			return nil // gone: what the caller wanted
		case verr == nil && r.asRead(item, s):
			return wrap("delete", s.ID, err) // certainly not applied: safe to try again
		default:
			return fmt.Errorf("dynamosession: delete session %s: %w (%w)", redact(s.ID), ErrOutcomeUnknown, err)
		}
	}
	return wrap("delete", s.ID, err)
}
