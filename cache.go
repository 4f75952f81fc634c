package dynamosession

import (
	"container/list"
	"errors"
	"fmt"
	"hash/maphash"
	"maps"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/internal/expiry"
)

// CacheOptions configures a repository's read cache (Options.Cache). The
// cache is off unless MaxStale is positive.
//
// # What it saves
//
// A page load is one HTML request and several API calls, and each of them
// reads the session. With the cache on, an eventually consistent
// [Repo.Get] of a session that this repository read or wrote less than
// MaxStale ago sends no request: it decodes the item kept in memory. On a
// page load of 1 + 9 requests within 2 seconds, a MaxStale of 2 s reads
// DynamoDB once instead of 10 times: 0.05 read unit per request instead of
// 0.5 for a session under 4 KB (measured on the in-memory fake,
// cache_internal_test.go). A bound shorter than the gap between a user's requests
// saves nothing: with one request every 30 seconds, only a MaxStale of
// 30 s or more avoids a read.
//
// Every Get decodes the cached item afresh, so each returns a Session of
// its own whose Data the caller may change: nothing the caller does to a
// session reaches the cache or another request. A hit thus costs the
// decode, as a read does; what it saves is the request, its round trip
// and the SDK's work (BenchmarkCacheGet, BenchmarkCachePageLoad). A Get
// served from the cache makes no request, so a client wrapper that meters
// requests (see [API]) sees none for it.
//
// # Staleness
//
// The cache is per repository and per process. A change made elsewhere
// (a logout, a save or a revocation of a user's sessions on another
// instance, a Node.js store writing the table) is seen by this repository
// at most MaxStale (by Options.Clock) after it last read the item from
// DynamoDB, plus the lag
// of the eventually consistent read that filled the cache (DynamoDB's
// replication, usually well under a second; it promises no bound). It is
// the staleness eventually consistent reads already have, over a longer
// window: set MaxStale to the longest time a logout on one instance may
// take to reach the others. Precisely:
//
//   - Create and Put keep the item they wrote (Supersede its tombstone,
//     so that requests with the old ID get ErrSuperseded from memory);
//     Save, Touch and Update update the cached item with what they wrote,
//     without renewing its age, so that the attributes they did not write
//     are never older than MaxStale.
//   - After Delete, DeleteIfUnchanged or DeleteUndecodable, this repository's
//     eventually consistent Gets report the session not found for
//     MaxStale without a request, even while an eventually consistent
//     read might still return the deleted item (and even if another
//     instance creates a session under the same ID in that time; a
//     strongly consistent read sees it).
//   - A write that fails, conflicts, or overlaps another write of the same
//     session through this repository (their order at the server is then
//     unknown) drops the item: the next Get reads.
//   - A strongly consistent read (consistency.Strong,
//     consistency.WithStrongRead, and the reads of Update) never uses the
//     cache, and refreshes it with what it read.
//   - A cached item whose expiry has passed is never served: the Get reads
//     DynamoDB, where another instance may have extended it.
//   - Misses are not cached: a session that is not found (or expired, or
//     cannot be decoded) is read again by the next Get, so that a login on
//     another instance is seen at once. Caching misses would save little
//     (a missing session is a new visitor, who gets a session at once) and
//     would delay every login elsewhere by MaxStale.
//
// # Writes of a cached session are safe
//
// A session read from the cache is written back under the same conditions
// as any other, checked by DynamoDB: Save, Touch and DeleteIfUnchanged never
// recreate a session deleted in the meantime (Save returns ErrNotFound,
// Touch returns false), a versioned Save of a stale session returns
// ErrConflict and never loses an update, and Update always reads afresh.
// An unversioned Save is last-writer-wins, with or without the cache: of
// a stale cached session, it overwrites a change another instance made
// within MaxStale. Set Options.Versioned where concurrent writers matter.
//
// # Memory
//
// The cache holds at most MaxEntries items and MaxBytes bytes, evicting
// the least recently used first, and drops items past MaxStale as it goes,
// so that it holds about the sessions read within MaxStale (at 100,000
// requests a minute and 10 requests per page load, a 2 s bound keeps
// about 330 sessions). An item is counted at its DynamoDB size (attribute
// names and values, what reads are billed by; a deleted session's marker
// at its key's length). The Go heap an item takes depends on its format:
// measured with 2 KB sessions (TestCacheHeapPerItemByte), about 1.4 heap
// bytes per counted byte for JSON and msgpack, whose data is one string
// or byte slice, and about 9 for a native map (the Map codec, the
// default), whose every field is a value of its own. With the defaults,
// the heap is thus at most about 75 MB with Map sessions and 12 MB with
// msgpack. An item larger than MaxBytes is not cached. The cache is safe
// for concurrent use, like the [Repo].
type CacheOptions struct {
	// MaxStale is the staleness bound: how long after this repository
	// read a session from DynamoDB, or wrote it whole, a Get may return
	// it from memory. Zero, the default, turns the cache off; a negative
	// value is an invalid option.
	MaxStale time.Duration

	// MaxEntries bounds the number of sessions cached. Default 10,000
	// when the cache is on.
	MaxEntries int

	// MaxBytes bounds the total size of the cached items, in bytes as
	// DynamoDB sizes items. Default 8 MiB when the cache is on: about
	// 5,000 sessions of 2 KB.
	MaxBytes int64
}

