package dynamosession

// Owners (issue 16): who a session belongs to, stored in an attribute of
// its own that a sparse, keys-only global secondary index makes
// queryable, so that "sign out everywhere" is a Query and conditional
// deletes, never a Scan.
//
// Why the owner comes from the data (Options.Owner) rather than from an
// explicit argument at creation: the owner then can never disagree with
// the session's contents, and every write path (Put, Create, Save, Update,
// RewriteOnRead, the middleware's save at the end of a request) keeps the
// index right without knowing about owners. A login that puts the user ID
// into the session indexes it; a logout that clears the ID takes it out of
// the index; a login that rotates the session ID (as it should) creates
// the new session owned. An explicit owner would be a second source of
// truth that each of those paths would have to carry along.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/expression"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/ctxtime"
	"github.com/dynamosession/dynamosession/internal/expiry"
	redactpkg "github.com/dynamosession/dynamosession/internal/redact"
)

// OwnerAPI is what [Repo.ListOwner] and [Repo.RevokeOwner] need of the
// client beyond [API]: Query, on the owner index. *dynamodb.Client and
// *fake.DB implement it. It is separate from API so that a client that
// only reads and writes sessions (a wrapper, a test double) need not
// implement Query; the two methods return an error wrapping
// errors.ErrUnsupported when the repository's client lacks it.
type OwnerAPI interface {
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
}

// batchGetAPI is what ListOwner uses, when the client has it, to read the
// listed sessions 100 to a request instead of one GetItem each; the read
// units are the same.
type batchGetAPI interface {
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

var (
	_ OwnerAPI    = (*dynamodb.Client)(nil)
	_ batchGetAPI = (*dynamodb.Client)(nil)
)

// ErrInvalidOwner reports an owner that cannot be stored: empty where an
// owner is required, not valid UTF-8, or longer than 1024 bytes (half of
// DynamoDB's 2048-byte limit on an index partition key, so that the
// revocation marker's key, which holds the owner, fits too). Nothing was
// sent.
var ErrInvalidOwner = errors.New("dynamosession: invalid owner")

const maxOwnerBytes = 1024

// Owner-related constants.
const (
	// ownerPage is the Limit of one Query page. A page is revoked before
	// the next one is read, so memory stays bounded and an interrupted
	// revocation has made progress; 1,000 keys-only entries are about 100
	// KB, a few read units.
	ownerPage = 1000
	// batchGetMax is DynamoDB's limit of keys per BatchGetItem.
	batchGetMax = 100
	// ownerParallel bounds the deletes a revocation, or the reads a
	// listing without BatchGetItem, has in flight.
	ownerParallel = 8
	// markerTag follows the prefix in a revocation marker's key. A NUL
	// never appears in a cookie, so no session ID a browser sends can
	// name a marker; IDs that begin with it are refused when markers are
	// on (see [Repo.key]).
	markerTag = "\x00revoked\x00"
	// Attributes of a marker item. It has no data and no owner attribute:
	// a Get of its key finds a husk (not found), and it is not indexed.
	markerAtAttr   = "revoked_before"
	markerKeepAttr = "revoked_keep"
	// markerSlack keeps a marker stored an hour longer than the longest a
	// session it revokes can stay unchecked, for slow requests and skew.
	markerSlack = time.Hour
)

// ownerState is what a session's record says about its owner.
type ownerState struct {
	owner   string // "" for an anonymous session
	at      int64  // Unix milliseconds when the owner was set; 0 if unknown
	pending bool   // to be checked against the owner's revocation marker
}

// Owner returns the owner stored with the session, "" for an anonymous
// one or when the repository has neither Options.Owner nor
// Options.RevocationCheck. It is the owner as read or last written, not
// Options.Owner of the current Data: pass it to [Repo.RevokeOwner] to
// sign out the session's other devices.
func (s *Session[T]) Owner() string { return s.own.owner }

// ownersOn reports whether the repository reads owner attributes.
func ownersOn[T any](o Options[T]) bool { return o.Owner != nil || o.RevocationCheck > 0 }

func withOwnerDefaults[T any](o Options[T]) Options[T] {
	o.OwnerAttr = cmp.Or(o.OwnerAttr, "owner")
	o.OwnerIndex = cmp.Or(o.OwnerIndex, "owner-index")
	return o
}

func validateOwners[T any](o Options[T]) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s", ErrInvalidOptions, fmt.Sprintf(format, args...))
	}
	if o.RevocationCheck < 0 {
		return bad("RevocationCheck %v is negative", o.RevocationCheck)
	}
	// DynamoDB's rule for index names: 3 to 255 of [a-zA-Z0-9_.-].
	if n := len(o.OwnerIndex); n < 3 || n > 255 || strings.IndexFunc(o.OwnerIndex, func(c rune) bool {
		return !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '-')
	}) >= 0 {
		return bad("OwnerIndex %q is not a DynamoDB index name (3 to 255 of a-z A-Z 0-9 _ . -)", o.OwnerIndex)
	}
	return nil
}

