package dynamosession

// Tests of the read cache's own bookkeeping (bounds, ordering, patches),
// the staleness it buys on a page-load workload, and benchmarks of a
// cached Get. The behaviour users see is in cache_test.go, on
// every backend.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/internal/attr"
	"github.com/dynamosession/dynamosession/internal/ddbjson"
	"github.com/dynamosession/dynamosession/internal/dynamotest"
	"github.com/dynamosession/dynamosession/internal/metered"
	"github.com/dynamosession/dynamosession/internal/testclock"
	"github.com/dynamosession/dynamosession/ttl"
)

func TestCacheOptions(t *testing.T) {
	db := fake.New()
	tests := []struct {
		name    string
		set     CacheOptions
		want    CacheOptions
		wantErr string
	}{
		{"off by default", CacheOptions{}, CacheOptions{}, ""},
		{"defaults when on", CacheOptions{MaxStale: time.Second}, CacheOptions{MaxStale: time.Second, MaxEntries: 10_000, MaxBytes: 8 << 20}, ""},
		{"bounds kept", CacheOptions{MaxStale: time.Second, MaxEntries: 5, MaxBytes: 4096}, CacheOptions{MaxStale: time.Second, MaxEntries: 5, MaxBytes: 4096}, ""},
		{"negative bound", CacheOptions{MaxStale: -time.Second}, CacheOptions{}, "Cache.MaxStale -1s is negative"},
		{"negative entries", CacheOptions{MaxStale: time.Second, MaxEntries: -1}, CacheOptions{}, "Cache.MaxEntries -1 is negative"},
		{"negative bytes", CacheOptions{MaxStale: time.Second, MaxBytes: -1}, CacheOptions{}, "Cache.MaxBytes -1 is negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := New[map[string]any](db, "sessions", func(o *Options[map[string]any]) { o.Cache = tt.set })
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidOptions) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New = %v, want ErrInvalidOptions saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, r.Options().Cache); diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if (r.cache != nil) != (tt.want.MaxStale > 0) {
				t.Errorf("cache on = %v, want %v", r.cache != nil, tt.want.MaxStale > 0)
			}
		})
	}
}

// check verifies the cache's bookkeeping: map and list agree, the byte
// count is the sum of the entries' sizes, and both bounds hold.
func (c *itemCache) check(t *testing.T) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.byKey) != c.lru.Len() {
		t.Fatalf("%d keys, %d list elements", len(c.byKey), c.lru.Len())
	}
	var sum int64
	for el := c.lru.Front(); el != nil; el = el.Next() {
		e := el.Value.(*cacheEntry)
		if c.byKey[e.key] != el {
			t.Fatalf("key %q maps to another element", e.key)
		}
		sum += e.size
	}
	if sum != c.bytes {
		t.Fatalf("bytes = %d, entries sum to %d", c.bytes, sum)
	}
	if c.lru.Len() > c.maxEntries || c.bytes > c.maxBytes {
		t.Fatalf("%d entries, %d bytes: over the bounds %d, %d", c.lru.Len(), c.bytes, c.maxEntries, c.bytes)
	}
}

func testItem(key string, payload int, expires time.Time) map[string]types.AttributeValue {
	return map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: key},
		"sess":    &types.AttributeValueMemberS{Value: strings.Repeat("x", payload)},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(expires.Unix())},
	}
}