// Cache defaults, applied when MaxStale is positive.
const (
	defaultCacheEntries = 10_000
	defaultCacheBytes   = 8 << 20
)

func (c CacheOptions) withDefaults() CacheOptions {
	if c.MaxStale <= 0 {
		return c
	}
	if c.MaxEntries == 0 {
		c.MaxEntries = defaultCacheEntries
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = defaultCacheBytes
	}
	return c
}

func (c CacheOptions) validate() error {
	switch {
	case c.MaxStale < 0:
		return fmt.Errorf("Cache.MaxStale %v is negative", c.MaxStale)
	case c.MaxEntries < 0:
		return fmt.Errorf("Cache.MaxEntries %d is negative", c.MaxEntries)
	case c.MaxBytes < 0:
		return fmt.Errorf("Cache.MaxBytes %d is negative", c.MaxBytes)
	}
	return nil
}

// itemCache keeps stored items by key. A nil *itemCache is the cache
// turned off: every method is then a no-op that finds nothing.
//
// Items in the cache are never modified: a write replaces the map, so a
// Session decoded from an item may share its attribute values.
//
// Ordering. A read that misses takes a ticket holding the generation of
// its key's stripe; every write through the repository takes the
// generation when it starts and advances it when it ends. A read fills
// the cache only if no write of its stripe ended while it was in flight
// (its result may predate that write), and a write installs what it wrote
// only if no other write of its stripe ended while it was in flight
// (their order at the server is unknown); otherwise the entry is dropped.
// Stripes, rather than keys, keep this bookkeeping bounded; a collision
// only costs a read.
type itemCache struct {
	maxStale    time.Duration
	maxEntries  int
	maxBytes    int64
	expiresAttr string
	now         func() time.Time
	seed        maphash.Seed

	mu    sync.Mutex
	lru   list.List // of *cacheEntry, most recently used first
	byKey map[string]*list.Element
	bytes int64
	gens  [cacheStripes]uint64
}

const cacheStripes = 1024

type cacheEntry struct {
	key  string
	item map[string]types.AttributeValue // nil: deleted through this repository
	// at is when the item was last known to be whole and current: the
	// start of the read that fetched it or of the write that wrote it.
	at      time.Time
	expires time.Time // the item's expiry; zero if it has none
	size    int64
}

// cacheTicket carries what a read that missed needs to fill the cache.
type cacheTicket struct {
	on, hit bool
	key     string
	gen     uint64
	at      time.Time
}

// newItemCache returns the cache o configures, or nil when it is off.
func newItemCache(o CacheOptions, expiresAttr string, now func() time.Time) *itemCache {
	if o.MaxStale <= 0 {
		return nil
	}
	return &itemCache{
		maxStale:    o.MaxStale,
		maxEntries:  o.MaxEntries,
		maxBytes:    o.MaxBytes,
		expiresAttr: expiresAttr,
		now:         now,
		seed:        maphash.MakeSeed(),
		byKey:       make(map[string]*list.Element),
	}
}

func (c *itemCache) stripe(k string) *uint64 {
	return &c.gens[maphash.String(c.seed, k)%cacheStripes]
}

