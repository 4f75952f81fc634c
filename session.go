package dynamosession

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"reflect"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/capacity"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/ttl"
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
	key        string               // prefix + ID
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
// consistent (see Options.Consistency).
func (r *Repo[T]) Get(ctx context.Context, id string) (*Session[T], error) {
	k, err := r.key(id)
	if err != nil {
		return nil, err
	}
	strong := consistency.Resolve(ctx, r.opts.Consistency)
	start := time.Now()
	out, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:              &r.table,
		Key:                    r.keyAV(k),
		ConsistentRead:         &strong,
		ReturnConsumedCapacity: r.rcc,
	})
	r.observe("GetItem", start, consumed(out), err)
	if err != nil {
		return nil, wrap("get", id, err)
	}
	if out.Item == nil {
		return nil, ErrNotFound
	}
	s, err := r.decode(id, k, out.Item, r.now())
	if err != nil {
		return nil, err
	}
	if r.opts.RewriteOnRead && s.format != r.opts.Codec.Format() && codec.Lossy(r.opts.Codec, s.stored) == nil {
		// Best effort: the read succeeded, and a rewrite that loses a race
		// or fails leaves the record as it was, still readable. A record the
		// rewrite could not keep exactly is left as it is.
		_ = r.save(ctx, s, true)
	}
	return s, nil
}

// decode turns a stored item into a Session, or a *DecodeError naming the
// attribute that is wrong.
func (r *Repo[T]) decode(id, k string, item map[string]types.AttributeValue, now time.Time) (*Session[T], error) {
	s := &Session[T]{ID: id, key: k}
	if av, ok := item[r.opts.ExpiresAttr]; ok {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			return nil, &DecodeError{ID: id, Attr: r.opts.ExpiresAttr, Err: fmt.Errorf("want a number, stored %T", av)}
		}
		t, err := ttl.ParseExpiry(n.Value)
		if err != nil {
			return nil, &DecodeError{ID: id, Attr: r.opts.ExpiresAttr, Err: err}
		}
		s.ExpiresAt, s.expiresRaw = t, n.Value
		if !t.After(now) {
			return nil, ErrExpired // dead: do not spend a decode, nor fail on one
		}
	}
	if r.opts.Versioned {
		if av, ok := item[r.opts.VersionAttr]; ok {
			n, ok := av.(*types.AttributeValueMemberN)
			if !ok {
				return nil, &DecodeError{ID: id, Attr: r.opts.VersionAttr, Err: fmt.Errorf("want a number, stored %T", av)}
			}
			v, err := strconv.ParseInt(n.Value, 10, 64)
			if err != nil || v < 0 {
				return nil, &DecodeError{ID: id, Attr: r.opts.VersionAttr, Err: fmt.Errorf("version %q is not a non-negative integer", n.Value)}
			}
			s.Version, s.hasVersion = v, true
		}
	}
	data, ok := item[r.opts.DataAttr]
	if !ok {
		// A husk: connect-dynamodb's unconditional touch recreates a
		// deleted session as {id, expires} when it races a logout. Both
		// Node stores read such an item as no session; so do we.
		return nil, ErrNotFound
	}
	f, err := r.reader.Decode(k, data, &s.Data)
	if err != nil {
		return nil, &DecodeError{ID: id, Format: f, Attr: r.opts.DataAttr, Err: err}
	}
	s.format, s.stored = f, data
	return s, nil
}

// Put creates or replaces the session id with data and a fresh expiry, in
// one PutItem (1 write unit per started KB of the larger of the old and new
// item). In a versioned repository Put refuses to replace a live session
// and returns ErrConflict instead.
func (r *Repo[T]) Put(ctx context.Context, id string, data T) error {
	_, err := r.Create(ctx, id, data)
	return err
}