// TestCacheBookkeeping drives one small cache with random operations from
// many goroutines (run with -race) and checks its invariants throughout.
func TestCacheBookkeeping(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := newItemCache(CacheOptions{MaxStale: time.Second, MaxEntries: 8, MaxBytes: 2000}, "expires", clock.Now)
	keys := make([]string, 20)
	for i := range keys {
		keys[i] = fmt.Sprintf("session#%02d", i)
	}
	errFailed := errors.New("failed")
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(g), 1))
			for i := range 2000 {
				k := keys[rnd.IntN(len(keys))]
				item := testItem(k, rnd.IntN(600), clock.Now().Add(time.Hour))
				var err error
				if rnd.IntN(4) == 0 {
					err = errFailed
				}
				switch rnd.IntN(6) {
				case 0, 1:
					got, tk := c.lookup(k, rnd.IntN(5) == 0, clock.Now())
					if !tk.hit {
						c.fill(tk, item)
					} else if got != nil && got["id"].(*types.AttributeValueMemberS).Value != k {
						t.Errorf("lookup(%s) returned the item of %v", k, got["id"])
					}
				case 2:
					c.created(k, item, clock.Now(), c.begin(k), &err)
				case 3:
					w := newWrite()
					w.names["#d"], w.values[":d"] = "sess", &types.AttributeValueMemberS{Value: strings.Repeat("y", rnd.IntN(900))}
					w.set = append(w.set, "#d = :d")
					c.wrote(k, w, c.begin(k), &err)
				case 4:
					c.deleted(k, c.begin(k), &err)
				case 5:
					if i%50 == 0 {
						clock.Advance(100 * time.Millisecond)
					}
				}
				if i%100 == 0 {
					c.check(t)
				}
			}
		}()
	}
	wg.Wait()
	c.check(t)
}

func TestCacheLookup(t *testing.T) {
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name    string
		age     time.Duration // clock movement after the fill
		expires time.Duration // item expiry after the fill (whole seconds are stored)
		strong  bool
		hit     bool
	}{
		{"young", 9999 * time.Millisecond, time.Hour, false, true},
		{"at the bound", 10 * time.Second, time.Hour, false, false},
		{"clock went back", -time.Millisecond, time.Hour, false, false},
		{"strong read", 0, time.Hour, true, false},
		{"at the expiry", 5 * time.Second, 5 * time.Second, false, false},
		{"just before the expiry", 4999 * time.Millisecond, 5 * time.Second, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := testclock.New(start)
			c := newItemCache(CacheOptions{MaxStale: 10 * time.Second, MaxEntries: 10, MaxBytes: 1 << 20}, "expires", clock.Now)
			_, tk := c.lookup("k", false, clock.Now())
			c.fill(tk, testItem("k", 10, start.Add(tt.expires)))
			clock.Advance(tt.age)
			item, tk := c.lookup("k", tt.strong, clock.Now())
			if tk.hit != tt.hit || (item != nil) != tt.hit {
				t.Fatalf("hit = %v (item %v), want %v", tk.hit, item != nil, tt.hit)
			}
			if !tt.hit && !tt.strong {
				if _, again := c.lookup("k", false, start.Add(time.Second)); again.hit {
					t.Errorf("a stale or expired entry was kept")
				}
			}
		})
	}
}

// TestCacheDropsStaleEntries: entries past the bound are dropped as new
// ones come in, so that an instance whose traffic moved on does not keep
// its old sessions up to the bounds.
func TestCacheDropsStaleEntries(t *testing.T) {
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	c := newItemCache(CacheOptions{MaxStale: time.Second, MaxEntries: 100, MaxBytes: 1 << 20}, "expires", clock.Now)
	fill := func(k string) {
		_, tk := c.lookup(k, false, clock.Now())
		c.fill(tk, testItem(k, 100, clock.Now().Add(time.Hour)))
	}
	for i := range 50 {
		fill(fmt.Sprint("old", i))
	}
	clock.Advance(500 * time.Millisecond)
	fill("young")
	clock.Advance(500 * time.Millisecond) // the first 50 are at the bound
	fill("new")
	c.check(t)
	var keys []string
	for el := c.lru.Front(); el != nil; el = el.Next() {
		keys = append(keys, el.Value.(*cacheEntry).key)
	}
	if diff := cmp.Diff([]string{"new", "young"}, keys); diff != "" {
		t.Errorf("entries kept, mismatch (-want +got):\n%s", diff)
	}
}