// lookup returns the cached item for a Get of key k at now. The ticket
// reports a hit; a hit with a nil item is a session deleted through this
// repository. A strongly consistent read never hits.
func (c *itemCache) lookup(k string, strong bool, now time.Time) (map[string]types.AttributeValue, cacheTicket) {
	if c == nil {
		return nil, cacheTicket{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	t := cacheTicket{on: true, key: k, gen: *c.stripe(k), at: now}
	if strong {
		return nil, t
	}
	el, ok := c.byKey[k]
	if !ok {
		return nil, t
	}
	e := el.Value.(*cacheEntry)
	if !c.fresh(e, now) || e.item != nil && !e.expires.IsZero() && !e.expires.After(now) {
		c.remove(el)
		return nil, t
	}
	c.lru.MoveToFront(el)
	t.hit = true
	return e.item, t
}

// fresh reports whether e may be served at now. A clock that went back
// makes every entry stale rather than young.
func (c *itemCache) fresh(e *cacheEntry, now time.Time) bool {
	age := now.Sub(e.at)
	return age >= 0 && age < c.maxStale
}

// fill keeps the item a read that missed fetched, unless a write of its
// stripe ended while the read was in flight.
func (c *itemCache) fill(t cacheTicket, item map[string]types.AttributeValue) {
	if !t.on || t.hit {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	// A write that ended since the read began may have landed after the
	// read: what that write settled, not this older item, is current.
	// This also keeps a deletion marker from being overwritten by a read
	// that began before the delete; a later eventually consistent read
	// cannot overwrite it either, since it hits the marker.
	if *c.stripe(t.key) != t.gen {
		return
	}
	c.set(t.key, item, t.at)
}

// begin returns the generation a write of key k starts at, for the call
// that settles it (created, wrote or deleted).
func (c *itemCache) begin(k string) uint64 {
	if c == nil {
		return 0
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return *c.stripe(k)
}

// created settles a PutItem of the whole item under k, begun at gen and
// at time at: if it succeeded, the item is cached as current at at.
func (c *itemCache) created(k string, item map[string]types.AttributeValue, at time.Time, gen uint64, err *error) {
	c.settle(k, gen, func() {
		if *err != nil {
			c.drop(k)
			return
		}
		c.set(k, item, at)
	})
}

// wrote settles an UpdateItem of k with w's SET and REMOVE clauses, begun
// at gen: if it succeeded, a cached item gets the attributes written and
// keeps its age; if it failed with ErrNotFound, it found the session
// deleted.
func (c *itemCache) wrote(k string, w *write, gen uint64, err *error) {
	c.settle(k, gen, func() {
		switch {
		case errors.Is(*err, ErrNotFound):
			c.set(k, nil, c.now())
		case *err != nil:
			c.drop(k)
		default:
			el, ok := c.byKey[k]
			if !ok {
				return // nothing cached: nothing to bring up to date
			}
			e := el.Value.(*cacheEntry)
			if e.item == nil {
				// Marked deleted here, yet the write found the session:
				// created again elsewhere. What else it holds is unknown.
				c.remove(el)
				return
			}
			item, ok := patched(e.item, w)
			if !ok {
				c.remove(el)
				return
			}
			c.set(k, item, e.at)
		}
	})
}

// deleted settles a DeleteItem of k begun at gen: if it succeeded, the
// session reads as not found here for MaxStale; any other outcome (a
// failed condition, an error) drops what is cached. Owner revocation,
// which deletes sessions by key, settles each of its deletes here:
//
//	gen := r.cache.begin(key)
//	out, err := r.client.DeleteItem(ctx, ...)
//	r.cache.deleted(key, gen, &err)
func (c *itemCache) deleted(k string, gen uint64, err *error) {
	c.settle(k, gen, func() {
		if *err != nil {
			c.drop(k)
			return
		}
		c.set(k, nil, c.now())
	})
}

// settle ends a write of k begun at generation gen. If no other write of
// k's stripe ended meanwhile, outcome decides the entry, under the lock;
// otherwise the order of the writes at the server is unknown, and the
// entry is dropped.
func (c *itemCache) settle(k string, gen uint64, outcome func()) {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	g := c.stripe(k)
	alone := *g == gen
	*g++
	if !alone {
		c.drop(k)
		return
	}
	outcome()
}

func (c *itemCache) drop(k string) {
	if el, ok := c.byKey[k]; ok {
		c.remove(el)
	}
}

// set stores item (nil for a deletion marker) under k, as current at at,
// and evicts the least recently used entries beyond the bounds. An item
// too large for the cache, or with an expiry it cannot parse, is not
// kept, and the entry it would have replaced is dropped.
func (c *itemCache) set(k string, item map[string]types.AttributeValue, at time.Time) {
	if el, ok := c.byKey[k]; ok {
		c.remove(el)
	}
	e := &cacheEntry{key: k, item: item, at: at, size: int64(len(k))}
	if item != nil {
		e.size = int64(capacity.ItemSize(item))
		if av, ok := item[c.expiresAttr]; ok {
			n, ok := av.(*types.AttributeValueMemberN)
			if !ok {
				return
			}
			t, err := expiry.Parse(n.Value)
			if err != nil {
				return
			}
			e.expires = t
		}
	}
	if e.size > c.maxBytes {
		return
	}
	c.byKey[k] = c.lru.PushFront(e)
	c.bytes += e.size
	for c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes {
		c.remove(c.lru.Back())
	}
	// An entry past the bound is never served again. Dropping such entries
	// from the least recently used end makes memory follow the sessions
	// in use within MaxStale rather than fill up to the bounds.
	now := c.now()
	for el := c.lru.Back(); el != nil && !c.fresh(el.Value.(*cacheEntry), now); el = c.lru.Back() {
		c.remove(el)
	}
}

func (c *itemCache) remove(el *list.Element) {
	e := c.lru.Remove(el).(*cacheEntry)
	delete(c.byKey, e.key)
	c.bytes -= e.size
}

// patched returns a copy of item with the SET and REMOVE clauses of w
// applied, or false when a clause is not a plain top-level
// "#name = :value" (SET) or "#name" (REMOVE) whose effect it can know.
func patched(item map[string]types.AttributeValue, w *write) (map[string]types.AttributeValue, bool) {
	out := maps.Clone(item)
	for _, clause := range w.set {
		n, v, ok := strings.Cut(clause, " = ")
		name, okName := w.names[n]
		val, okVal := w.values[v]
		if !ok || !okName || !okVal {
			return nil, false
		}
		out[name] = val
	}
	for _, n := range w.remove {
		name, ok := w.names[n]
		if !ok {
			return nil, false
		}
		delete(out, name)
	}
	return out, true
}