func checkOwner(owner string) error {
	switch {
	case owner == "":
		return fmt.Errorf("%w: empty", ErrInvalidOwner)
	case !utf8.ValidString(owner):
		return fmt.Errorf("%w: not valid UTF-8", ErrInvalidOwner)
	case len(owner) > maxOwnerBytes:
		return fmt.Errorf("%w: %d bytes, at most %d", ErrInvalidOwner, len(owner), maxOwnerBytes)
	}
	return nil
}

// checkReservedID refuses, when revocation markers are on, a session ID
// that would make a session's key a marker's key.
func (r *Repo[T]) checkReservedID(id string) error {
	if r.opts.RevocationCheck > 0 && !r.opts.HashIDs && strings.HasPrefix(id, markerTag) {
		return fmt.Errorf("%w: begins with the revocation marker's reserved NUL tag", ErrInvalidID)
	}
	return nil
}

// ownerOf returns Options.Owner of the session's data, checked.
func (r *Repo[T]) ownerOf(id string, data *T) (string, error) {
	owner := r.opts.Owner(data)
	if owner == "" {
		return "", nil
	}
	if err := checkOwner(owner); err != nil {
		return "", fmt.Errorf("dynamosession: session %s: Options.Owner: %w", redact(id), err)
	}
	return owner, nil
}

// newOwner returns the owner state a write at now gives a session owned
// by owner.
func (r *Repo[T]) newOwner(owner string, now time.Time) ownerState {
	if owner == "" {
		return ownerState{}
	}
	return ownerState{owner: owner, at: now.UnixMilli(), pending: r.opts.RevocationCheck > 0}
}

// ownerOnCreate adds the owner attributes of data to a new item.
func (r *Repo[T]) ownerOnCreate(id string, item map[string]types.AttributeValue, data *T, now time.Time) (ownerState, error) {
	if r.opts.Owner == nil {
		return ownerState{}, nil
	}
	owner, err := r.ownerOf(id, data)
	if err != nil {
		return ownerState{}, err
	}
	st := r.newOwner(owner, now)
	if st.owner != "" {
		item[r.opts.OwnerAttr] = &types.AttributeValueMemberS{Value: st.owner}
		item[ownedAtAttr] = &types.AttributeValueMemberN{Value: strconv.FormatInt(st.at, 10)}
		if st.pending {
			item[ownerCheckAttr] = &types.AttributeValueMemberBOOL{Value: true}
		}
	}
	return st, nil
}

// ownerChange returns the owner a save of s must store, or nil when the
// stored owner is already Options.Owner of s.Data (or owners are off):
// then the save leaves the owner attributes alone, and the index is not
// written. A stored owner that disagrees with the data (the data changed
// user; Options.Owner was configured after the session was written; a
// Node.js store rewrote the item without the attribute) makes even a save
// of unchanged data write, once, so that no logged-in session stays out
// of the index.
func (r *Repo[T]) ownerChange(s *Session[T]) (*string, error) {
	if r.opts.Owner == nil {
		return nil, nil
	}
	owner, err := r.ownerOf(s.ID, &s.Data)
	if err != nil || owner == s.own.owner {
		return nil, err
	}
	return &owner, nil
}