func TestPatched(t *testing.T) {
	s := func(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
	item := map[string]types.AttributeValue{"id": s("k"), "sess": s("old"), "type": s("connect-session"), "owner": s("u1")}
	tests := []struct {
		name   string
		set    []string
		remove []string
		want   map[string]types.AttributeValue
		ok     bool
	}{
		{"set and remove", []string{"#d = :d", "#n = :n"}, []string{"#t"},
			map[string]types.AttributeValue{"id": s("k"), "sess": s("new"), "expires": s("9"), "owner": s("u1")}, true},
		{"nested path", []string{"#d.#t = :d"}, nil, nil, false},
		{"arithmetic", []string{"#d = #d + :d"}, nil, nil, false},
		{"unknown placeholder", []string{"#x = :d"}, nil, nil, false},
		{"function", []string{"#d = if_not_exists(#d, :d)"}, nil, nil, false},
		{"unknown remove", nil, []string{"#x"}, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWrite()
			w.names["#d"], w.names["#n"], w.names["#t"] = "sess", "expires", "type"
			w.values[":d"], w.values[":n"] = s("new"), s("9")
			w.set, w.remove = tt.set, tt.remove
			got, ok := patched(item, w)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(attr.Equal)); ok && diff != "" {
				t.Errorf("mismatch (-want +got):\n%s", diff)
			}
			if item["sess"].(*types.AttributeValueMemberS).Value != "old" || item["type"] == nil {
				t.Fatal("patched changed the cached item in place")
			}
		})
	}
}

// pageSession is a web session of about 2 KB as JSON: a user, a CSRF
// token, preferences and a cart.
type pageSession struct {
	User  string            `json:"user"`
	CSRF  string            `json:"csrf"`
	Roles []string          `json:"roles"`
	Prefs map[string]string `json:"prefs"`
	Cart  []pageCartLine    `json:"cart"`
	Views int               `json:"views"`
}

type pageCartLine struct {
	SKU   string `json:"sku"`
	Name  string `json:"name"`
	Qty   int    `json:"qty"`
	Cents int    `json:"cents"`
}

func newPageSession(user string) pageSession {
	s := pageSession{User: user, CSRF: strings.Repeat("c", 43), Roles: []string{"customer", "newsletter"}, Prefs: map[string]string{}}
	for i := range 8 {
		s.Prefs[fmt.Sprint("pref", i)] = fmt.Sprint("value-", i)
	}
	for i := range 20 {
		s.Cart = append(s.Cart, pageCartLine{SKU: fmt.Sprintf("SKU-%06d", i), Name: fmt.Sprint("Product number ", i, " with a name"), Qty: 1 + i%3, Cents: 999 * i})
	}
	return s
}

// pageEnv is a fake with a table, and the clock both it and the
// repositories read.
type pageEnv struct {
	db    *fake.DB
	table string
	clock *testclock.Clock
}