// Create is Put that returns the session as stored, ready for Save and
// Touch in the same request without reading it back.
func (r *Repo[T]) Create(ctx context.Context, id string, data T) (*Session[T], error) {
	k, err := r.key(id)
	if err != nil {
		return nil, err
	}
	av, err := r.opts.Codec.Encode(k, &data)
	if err != nil {
		return nil, &EncodeError{ID: id, Format: r.opts.Codec.Format(), Err: err}
	}
	now := r.now()
	expAt, exp := r.expiry(now)
	item := make(map[string]types.AttributeValue, 4+len(r.extras))
	item[r.opts.KeyAttr] = &types.AttributeValueMemberS{Value: k}
	item[r.opts.DataAttr] = av
	item[r.opts.ExpiresAttr] = &types.AttributeValueMemberN{Value: exp}
	for name, v := range r.extras {
		item[name] = v
	}
	in := &dynamodb.PutItemInput{TableName: &r.table, Item: item, ReturnConsumedCapacity: r.rcc}
	var token []byte
	if r.opts.Versioned {
		token = writeToken()
		item[r.opts.VersionAttr] = &types.AttributeValueMemberN{Value: "1"}
		item[r.opts.WriteTokenAttr] = &types.AttributeValueMemberB{Value: token}
		in.ReturnValuesOnConditionCheckFailure = types.ReturnValuesOnConditionCheckFailureAllOld
		// A stored but expired record, or a husk without data, is as good
		// as absent.
		cond := "attribute_not_exists(#k) OR #e <= :now OR attribute_not_exists(#d)"
		in.ConditionExpression = &cond
		in.ExpressionAttributeNames = map[string]string{"#k": r.opts.KeyAttr, "#e": r.opts.ExpiresAttr, "#d": r.opts.DataAttr}
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":now": &types.AttributeValueMemberN{Value: ttl.FormatExpiry(now)}}
	}
	if err := checkSize(item); err != nil {
		return nil, fmt.Errorf("dynamosession: put session %s: %w", redact(id), err)
	}
	start := time.Now()
	out, err := r.client.PutItem(ctx, in)
	r.observe("PutItem", start, consumed(out), err)
	if ccf, ok := isConditionFailed(err); ok {
		if !r.landed(ccf.Item, token) {
			return nil, fmt.Errorf("dynamosession: put session %s: %w: it already exists", redact(id), ErrConflict)
		}
		err = nil // our own earlier attempt, retried by the SDK
	}
	if err != nil {
		return nil, wrap("put", id, err)
	}
	s := &Session[T]{ID: id, Data: data, ExpiresAt: expAt, key: k, format: r.opts.Codec.Format(), stored: av, expiresRaw: exp}
	if r.opts.Versioned {
		s.Version, s.hasVersion = 1, true
	}
	return s, nil
}

// consumed returns the capacity an operation's output reports, if any.
func consumed(out any) *types.ConsumedCapacity {
	switch o := out.(type) {
	case *dynamodb.GetItemOutput:
		if o != nil {
			return o.ConsumedCapacity
		}
	case *dynamodb.PutItemOutput:
		if o != nil {
			return o.ConsumedCapacity
		}
	case *dynamodb.UpdateItemOutput:
		if o != nil {
			return o.ConsumedCapacity
		}
	case *dynamodb.DeleteItemOutput:
		if o != nil {
			return o.ConsumedCapacity
		}
	}
	return nil
}

// expiry returns the expiry the TTL policy gives a write at now, as it is
// stored: whole Unix seconds, and that number's text for the attribute.
func (r *Repo[T]) expiry(now time.Time) (time.Time, string) {
	t := r.opts.TTL.Expiry(now)
	return time.Unix(t.Unix(), 0), ttl.FormatExpiry(t)
}

// writeToken returns the random bytes that mark one versioned write.
func writeToken() []byte {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails since Go 1.24
	return b
}

// landed reports whether item, the stored item a conditional write failed
// against, was written by that very write: the SDK retries a request whose
// response was lost (a reset connection, a timeout), and the retry then
// fails the condition its own first attempt made false. Comparing the data
// instead would be wrong: two Updates that both increment 1 to 2 write the
// same bytes, and taking the rival's write for ours loses an increment.
func (r *Repo[T]) landed(item map[string]types.AttributeValue, token []byte) bool {
	if token == nil || item == nil {
		return false
	}
	b, ok := item[r.opts.WriteTokenAttr].(*types.AttributeValueMemberB)
	return ok && bytes.Equal(b.Value, token)
}

func checkSize(item map[string]types.AttributeValue) error {
	if n := capacity.ItemSize(item); n > capacity.MaxItemBytes {
		return fmt.Errorf("%w: %d bytes", ErrItemTooLarge, n)
	}
	return nil
}

// Save writes back a session read by Get. When Data encodes to what is
// stored it sends no request at all. Otherwise it writes the data and a
// fresh expiry in one conditional UpdateItem that keeps any other
// attributes of the item, and fails with ErrNotFound if the session was
// deleted since it was read (Save never resurrects a session). In a
// versioned repository it fails with ErrConflict, writing nothing, if the
// session changed since it was read.
func (r *Repo[T]) Save(ctx context.Context, s *Session[T]) error {
	if s == nil || s.key == "" {
		return fmt.Errorf("dynamosession: save: session was not read by Get")
	}
	return r.save(ctx, s, false)
}