// writeOwner adds to w the update that stores owner (from ownerChange),
// and to item its attributes for the size check; it returns the state the
// session has once the write lands, or nil for no change.
func (r *Repo[T]) writeOwner(w *write, item map[string]types.AttributeValue, owner *string, now time.Time) *ownerState {
	if owner == nil {
		return nil
	}
	st := r.newOwner(*owner, now)
	w.names["#own"], w.names["#owa"] = r.opts.OwnerAttr, ownedAtAttr
	if r.opts.RevocationCheck > 0 {
		w.names["#owc"] = ownerCheckAttr
	}
	if st.owner == "" {
		w.remove = append(w.remove, "#own", "#owa")
		if r.opts.RevocationCheck > 0 {
			w.remove = append(w.remove, "#owc")
		}
		return &st
	}
	w.values[":own"] = &types.AttributeValueMemberS{Value: st.owner}
	w.values[":owa"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(st.at, 10)}
	w.set = append(w.set, "#own = :own", "#owa = :owa")
	item[r.opts.OwnerAttr], item[ownedAtAttr] = w.values[":own"], w.values[":owa"]
	if st.pending {
		w.values[":owc"] = &types.AttributeValueMemberBOOL{Value: true}
		w.set = append(w.set, "#owc = :owc")
		item[ownerCheckAttr] = w.values[":owc"]
	}
	return &st
}

// readOwner reads a stored item's owner attributes. One of the wrong type
// is a *DecodeError: an owner the repository cannot read is never
// overwritten or silently dropped from the index.
func (r *Repo[T]) readOwner(id string, item map[string]types.AttributeValue) (ownerState, error) {
	var st ownerState
	av, ok := item[r.opts.OwnerAttr]
	if !ok {
		return st, nil
	}
	sv, ok := av.(*types.AttributeValueMemberS)
	if !ok {
		return st, &DecodeError{ID: id, Attr: r.opts.OwnerAttr, Err: fmt.Errorf("want a string, stored %T", av)}
	}
	st.owner = sv.Value
	if av, ok := item[ownedAtAttr]; ok {
		n, ok := av.(*types.AttributeValueMemberN)
		if !ok {
			return st, &DecodeError{ID: id, Attr: ownedAtAttr, Err: fmt.Errorf("want a number, stored %T", av)}
		}
		ms, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return st, &DecodeError{ID: id, Attr: ownedAtAttr, Err: fmt.Errorf("%q is not integer milliseconds", n.Value)}
		}
		st.at = ms
	}
	_, st.pending = item[ownerCheckAttr]
	return st, nil
}

// ownerOnGet reads the owner of a session Get found and, with revocation
// markers on, checks a session still in its check window against its
// owner's marker.
func (r *Repo[T]) ownerOnGet(ctx context.Context, s *Session[T], item map[string]types.AttributeValue) error {
	if !ownersOn(r.opts) {
		return nil
	}
	st, err := r.readOwner(s.ID, item)
	if err != nil {
		return err
	}
	s.own = st
	if r.opts.RevocationCheck > 0 && st.pending && st.owner != "" {
		return r.checkRevoked(ctx, s)
	}
	return nil
}

// markerKey returns the key of owner's revocation marker.
func (r *Repo[T]) markerKey(owner string) (string, error) {
	k := r.opts.Prefix + markerTag + owner
	if len(k) > capacity.MaxPartitionKeyBytes {
		return "", fmt.Errorf("%w: the revocation marker's key would be %d bytes, DynamoDB allows %d", ErrInvalidOwner, len(k), capacity.MaxPartitionKeyBytes)
	}
	return k, nil
}

// ownedCondition adds to w the condition that the stored session is still
// the one read: same owner, owned since the same instant.
func (r *Repo[T]) ownedCondition(w *write, st ownerState) {
	w.names["#own"], w.names["#owa"] = r.opts.OwnerAttr, ownedAtAttr
	w.values[":own"] = &types.AttributeValueMemberS{Value: st.owner}
	w.values[":owa"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(st.at, 10)}
	w.cond = append(w.cond, "#own = :own", "#owa = :owa")
}