func newPageEnv(tb testing.TB) pageEnv {
	tb.Helper()
	clock := testclock.New(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	db := fake.New()
	return pageEnv{db: db, table: dynamotest.CreateTable(tb, db, "id", "expires"), clock: clock}
}

func (p pageEnv) repo(tb testing.TB, optFns ...func(*Options[pageSession])) *Repo[pageSession] {
	tb.Helper()
	r, err := New[pageSession](p.db, p.table, append([]func(*Options[pageSession]){func(o *Options[pageSession]) { o.Clock = p.clock.Now }}, optFns...)...)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}

// TestCacheHidesStaleReadsAfterLocalDelete: right after a delete, an
// eventually consistent read may still return the deleted item (the fake
// replays that with SetReplicaLag). Without the cache a logout can thus
// seem undone for a moment; with it, the repository that deleted the
// session reports it not found, and keeps no stale copy.
func TestCacheHidesStaleReadsAfterLocalDelete(t *testing.T) {
	for _, maxStale := range []time.Duration{0, time.Minute} {
		t.Run(fmt.Sprint("MaxStale=", maxStale), func(t *testing.T) {
			ctx := context.Background()
			p := newPageEnv(t)
			repo := p.repo(t, func(o *Options[pageSession]) { o.Cache.MaxStale = maxStale })
			if _, err := repo.Put(ctx, "s1", newPageSession("ada")); err != nil {
				t.Fatal(err)
			}
			p.db.SetReplicaLag(time.Hour)
			if err := repo.Delete(ctx, "s1"); err != nil {
				t.Fatal(err)
			}
			_, err := repo.Get(ctx, "s1")
			if maxStale == 0 {
				if err != nil {
					t.Fatalf("without the cache, the stale read = %v; the test needs it to return the deleted session", err)
				}
				return
			}
			if !errors.Is(err, ErrNotFound) {
				t.Fatalf("Get right after Delete through the cached repository = %v, want ErrNotFound", err)
			}
		})
	}
}

// pageLoadWorkload describes traffic of logged-in users: each user makes
// Visits page loads, Gap apart, and each page load is Requests requests,
// Spacing apart. Every request does what httpsession does for a page view
// that only reads the session: Get, Save (unchanged: no request) and
// Touch (throttled: no request within the hour).
type pageLoadWorkload struct {
	Name     string
	Requests int
	Spacing  time.Duration
	Visits   int
	Gap      time.Duration
}

var (
	// The workload: a page load is 1 + 9 requests within 2 s.
	onePlusNine = pageLoadWorkload{"1+9 requests within 2 s, page loads 30 s apart", 10, 200 * time.Millisecond, 5, 30 * time.Second}
	// The cost model's seed workload: one request every 30 s.
	seedWorkload = pageLoadWorkload{"1 request every 30 s (the cost model's page views)", 1, 0, 20, 30 * time.Second}
)

// play runs w for users sessions logged in on another instance (so that
// each visit starts with nothing cached) and returns the requests made
// and the read and write units they consumed.
func (w pageLoadWorkload) play(tb testing.TB, p pageEnv, maxStale time.Duration, users int) (requests int, read, write float64) {
	tb.Helper()
	ctx := context.Background()
	login := p.repo(tb)
	repo := p.repo(tb, func(o *Options[pageSession]) {
		o.Cache.MaxStale = maxStale
		o.Touch = ttl.TouchAfter(time.Hour)
	})
	ids := make([]string, users)
	for i := range ids {
		ids[i] = fmt.Sprintf("user-%04d-session", i)
		if _, err := login.Put(ctx, ids[i], newPageSession(fmt.Sprint("user", i))); err != nil {
			tb.Fatal(err)
		}
	}
	p.db.ResetStats()
	for range w.Visits {
		for r := range w.Requests {
			for _, id := range ids {
				s, err := repo.Get(ctx, id)
				if err != nil {
					tb.Fatal(err)
				}
				if err := repo.Save(ctx, s); err != nil {
					tb.Fatal(err)
				}
				if _, err := repo.Touch(ctx, s); err != nil {
					tb.Fatal(err)
				}
				requests++
			}
			if r < w.Requests-1 {
				p.clock.Advance(w.Spacing)
			}
		}
		p.clock.Advance(w.Gap - time.Duration(w.Requests-1)*w.Spacing)
	}
	st := p.db.Stats()
	return requests, st.ReadUnits, st.WriteUnits
}

// onDemandReadPerMillion is DynamoDB's on-demand price of a million read
// request units, us-east-1, Standard table class, in US dollars: the
// price since AWS halved on-demand prices on 1 November 2024
// (https://aws.amazon.com/dynamodb/pricing/on-demand/), as
// costmodel.DefaultPrices has it.
const onDemandReadPerMillion = 0.125

// TestCachePageLoadCost measures what the cache saves on the issue's
// workload and on the cost model's, in read units per request, and prints
// what that is worth at 100,000 requests a minute (go test -v -run
// TestCachePageLoadCost).
func TestCachePageLoadCost(t *testing.T) {
	const requestsPerMonth = 100_000 * 60 * 730 // 100k a minute, 730-hour month
	tests := []struct {
		w        pageLoadWorkload
		maxStale time.Duration
		want     float64 // read units per request, 2 KB sessions
	}{
		{onePlusNine, 0, 0.5},
		{onePlusNine, 500 * time.Millisecond, 0.2},
		{onePlusNine, time.Second, 0.1},
		{onePlusNine, 2 * time.Second, 0.05},
		{onePlusNine, 10 * time.Second, 0.05},
		{seedWorkload, 0, 0.5},
		{seedWorkload, 2 * time.Second, 0.5},
		{seedWorkload, 29 * time.Second, 0.5},
		{seedWorkload, time.Minute, 0.25},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s/MaxStale=%v", tt.w.Name, tt.maxStale), func(t *testing.T) {
			n, read, write := tt.w.play(t, newPageEnv(t), tt.maxStale, 10)
			perRequest := read / float64(n)
			if diff := perRequest - tt.want; diff > 1e-9 || diff < -1e-9 {
				t.Errorf("%.4f read units per request over %d requests, want %.4f", perRequest, n, tt.want)
			}
			if write != 0 {
				t.Errorf("%v write units: page views within the touch interval must not write", write)
			}
			t.Logf("%-52s MaxStale %-6v %.3f RU/request, $%.2f a month at 100k requests/min",
				tt.w.Name, tt.maxStale, perRequest, perRequest*requestsPerMonth*onDemandReadPerMillion/1e6)
		})
	}
}