func (r *Repo[T]) save(ctx context.Context, s *Session[T], force bool) error {
	av, err := r.opts.Codec.Encode(s.key, &s.Data)
	if err == nil {
		// Fields T does not declare (a Node.js app's, a removed field's)
		// stay as stored.
		av, err = codec.KeepUnknown(r.opts.Codec, s.stored, av)
	}
	if err != nil {
		return &EncodeError{ID: s.ID, Format: r.opts.Codec.Format(), Err: err}
	}
	if !force && r.unchanged(s, av) {
		return nil
	}
	now := r.now()
	if !s.ExpiresAt.IsZero() && !s.ExpiresAt.After(now) {
		return fmt.Errorf("dynamosession: save session %s: %w", redact(s.ID), ErrExpired)
	}
	expAt, exp := r.expiry(now)
	names := map[string]string{"#d": r.opts.DataAttr, "#e": r.opts.ExpiresAttr}
	values := map[string]types.AttributeValue{
		":d":   av,
		":e":   &types.AttributeValueMemberN{Value: exp},
		":now": &types.AttributeValueMemberN{Value: ttl.FormatExpiry(now)},
	}
	update := "SET #d = :d, #e = :e"
	item := map[string]types.AttributeValue{ // for the size check only
		r.opts.KeyAttr: &types.AttributeValueMemberS{Value: s.key}, r.opts.DataAttr: av, r.opts.ExpiresAttr: values[":e"],
	}
	i := 0
	for name, v := range r.extras {
		ph := "#x" + strconv.Itoa(i)
		names[ph], values[":x"+strconv.Itoa(i)] = name, v
		update += ", " + ph + " = :x" + strconv.Itoa(i)
		item[name] = v
		i++
	}
	if s.format == codec.FormatJSON && r.extras == nil {
		// Leaving connect-dynamodb's format: its `type` marker goes too.
		names["#t"] = "type"
		update += " REMOVE #t"
	}
	// A live session: not deleted, not a husk {id, expires}, not expired.
	cond := "attribute_exists(#d) AND (attribute_not_exists(#e) OR #e > :now)"
	if force {
		// RewriteOnRead: only the very value that was read may be replaced.
		cond += " AND #d = :old"
		values[":old"] = s.stored
	}
	var token []byte
	if r.opts.Versioned {
		token = writeToken()
		names["#v"], names["#w"] = r.opts.VersionAttr, r.opts.WriteTokenAttr
		next := &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version+1, 10)}
		values[":v"], values[":w"] = next, &types.AttributeValueMemberB{Value: token}
		item[r.opts.VersionAttr], item[r.opts.WriteTokenAttr] = next, values[":w"]
		update = "SET #v = :v, #w = :w, " + update[len("SET "):]
		if !s.hasVersion {
			cond += " AND attribute_not_exists(#v)"
		} else {
			values[":seen"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version, 10)}
			cond += " AND #v = :seen"
		}
	}
	if err := checkSize(item); err != nil {
		return fmt.Errorf("dynamosession: save session %s: %w", redact(s.ID), err)
	}
	start := time.Now()
	out, err := r.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                           &r.table,
		Key:                                 r.keyAV(s.key),
		UpdateExpression:                    &update,
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              r.rcc,
	})
	r.observe("UpdateItem", start, consumed(out), err)
	if ccf, ok := isConditionFailed(err); ok {
		switch {
		case r.landed(ccf.Item, token):
			err = nil // our own earlier attempt, retried by the SDK
		case ccf.Item == nil || ccf.Item[r.opts.DataAttr] == nil:
			return fmt.Errorf("dynamosession: save session %s: %w: deleted since it was read", redact(s.ID), ErrNotFound)
		default:
			return fmt.Errorf("dynamosession: save session %s: %w", redact(s.ID), ErrConflict)
		}
	}
	if err != nil {
		return wrap("save", s.ID, err)
	}
	s.stored, s.format = av, r.opts.Codec.Format()
	s.ExpiresAt, s.expiresRaw = expAt, exp
	if r.opts.Versioned {
		s.Version++
		s.hasVersion = true
	}
	return nil
}

// unchanged reports whether the session's data is what is stored. The fast
// path compares encodings; when they differ (another format, map keys in
// another order, JSON a Node.js app wrote with other spacing) it decodes the
// stored value afresh and compares values, so a session that was only read
// never costs a write.
func (r *Repo[T]) unchanged(s *Session[T], encoded types.AttributeValue) bool {
	if s.stored == nil {
		return false
	}
	if s.format == r.opts.Codec.Format() {
		if attr.Equal(encoded, s.stored) {
			return true
		}
		if c, ok := r.opts.Codec.(codec.Canonical); ok && c.Canonical() {
			return false // our own deterministic encoding: different bytes, different data
		}
	}
	var orig T
	if _, err := r.reader.Decode(s.key, s.stored, &orig); err != nil {
		return false
	}
	return reflect.DeepEqual(orig, s.Data)
}