// checkRevoked reads the owner's revocation marker, strongly consistent,
// for a session whose check window has not been closed yet. A session
// owned at or before the marker's instant, other than the one the
// revocation kept, is revoked: it is deleted (conditionally, best effort)
// and Get reports it not found. Once the window has passed without a
// revocation, one write clears the session's check attribute, and later
// Gets cost nothing extra. A failed marker read fails the Get: the check
// is never skipped.
func (r *Repo[T]) checkRevoked(ctx context.Context, s *Session[T]) error {
	mk, err := r.markerKey(s.own.owner)
	if err != nil {
		return err
	}
	strong := true
	out, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{
		TableName:      &r.table,
		Key:            r.keyAV(mk),
		ConsistentRead: &strong,
	})
	if err != nil {
		return wrap("get (revocation check)", s.ID, err)
	}
	if rb, ok := out.Item[markerAtAttr].(*types.AttributeValueMemberN); ok {
		before, err := strconv.ParseInt(rb.Value, 10, 64)
		if err != nil {
			return fmt.Errorf("dynamosession: get session %s: revocation marker of its owner: %q is not integer milliseconds", redact(s.ID), rb.Value)
		}
		keep, _ := out.Item[markerKeepAttr].(*types.AttributeValueMemberS)
		if s.own.at <= before && (keep == nil || keep.Value != s.key) {
			w := newWrite()
			r.ownedCondition(w, s.own)
			gen := r.cache.begin(s.key)
			_, derr := r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
				TableName: &r.table, Key: r.keyAV(s.key), ConditionExpression: w.condition(),
				ExpressionAttributeNames: w.names, ExpressionAttributeValues: w.values,
			})
			r.cache.deleted(s.key, gen, &derr)
			// Best effort: whether or not the delete landed, the marker
			// keeps the session revoked as long as it can be alive.
			return fmt.Errorf("dynamosession: get session %s: revoked: %w", redact(s.ID), ErrNotFound)
		}
	}
	if r.now().Before(time.UnixMilli(s.own.at).Add(r.opts.RevocationCheck)) {
		return nil
	}
	// The window has passed, and no revocation since the session got its
	// owner: any later one finds it in the index.
	w := newWrite()
	r.ownedCondition(w, s.own)
	w.names["#owc"] = ownerCheckAttr
	w.remove = append(w.remove, "#owc")
	gen := r.cache.begin(s.key)
	_, err = r.client.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName: &r.table, Key: r.keyAV(s.key), UpdateExpression: w.update(), ConditionExpression: w.condition(),
		ExpressionAttributeNames: w.names, ExpressionAttributeValues: w.values,
	})
	r.cache.wrote(s.key, w, gen, &err) // a cached copy loses its check flag too
	if err == nil {
		s.own.pending = false
	}
	// Otherwise (a race, a throttle) the next Get checks again.
	return nil
}

func ptrTo[V any](v V) *V { return &v }

// ownerCall checks the arguments of an owner operation before any
// request: the owner, the client (as an OwnerAPI), and the session ID
// the operation singles out ("" for none), whose key it returns.
func (r *Repo[T]) ownerCall(op, owner, id string) (OwnerAPI, string, error) {
	if err := checkOwner(owner); err != nil {
		return nil, "", fmt.Errorf("dynamosession: %s: %w", op, err)
	}
	api, ok := r.client.(OwnerAPI)
	if !ok {
		return nil, "", fmt.Errorf("dynamosession: %s: client %T has no Query (see OwnerAPI): %w", op, r.client, errors.ErrUnsupported)
	}
	if id == "" {
		return api, "", nil
	}
	k, err := r.key(id)
	return api, k, err
}