// TestCacheHeapPerItemByte measures the Go heap the cache holds against
// the DynamoDB size it counts items at (the figure CacheOptions
// documents), and checks that the heap stays within a small multiple of
// MaxBytes however many sessions are read.
func TestCacheHeapPerItemByte(t *testing.T) {
	for _, c := range []codec.Codec[pageSession]{codec.Map[pageSession](), codec.JSON[pageSession](), codec.Msgpack[pageSession]()} {
		t.Run(string(c.Format()), func(t *testing.T) {
			ctx := context.Background()
			p := newPageEnv(t)
			const maxBytes = 256 << 10
			repo, err := New[pageSession](wireClient{p.db}, p.table, func(o *Options[pageSession]) {
				o.Clock = p.clock.Now
				o.Codec = c
				o.Cache = CacheOptions{MaxStale: time.Hour, MaxEntries: 1 << 20, MaxBytes: maxBytes}
			})
			if err != nil {
				t.Fatal(err)
			}
			writer := p.repo(t, func(o *Options[pageSession]) { o.Codec = c })
			const sessions = 500 // about three times what fits
			for i := range sessions {
				if _, err := writer.Put(ctx, fmt.Sprint("s", i), newPageSession("ada")); err != nil {
					t.Fatal(err)
				}
			}
			before := liveHeap()
			for i := range sessions {
				if _, err := repo.Get(ctx, fmt.Sprint("s", i)); err != nil {
					t.Fatal(err)
				}
			}
			after := liveHeap()
			repo.cache.check(t)
			counted, entries := repo.cache.bytes, repo.cache.lru.Len()
			perByte := float64(after-before) / float64(counted)
			t.Logf("%s: %d entries, %d bytes counted, %d heap bytes: %.1f heap bytes per counted byte", c.Format(), entries, counted, after-before, perByte)
			if counted > maxBytes || after-before > 12*maxBytes {
				t.Errorf("%d bytes counted, %d on the heap; want at most %d and %d", counted, after-before, maxBytes, 12*maxBytes)
			}
			runtime.KeepAlive(repo)
		})
	}
}

// wireClient returns items as the SDK does: values decoded afresh from
// the response's bytes. The fake's own items share their strings with
// what it stores, which would hide the strings' bytes from a heap count.
type wireClient struct{ API }

func (w wireClient) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := w.API.GetItem(ctx, in, optFns...)
	if err != nil || out.Item == nil {
		return out, err
	}
	b, err := ddbjson.MarshalItem(out.Item)
	if err == nil {
		out.Item, err = ddbjson.UnmarshalItem(b)
	}
	return out, err
}