// Touch extends the session's expiry if the touch policy says it is due,
// and reports whether it wrote. A due touch is one UpdateItem of the expiry
// attribute alone, conditional on the record still holding the expiry s
// was read with: it never recreates a session deleted in between and never
// overwrites a newer write. Losing such a race is not an error: Touch
// returns false, nil, and the next Get tells what happened.
//
// The write still costs 1 write unit per started KB of the whole item:
// that is why the policy exists.
func (r *Repo[T]) Touch(ctx context.Context, s *Session[T]) (bool, error) {
	if s == nil || s.key == "" {
		return false, fmt.Errorf("dynamosession: touch: session was not read by Get")
	}
	now := r.now()
	if !s.ExpiresAt.IsZero() && !s.ExpiresAt.After(now) {
		return false, nil // expired: extending it would resurrect it
	}
	if !r.opts.Touch.Due(now, s.ExpiresAt, r.opts.TTL.Lifetime()) {
		return false, nil
	}
	expAt, exp := r.expiry(now)
	update := "SET #e = :e"
	names := map[string]string{"#d": r.opts.DataAttr, "#e": r.opts.ExpiresAttr}
	values := map[string]types.AttributeValue{":e": &types.AttributeValueMemberN{Value: exp}}
	var cond string
	if s.expiresRaw == "" {
		cond = "attribute_exists(#d) AND attribute_not_exists(#e)"
	} else {
		cond = "attribute_exists(#d) AND #e = :old"
		values[":old"] = &types.AttributeValueMemberN{Value: s.expiresRaw}
	}
	start := time.Now()
	out, err := r.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 &r.table,
		Key:                       r.keyAV(s.key),
		UpdateExpression:          &update,
		ConditionExpression:       &cond,
		ExpressionAttributeNames:  names,
		ExpressionAttributeValues: values,
		ReturnConsumedCapacity:    r.rcc,
	})
	r.observe("UpdateItem", start, consumed(out), err)
	if _, ok := isConditionFailed(err); ok {
		return false, nil
	}
	if err != nil {
		return false, wrap("touch", s.ID, err)
	}
	s.ExpiresAt, s.expiresRaw = expAt, exp
	return true, nil
}

// Delete removes the session id. Deleting a session that does not exist is
// not an error. It costs 1 write unit per started KB of the deleted item.
func (r *Repo[T]) Delete(ctx context.Context, id string) error {
	k, err := r.key(id)
	if err != nil {
		return err
	}
	start := time.Now()
	out, err := r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: &r.table, Key: r.keyAV(k), ReturnConsumedCapacity: r.rcc})
	r.observe("DeleteItem", start, consumed(out), err)
	return wrap("delete", id, err)
}

// DeleteSession removes a session read by Get, but in a versioned
// repository only if nobody saved it since: otherwise it returns
// ErrConflict and deletes nothing, so a logout racing a save can decide
// what wins (typically: Get again and delete). Without versioning it is
// Delete(ctx, s.ID).
func (r *Repo[T]) DeleteSession(ctx context.Context, s *Session[T]) error {
	if s == nil || s.key == "" {
		return fmt.Errorf("dynamosession: delete: session was not read by Get")
	}
	if !r.opts.Versioned {
		return r.Delete(ctx, s.ID)
	}
	in := &dynamodb.DeleteItemInput{
		TableName:                           &r.table,
		Key:                                 r.keyAV(s.key),
		ExpressionAttributeNames:            map[string]string{"#v": r.opts.VersionAttr},
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
		ReturnConsumedCapacity:              r.rcc,
	}
	var cond string
	if !s.hasVersion {
		cond = "attribute_not_exists(#v)"
	} else {
		cond = "#v = :seen"
		in.ExpressionAttributeValues = map[string]types.AttributeValue{":seen": &types.AttributeValueMemberN{Value: strconv.FormatInt(s.Version, 10)}}
	}
	in.ConditionExpression = &cond
	start := time.Now()
	out, err := r.client.DeleteItem(ctx, in)
	r.observe("DeleteItem", start, consumed(out), err)
	if ccf, ok := isConditionFailed(err); ok {
		if ccf.Item == nil || ccf.Item[r.opts.DataAttr] == nil {
			return nil // already gone (or a husk of it): what the caller wanted
		}
		return fmt.Errorf("dynamosession: delete session %s: %w", redact(s.ID), ErrConflict)
	}
	return wrap("delete", s.ID, err)
}