// ownerKeys queries the owner index for owner's session keys and hands
// them to page, one Query page (at most ownerPage keys) at a time.
func (r *Repo[T]) ownerKeys(ctx context.Context, api OwnerAPI, op, owner string, page func([]string) error) error {
	expr, err := expression.NewBuilder().
		WithKeyCondition(expression.Key(r.opts.OwnerAttr).Equal(expression.Value(owner))).
		Build()
	if err != nil {
		return fmt.Errorf("dynamosession: %s: building the key condition: %w", op, err)
	}
	in := &dynamodb.QueryInput{
		TableName:                 &r.table,
		IndexName:                 &r.opts.OwnerIndex,
		KeyConditionExpression:    expr.KeyCondition(),
		ExpressionAttributeNames:  expr.Names(),
		ExpressionAttributeValues: expr.Values(),
		Limit:                     ptrTo(int32(ownerPage)),
	}
	for {
		out, err := api.Query(ctx, in)
		if err != nil {
			return fmt.Errorf("dynamosession: %s: query %s: %w", op, r.opts.OwnerIndex, err)
		}
		keys := make([]string, 0, len(out.Items))
		for _, item := range out.Items {
			if k, ok := item[r.opts.KeyAttr].(*types.AttributeValueMemberS); ok {
				keys = append(keys, k.Value)
			}
		}
		if err := page(keys); err != nil {
			return err
		}
		if len(out.LastEvaluatedKey) == 0 {
			return nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}

// OwnedSession describes one live session of an owner, as [Repo.ListOwner]
// lists it. It holds no session ID: an ID is a bearer credential, and a
// page listing a user's devices must not hand out the others' IDs.
type OwnedSession struct {
	// RedactedID is the first 6 characters of the session ID and "…"
	// (with Options.HashIDs, of the stored hash instead), enough to tell
	// sessions apart on a page.
	RedactedID string
	// Current is true for the session whose ID was passed to ListOwner as
	// the current one.
	Current bool
	// OwnedAt is when the session got its owner (the login); zero if the
	// record does not say.
	OwnedAt time.Time
	// LastWritten is when the session was last written or touched:
	// ExpiresAt minus the TTL policy's lifetime, the rule the touch
	// throttle uses too (so it is off by the difference if the lifetime
	// changed since, or another store wrote the record). Zero when the
	// record has no expiry.
	LastWritten time.Time
	// ExpiresAt is the stored expiry; zero if the record has none.
	ExpiresAt time.Time
}

// ListOwner returns owner's live sessions, most recently written first,
// marking the one whose ID is currentID ("" for none). Expired records,
// husks, and entries of sessions that changed owner since the index saw
// them are left out.
//
// Cost and requests: one Query of the owner index per 1,000 sessions
// (0.5 read unit per started 4 KB of keys: about 80 keys of 50 bytes), then
// the sessions' items, eventually consistent, 0.5 read unit per started 4
// KB of each: one BatchGetItem per 100 sessions when the client has
// BatchGetItem (*dynamodb.Client does), else one GetItem per session, 8
// in flight. A keys-only index holds no expiry; reading the items at
// listing time costs less than projecting the expiry into the index,
// which would make every save and touch write the index too (see the
// README's measured figures). The index is eventually consistent: a
// session created a moment ago may be missing from the list.
//
// The client must implement [OwnerAPI]; the table needs the index
// Options.OwnerIndex, partition key Options.OwnerAttr (S), projection
// KEYS_ONLY. It returns ErrInvalidOwner for an empty or invalid owner.
func (r *Repo[T]) ListOwner(ctx context.Context, owner, currentID string) ([]OwnedSession, error) {
	api, currentKey, err := r.ownerCall("list sessions", owner, currentID)
	if err != nil {
		return nil, err
	}
	now := r.now()
	var list []OwnedSession
	err = r.ownerKeys(ctx, api, "list sessions", owner, func(keys []string) error {
		items, err := r.readItems(ctx, keys)
		if err != nil {
			return err
		}
		for _, item := range items {
			if os, ok := r.ownedSession(item, owner, currentKey, now); ok {
				list = append(list, os)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(list, func(a, b OwnedSession) int {
		if c := b.LastWritten.Compare(a.LastWritten); c != 0 {
			return c
		}
		if c := b.OwnedAt.Compare(a.OwnedAt); c != 0 {
			return c
		}
		return strings.Compare(a.RedactedID, b.RedactedID)
	})
	return list, nil
}

// ownedSession describes a stored item for ListOwner, or reports false
// for one that is not a live session of owner.
func (r *Repo[T]) ownedSession(item map[string]types.AttributeValue, owner, currentKey string, now time.Time) (OwnedSession, bool) {
	k, _ := item[r.opts.KeyAttr].(*types.AttributeValueMemberS)
	if k == nil || item[r.opts.DataAttr] == nil {
		return OwnedSession{}, false // gone since the Query, or a husk
	}
	st, err := r.readOwner("", item)
	if err != nil || st.owner != owner {
		return OwnedSession{}, false // changed owner; the index has not caught up
	}
	os := OwnedSession{RedactedID: redactpkg.ID(strings.TrimPrefix(k.Value, r.opts.Prefix)), Current: k.Value == currentKey}
	if st.at != 0 {
		os.OwnedAt = time.UnixMilli(st.at)
	}
	if n, ok := item[r.opts.ExpiresAttr].(*types.AttributeValueMemberN); ok {
		t, err := expiry.Parse(n.Value)
		if err != nil || !t.After(now) {
			return OwnedSession{}, false // expired, or an expiry no read accepts
		}
		os.ExpiresAt, os.LastWritten = t, t.Add(-r.opts.TTL.Lifetime())
	}
	return os, true
}

// readItems reads the items stored under keys, eventually consistent,
// leaving out those that are gone: 100 to a request if the client has
// BatchGetItem, else one GetItem each, ownerParallel in flight.
func (r *Repo[T]) readItems(ctx context.Context, keys []string) ([]map[string]types.AttributeValue, error) {
	if api, ok := r.client.(batchGetAPI); ok {
		var items []map[string]types.AttributeValue
		for chunk := range slices.Chunk(keys, batchGetMax) {
			got, err := r.batchGet(ctx, api, chunk)
			if err != nil {
				return nil, err
			}
			items = append(items, got...)
		}
		return items, nil
	}
	items := make([]map[string]types.AttributeValue, len(keys))
	err := inParallel(ctx, len(keys), func(i int) error {
		out, err := r.client.GetItem(ctx, &dynamodb.GetItemInput{TableName: &r.table, Key: r.keyAV(keys[i])})
		if err != nil {
			return fmt.Errorf("dynamosession: list sessions: get: %w", err)
		}
		items[i] = out.Item
		return nil
	})
	return slices.DeleteFunc(items, func(item map[string]types.AttributeValue) bool { return item == nil }), err
}

// inParallel runs f(0) … f(n-1), ownerParallel at a time, and returns
// how many failed and the first error; after ctx is done it starts no
// more.
func inParallel(ctx context.Context, n int, f func(i int) error) error {
	sem := make(chan struct{}, ownerParallel)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var errs []error
	for i := range n {
		if ctx.Err() != nil {
			break
		}
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			if err := f(i); err != nil {
				mu.Lock()
				errs = append(errs, err)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("%d of %d requests failed (retry to finish), first: %w", len(errs), n, errs[0])
	}
	return ctx.Err()
}

// batchGet reads the items of keys (at most 100), eventually consistent,
// retrying the keys DynamoDB leaves unprocessed (under throttling or the
// 16 MB response limit) with backoff.
func (r *Repo[T]) batchGet(ctx context.Context, api batchGetAPI, keys []string) ([]map[string]types.AttributeValue, error) {
	var ka types.KeysAndAttributes
	for _, k := range keys {
		ka.Keys = append(ka.Keys, r.keyAV(k))
	}
	request := map[string]types.KeysAndAttributes{r.table: ka}
	var items []map[string]types.AttributeValue
	backoff := 50 * time.Millisecond
	for stalled := 0; ; {
		out, err := api.BatchGetItem(ctx, &dynamodb.BatchGetItemInput{RequestItems: request})
		if err != nil {
			return nil, fmt.Errorf("dynamosession: list sessions: batch get: %w", err)
		}
		items = append(items, out.Responses[r.table]...)
		left, ok := out.UnprocessedKeys[r.table]
		if !ok || len(left.Keys) == 0 {
			return items, nil
		}
		if len(left.Keys) < len(request[r.table].Keys) {
			stalled = 0
		} else if stalled++; stalled >= 8 {
			return nil, fmt.Errorf("dynamosession: list sessions: batch get: %d keys still unprocessed after %d tries", len(left.Keys), stalled)
		}
		request = out.UnprocessedKeys
		if err := ctxtime.Sleep(ctx, backoff); err != nil {
			return nil, err
		}
		backoff = min(2*backoff, time.Second)
	}
}

// Revocation is what [Repo.RevokeOwner] did.
type Revocation struct {
	// Ended counts the live sessions it deleted.
	Ended int
	// Dead counts the owner's expired records and husks (records without
	// data) it deleted on the way: DynamoDB's TTL would have, later, but a
	// keys-only index cannot tell them apart before the delete.
	Dead int
}

// RevokeOwner ends every session owner had when it was called, except the
// session whose ID is keepID ("" ends them all): the current device, for
// "sign out other devices". It queries the owner index, a page of at most
// 1,000 sessions at a time, and deletes each session (8 deletes in flight)
// on condition that it is still owned by owner and got that owner no
// later than the call began, so a session that changed owner, or whose
// user logged in again meanwhile, is left alone. It is idempotent and
// safe to retry: a second call ends what the first did not.
//
// Cost: the Query reads 0.5 read unit per started 4 KB of keys (about 80
// keys of 50 bytes); each delete writes 1 unit per started KB of the session
// plus 1 for its index entry; with Options.RevocationCheck, one write of
// the owner's revocation marker (1 unit) before the Query.
//
// The owner index is eventually consistent: without
// Options.RevocationCheck, a session that got its owner less than about a
// second before the call (the index's usual lag; DynamoDB promises no
// bound) may be missed. Call RevokeOwner again a minute later to catch
// it, or set RevocationCheck, which closes that window. Ended may
// undercount by the deletes the SDK retried after a lost response (those
// sessions are gone all the same).
//
// With Options.Cache, this repository stops serving the revoked sessions
// from memory at once; another instance's cache may serve its copy of one
// for up to its MaxStale (see CacheOptions), except a session still in
// its RevocationCheck window, whose marker is read even on a cache hit.
//
// If some deletes fail (throttling, a canceled ctx), it stops after the
// current page and returns what it ended with an error; a retry finishes
// the job. It returns ErrInvalidOwner for an empty or invalid owner, and
// an error wrapping errors.ErrUnsupported if the client lacks [OwnerAPI].
func (r *Repo[T]) RevokeOwner(ctx context.Context, owner, keepID string) (Revocation, error) {
	var rev Revocation
	api, keepKey, err := r.ownerCall("revoke sessions", owner, keepID)
	if err != nil {
		return rev, err
	}
	now := r.now()
	if r.opts.RevocationCheck > 0 {
		if err := r.putMarker(ctx, owner, keepKey, now); err != nil {
			return rev, err
		}
	}
	var mu sync.Mutex
	err = r.ownerKeys(ctx, api, "revoke sessions", owner, func(keys []string) error {
		keys = slices.DeleteFunc(keys, func(k string) bool { return k == keepKey })
		err := inParallel(ctx, len(keys), func(i int) error {
			live, ended, err := r.revokeOne(ctx, keys[i], owner, now)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				return err
			case ended && live:
				rev.Ended++
			case ended:
				rev.Dead++
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("dynamosession: revoke sessions: %w", err)
		}
		return nil
	})
	return rev, err
}

// revokeOne deletes the session stored under key if owner still owns it
// since before the revocation began, and reports whether it deleted a
// record and whether that record was a live session.
func (r *Repo[T]) revokeOne(ctx context.Context, key, owner string, began time.Time) (live, ended bool, err error) {
	w := newWrite()
	w.names["#own"], w.names["#owa"] = r.opts.OwnerAttr, ownedAtAttr
	w.values[":own"] = &types.AttributeValueMemberS{Value: owner}
	w.values[":began"] = &types.AttributeValueMemberN{Value: strconv.FormatInt(began.UnixMilli(), 10)}
	w.cond = append(w.cond, "#own = :own", "(attribute_not_exists(#owa) OR #owa <= :began)")
	gen := r.cache.begin(key)
	out, err := r.client.DeleteItem(ctx, &dynamodb.DeleteItemInput{
		TableName:                 &r.table,
		Key:                       r.keyAV(key),
		ConditionExpression:       w.condition(),
		ExpressionAttributeNames:  w.names,
		ExpressionAttributeValues: w.values,
		ReturnValues:              types.ReturnValueAllOld,
	})
	r.cache.deleted(key, gen, &err) // this instance serves it no more
	if _, ok := isConditionFailed(err); ok {
		return false, false, nil // gone, changed owner, or owned since
	}
	if err != nil {
		return false, false, fmt.Errorf("dynamosession: revoke session %s: %w", redactpkg.ID(strings.TrimPrefix(key, r.opts.Prefix)), err)
	}
	return r.isLive(out.Attributes, r.now()), true, nil
}

// isLive reports whether a deleted item was a session a Get would have
// returned: it has data and an expiry (if any) that had not passed.
func (r *Repo[T]) isLive(item map[string]types.AttributeValue, now time.Time) bool {
	if item[r.opts.DataAttr] == nil {
		return false
	}
	av, ok := item[r.opts.ExpiresAttr]
	if !ok {
		return true
	}
	n, ok := av.(*types.AttributeValueMemberN)
	if !ok {
		return false
	}
	t, err := expiry.Parse(n.Value)
	return err == nil && t.After(now)
}

// putMarker records that owner's sessions owned at or before now, except
// the one under keepKey, are revoked. It never replaces a later marker.
// The marker lives as long as a session it revokes can go unchecked: the
// check window, plus the TTL lifetime a write in that window gives, plus
// an hour of slack.
func (r *Repo[T]) putMarker(ctx context.Context, owner, keepKey string, now time.Time) error {
	mk, err := r.markerKey(owner)
	if err != nil {
		return fmt.Errorf("dynamosession: revoke sessions: %w", err)
	}
	item := map[string]types.AttributeValue{
		r.opts.KeyAttr:     &types.AttributeValueMemberS{Value: mk},
		markerAtAttr:       &types.AttributeValueMemberN{Value: strconv.FormatInt(now.UnixMilli(), 10)},
		r.opts.ExpiresAttr: &types.AttributeValueMemberN{Value: expiry.Format(now.Add(r.opts.RevocationCheck + r.opts.TTL.Lifetime() + markerSlack))},
	}
	if keepKey != "" {
		item[markerKeepAttr] = &types.AttributeValueMemberS{Value: keepKey}
	}
	// A marker replaces an older one. At the same millisecond, a marker
	// that keeps nothing covers any other, and two that keep different
	// sessions each wanted the other's ended: the merged marker keeps
	// nothing (found by a breaker: the second was dropped).
	cond := "attribute_not_exists(#rb) OR #rb < :rb"
	names := map[string]string{"#rb": markerAtAttr}
	values := map[string]types.AttributeValue{":rb": item[markerAtAttr]}
	if keepKey == "" {
		cond = "attribute_not_exists(#rb) OR #rb <= :rb"
	} else {
		cond += " OR (#rb = :rb AND #kp = :kp)"
		names["#kp"], values[":kp"] = markerKeepAttr, item[markerKeepAttr]
	}
	_, err = r.client.PutItem(ctx, &dynamodb.PutItemInput{
		TableName:                           &r.table,
		Item:                                item,
		ConditionExpression:                 &cond,
		ExpressionAttributeNames:            names,
		ExpressionAttributeValues:           values,
		ReturnValuesOnConditionCheckFailure: types.ReturnValuesOnConditionCheckFailureAllOld,
	})
	if ccf, ok := isConditionFailed(err); ok {
		old, _ := ccf.Item[markerAtAttr].(*types.AttributeValueMemberN)
		_, oldKeeps := ccf.Item[markerKeepAttr]
		if keepKey != "" && old != nil && old.Value == item[markerAtAttr].(*types.AttributeValueMemberN).Value && oldKeeps {
			return r.putMarker(ctx, owner, "", now) // same instant, other session kept: keep none
		}
		return nil // a later marker, or one at this instant keeping nothing, covers this one
	}
	if err != nil {
		return fmt.Errorf("dynamosession: revoke sessions: writing the revocation marker: %w", err)
	}
	return nil
}