func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkCacheGet compares a Get that reads the fake (cache off) with
// one served by the cache, per codec: the cache saves the request and the
// SDK's copying, and still decodes the item so each Get returns its own
// session.
func BenchmarkCacheGet(b *testing.B) {
	ctx := context.Background()
	codecs := []codec.Codec[pageSession]{codec.Map[pageSession](), codec.JSON[pageSession](), codec.Msgpack[pageSession]()}
	for _, c := range codecs {
		for _, maxStale := range []time.Duration{0, time.Hour} {
			name := map[bool]string{true: "hit", false: "off"}[maxStale > 0]
			b.Run(string(c.Format())+"/"+name, func(b *testing.B) {
				p := newPageEnv(b)
				repo := p.repo(b, func(o *Options[pageSession]) { o.Codec = c; o.Cache.MaxStale = maxStale })
				if _, err := repo.Put(ctx, "s", newPageSession("ada")); err != nil {
					b.Fatal(err)
				}
				b.ReportAllocs()
				for b.Loop() {
					if _, err := repo.Get(ctx, "s"); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkCachePageLoad plays the 1 + 9 workload with the cache off and
// with a 2 s bound. One iteration is one page load of one user: 10
// requests 200 ms apart, each doing what a read-only page view does (Get,
// Save, Touch); users take turns, so each page load starts with nothing
// cached. It reports the p50 and p99 latency of a request and the read
// units per request, on the fake (client CPU only) and on DynamoDB Local
// when DYNAMODB_ENDPOINT is set (a real HTTP round trip per read).
func BenchmarkCachePageLoad(b *testing.B) {
	backends := []struct {
		name  string
		setup func(b *testing.B) (API, string, *testclock.Clock)
	}{
		{"fake", func(b *testing.B) (API, string, *testclock.Clock) {
			p := newPageEnv(b)
			return p.db, p.table, p.clock
		}},
		{"dynamodb-local", func(b *testing.B) (API, string, *testclock.Clock) {
			if dynamotest.Endpoint() == "" {
				b.Skip("DYNAMODB_ENDPOINT is not set: run under scripts/dynamodb-local")
			}
			client := dynamotest.Client(b)
			// Real time as the base keeps expiries valid for the server.
			return client, dynamotest.CreateTable(b, client, "id", "expires"), testclock.New(time.Now().Truncate(time.Second))
		}},
	}
	const users, perLoad = 50, 10
	for _, be := range backends {
		for _, maxStale := range []time.Duration{0, 2 * time.Second} {
			b.Run(fmt.Sprintf("%s/MaxStale=%v", be.name, maxStale), func(b *testing.B) {
				ctx := context.Background()
				client, table, clock := be.setup(b)
				var mu sync.Mutex
				var read float64
				observe := func(c metered.Call) {
					if c.Op == "GetItem" && c.Consumed != nil && c.Consumed.CapacityUnits != nil {
						mu.Lock()
						read += *c.Consumed.CapacityUnits
						mu.Unlock()
					}
				}
				repo, err := New[pageSession](metered.New(client, observe), table, func(o *Options[pageSession]) {
					o.Clock = clock.Now
					o.Cache.MaxStale = maxStale
					o.Touch = ttl.TouchAfter(time.Hour)
				})
				if err != nil {
					b.Fatal(err)
				}
				ids := make([]string, users)
				for i := range ids {
					ids[i] = fmt.Sprintf("bench-%d-%v-%d", time.Now().UnixNano(), maxStale, i)
					if _, err := repo.Put(ctx, ids[i], newPageSession("ada")); err != nil {
						b.Fatal(err)
					}
				}
				var latencies []time.Duration
				pageLoad := func(u int) {
					for r := range perLoad {
						start := time.Now()
						s, err := repo.Get(ctx, ids[u%users])
						if err == nil {
							err = repo.Save(ctx, s)
						}
						if err == nil {
							_, err = repo.Touch(ctx, s)
						}
						if err != nil {
							b.Fatal(err)
						}
						latencies = append(latencies, time.Since(start))
						if r < perLoad-1 {
							clock.Advance(200 * time.Millisecond)
						}
					}
					clock.Advance(200 * time.Millisecond) // the next user's page load
				}
				for u := range 2 * users { // warm-up, untimed
					pageLoad(u)
				}
				mu.Lock()
				read = 0
				mu.Unlock()
				latencies = latencies[:0]
				u := 0
				for b.Loop() {
					pageLoad(u)
					u++
				}
				slices.Sort(latencies)
				b.ReportMetric(float64(latencies[len(latencies)/2].Nanoseconds())/1e3, "p50-µs")
				b.ReportMetric(float64(latencies[len(latencies)*99/100].Nanoseconds())/1e3, "p99-µs")
				mu.Lock()
				b.ReportMetric(read/float64(len(latencies)), "RU/request")
				mu.Unlock()
			})
		}
	}
}
