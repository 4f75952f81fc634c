// This file tests the read cache (CacheOptions) through the repository.

package dynamosession_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/consistency"
	"github.com/dynamosession/dynamosession/internal/capacity"
	"github.com/dynamosession/dynamosession/ttl"
	"github.com/google/go-cmp/cmp"
)

// Contract cases of the read cache (Options.Cache), run on every backend
// by TestContract. Two repositories on one table stand for two instances
// of an application: each has a cache of its own, as two processes would.
// Time passes only through the env's clock, which the caches measure
// staleness with.

func cacheCases() []contractCase {
	return []contractCase{
		{"CacheServesRepeatedReadsWithinBound", testCacheRepeatedReads},
		{"CacheHandsOutIndependentCopies", testCacheIndependentCopies},
		{"CacheSeesLoginElsewhereAtOnceAndLogoutWithinBound", testCacheLogoutElsewhere},
		{"CacheNeverResurrectsSessionDeletedElsewhere", testCacheNoResurrection},
		{"CacheSeesLocalDeleteAtOnce", testCacheLocalDelete},
		{"CacheKeepsLocalWrites", testCacheLocalWrites},
		{"CacheStaleVersionedSaveConflicts", testCacheStaleVersionedSave},
		{"CacheLosesNoUpdateAcrossInstances", testCacheNoLostUpdate},
		{"CacheBypassedByStrongReads", testCacheStrongReads},
		{"CacheEvictsByEntries", testCacheEvictsByEntries},
		{"CacheEvictsByBytes", testCacheEvictsByBytes},
		{"CacheNeverServesExpired", testCacheNeverServesExpired},
		{"CacheCoherentUnderConcurrentWrites", testCacheCoherent},
		{"CacheReadRacingWriteKeepsTheWrite", testCacheReadRacingWrite},
		{"CacheSaveOverADeletionMarker", testCacheSaveOverMarker},
		{"CacheSeesLocalSupersede", testCacheLocalSupersede},
		{"CacheSeesLocalDeleteUndecodable", testCacheLocalDeleteUndecodable},
		{"CacheWritesAnsweredOutOfOrderLeaveNothingStale", testCacheWritesOutOfOrder},
	}
}

// cached returns a repository with a read cache of bound maxStale.
func cached(t *testing.T, e *env, maxStale time.Duration, optFns ...func(*dynamosession.Options[cart])) *dynamosession.Repo[cart] {
	t.Helper()
	return newRepo(t, e, append([]func(*dynamosession.Options[cart]){func(o *dynamosession.Options[cart]) {
		o.Cache.MaxStale = maxStale
	}}, optFns...)...)
}

// gets reads id through repo and reports how many requests that took.
func gets(t *testing.T, e *env, repo *dynamosession.Repo[cart], ctx context.Context, id string) (*dynamosession.Session[cart], int, error) {
	t.Helper()
	before := e.count("")
	s, err := repo.Get(ctx, id)
	return s, e.count("") - before, err
}

func testCacheRepeatedReads(t *testing.T, e *env) {
	ctx := context.Background()
	writer := newRepo[cart](t, e) // another instance logs the user in
	repo := cached(t, e, 2*time.Second)
	id := newID(t)
	want := cart{User: "ada", Items: []string{"book"}}
	if _, err := writer.Put(ctx, id, want); err != nil {
		t.Fatal(err)
	}
	e.reset()
	// A page load: 1 + 9 requests within 2 s, 200 ms apart.
	for i := range 10 {
		s, err := repo.Get(ctx, id)
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		if diff := cmp.Diff(want, s.Data); diff != "" {
			t.Fatalf("request %d: mismatch (-want +got):\n%s", i, diff)
		}
		if i < 9 {
			e.clock.Advance(200 * time.Millisecond)
		}
	}
	read, _ := e.units()
	if n := e.count("GetItem"); n != 1 || read != 0.5 {
		t.Errorf("10 reads within the bound: %d GetItems, %v read units; want 1 and 0.5", n, read)
	}
	// 2 s after the read that filled it, the entry is stale.
	e.clock.Advance(200 * time.Millisecond)
	if _, n, err := gets(t, e, repo, ctx, id); err != nil || n != 1 {
		t.Errorf("Get at the bound = %v after %d requests, want a read", err, n)
	}
	// A session created through the cached repository is read from memory.
	id2 := newID(t)
	if _, err := repo.Put(ctx, id2, want); err != nil {
		t.Fatal(err)
	}
	if _, n, err := gets(t, e, repo, ctx, id2); err != nil || n != 0 {
		t.Errorf("Get after Put = %v after %d requests, want none", err, n)
	}
}

// testCacheIndependentCopies: a handler changes the Data it got; neither
// the cache nor the next request may see that unsaved change, for every
// codec, with slices, maps and bytes in the session, whether the entry
// came from a read or from Create.
func testCacheIndependentCopies(t *testing.T, e *env) {
	codecs := []codec.Codec[cart]{
		codec.Map[cart](), codec.JSON[cart](), codec.Msgpack[cart](),
		codec.Compressed[cart](codec.Msgpack[cart]()),
	}
	for _, c := range codecs {
		t.Run(string(c.Format()), func(t *testing.T) {
			ctx := context.Background()
			repo := cached(t, e, time.Minute, func(o *dynamosession.Options[cart]) { o.Codec = c })
			fresh := func() cart {
				return cart{User: "ada", Items: []string{"book", "pen"}, Count: 2, Meta: map[string]any{"k": "v", "l": []any{"x"}}, Blob: []byte{1, 2, 3}}
			}
			scribble := func(d *cart) {
				d.User = "mallory"
				d.Items[0] = "changed"
				d.Items = append(d.Items, "added")
				d.Meta["k"] = "changed"
				d.Meta["l"].([]any)[0] = "changed"
				d.Blob[0] = 99
			}
			for _, from := range []string{"create", "read"} {
				id := newID(t)
				data := fresh()
				if from == "create" {
					s, err := repo.Put(ctx, id, data)
					if err != nil {
						t.Fatal(err)
					}
					scribble(&s.Data)
					scribble(&data)
				} else {
					if _, err := newRepo(t, e, func(o *dynamosession.Options[cart]) { o.Codec = c }).Put(ctx, id, data); err != nil {
						t.Fatal(err)
					}
				}
				for i := range 3 {
					s, n, err := gets(t, e, repo, ctx, id)
					if err != nil {
						t.Fatal(err)
					}
					if wantN := map[bool]int{true: 1, false: 0}[from == "read" && i == 0]; n != wantN {
						t.Fatalf("%s: Get %d sent %d requests, want %d", from, i, n, wantN)
					}
					if diff := cmp.Diff(fresh(), s.Data); diff != "" {
						t.Fatalf("%s: Get %d sees an unsaved change, mismatch (-want +got):\n%s", from, i, diff)
					}
					scribble(&s.Data)
				}
			}
		})
	}
}

// testCacheLogoutElsewhere: instance b logs the user in, then out. a sees
// the login at once (misses are not cached) and the logout within its
// bound, never later.
func testCacheLogoutElsewhere(t *testing.T, e *env) {
	ctx := context.Background()
	const bound = 2 * time.Second
	a, b := cached(t, e, bound), cached(t, e, bound)
	id := newID(t)
	if _, err := a.Get(ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Get before login = %v, want ErrNotFound", err)
	}
	if _, err := b.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	if s, n, err := gets(t, e, a, ctx, id); err != nil || n != 1 || s.Data.User != "ada" {
		t.Fatalf("Get right after a login elsewhere = %v after %d requests, want the session from 1 read", err, n)
	}
	e.clock.Advance(100 * time.Millisecond)
	if err := b.Delete(ctx, id); err != nil { // logout on b
		t.Fatal(err)
	}
	e.clock.Advance(bound - 100*time.Millisecond - time.Millisecond)
	// Within the bound a may still serve the session it read: that is the
	// staleness it was configured with.
	if _, n, err := gets(t, e, a, ctx, id); err != nil || n != 0 {
		t.Fatalf("Get 1 ms within the bound = %v after %d requests, want the cached session", err, n)
	}
	e.clock.Advance(time.Millisecond) // the bound since a's read
	if _, n, err := gets(t, e, a, ctx, id); !errors.Is(err, dynamosession.ErrNotFound) || n != 1 {
		t.Fatalf("Get at the bound after a logout elsewhere = %v after %d requests, want ErrNotFound from a read", err, n)
	}
}

// testCacheNoResurrection: a session a holds in its cache is deleted on
// b; whatever a does with the stale copy, nothing comes back.
func testCacheNoResurrection(t *testing.T, e *env) {
	for _, v := range []bool{false, true} {
		t.Run(fmt.Sprintf("versioned=%v", v), func(t *testing.T) {
			ctx := context.Background()
			opts := func(o *dynamosession.Options[cart]) { o.Versioned = v; o.Touch = ttl.TouchAfter(0) }
			a, b := cached(t, e, time.Minute, opts), cached(t, e, time.Minute, opts)
			id := newID(t)
			if _, err := a.Put(ctx, id, cart{User: "ada"}); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Get(ctx, id); err != nil {
				t.Fatal(err)
			}
			if err := b.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
			e.clock.Advance(time.Second)
			stale, n, err := gets(t, e, a, ctx, id)
			if err != nil || n != 0 {
				t.Fatalf("Get within the bound = %v after %d requests, want the cached session", err, n)
			}
			if wrote, err := a.Touch(ctx, stale); wrote || err != nil {
				t.Errorf("Touch of a session deleted elsewhere = %v, %v; want false, nil", wrote, err)
			}
			// The failed touch dropped the entry: the next Get reads.
			if _, n, err := gets(t, e, a, ctx, id); !errors.Is(err, dynamosession.ErrNotFound) || n != 1 {
				t.Fatalf("Get after a failed touch = %v after %d requests, want ErrNotFound from a read", err, n)
			}
			// Another stale copy, from before the touch: Save and DeleteIfUnchanged.
			if _, err := a.Put(ctx, id, cart{User: "ada"}); err != nil {
				t.Fatal(err)
			}
			if err := b.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
			stale, n, err = gets(t, e, a, ctx, id)
			if err != nil || n != 0 {
				t.Fatalf("Get within the bound = %v after %d requests, want the cached session", err, n)
			}
			stale.Data.Count++
			if err := a.Save(ctx, stale); !errors.Is(err, dynamosession.ErrNotFound) {
				t.Errorf("Save of a session deleted elsewhere = %v, want ErrNotFound", err)
			}
			if err := a.DeleteIfUnchanged(ctx, stale); err != nil {
				t.Errorf("DeleteIfUnchanged of a session deleted elsewhere = %v, want nil", err)
			}
			if item := e.raw(t, "session#"+id); item != nil {
				t.Fatalf("a stale cached session came back: %v", item)
			}
			if _, n, err := gets(t, e, a, ctx, id); !errors.Is(err, dynamosession.ErrNotFound) || n != 0 {
				t.Errorf("Get after a Save found the session deleted = %v after %d requests, want ErrNotFound from memory", err, n)
			}
		})
	}
}

// testCacheLocalDelete: a logout through the cached repository is seen by
// it at once, without a request, and a login under the same ID after it
// is seen at once too.
func testCacheLocalDelete(t *testing.T, e *env) {
	for _, v := range []bool{false, true} {
		t.Run(fmt.Sprintf("versioned=%v", v), func(t *testing.T) {
			ctx := context.Background()
			repo := cached(t, e, time.Minute, func(o *dynamosession.Options[cart]) { o.Versioned = v })
			for _, how := range []string{"Delete", "DeleteIfUnchanged"} {
				id := newID(t)
				if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
					t.Fatal(err)
				}
				s, err := repo.Get(ctx, id)
				if err != nil {
					t.Fatal(err)
				}
				if how == "Delete" {
					err = repo.Delete(ctx, id)
				} else {
					err = repo.DeleteIfUnchanged(ctx, s)
				}
				if err != nil {
					t.Fatalf("%s: %v", how, err)
				}
				if _, n, err := gets(t, e, repo, ctx, id); !errors.Is(err, dynamosession.ErrNotFound) || n != 0 {
					t.Errorf("Get after %s = %v after %d requests, want ErrNotFound without a request", how, err, n)
				}
				if _, n, err := gets(t, e, repo, consistency.WithStrongRead(ctx), id); !errors.Is(err, dynamosession.ErrNotFound) || n != 1 {
					t.Errorf("strong Get after %s = %v after %d requests, want ErrNotFound from a read", how, err, n)
				}
				if _, err := repo.Put(ctx, id, cart{User: "bob"}); err != nil {
					t.Fatal(err)
				}
				if s, n, err := gets(t, e, repo, ctx, id); err != nil || n != 0 || s.Data.User != "bob" {
					t.Errorf("Get after a new login = %v after %d requests, want bob's session from memory", err, n)
				}
			}
		})
	}
}

// testCacheLocalWrites: Save, Touch and Update through the cached
// repository are seen by its next Get without a request, exactly as
// DynamoDB stores them.
func testCacheLocalWrites(t *testing.T, e *env) {
	ctx := context.Background()
	repo := cached(t, e, 10*time.Minute, versioned, func(o *dynamosession.Options[cart]) { o.Touch = ttl.TouchAfter(time.Minute) })
	truth := newRepo[cart](t, e, versioned)
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	same := func(step string) {
		t.Helper()
		got, n, err := gets(t, e, repo, ctx, id)
		if err != nil || n != 0 {
			t.Fatalf("%s: Get = %v after %d requests, want the session from memory", step, err, n)
		}
		want, err := truth.Get(consistency.WithStrongRead(ctx), id)
		if err != nil {
			t.Fatal(err)
		}
		type view struct {
			Data      cart
			Version   int64
			ExpiresAt time.Time
		}
		if diff := cmp.Diff(view{want.Data, want.Version, want.ExpiresAt}, view{got.Data, got.Version, got.ExpiresAt}); diff != "" {
			t.Fatalf("%s: cached session differs from the stored one, mismatch (-want +got):\n%s", step, diff)
		}
	}
	s, err := repo.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	s.Data.Count = 5
	if err := repo.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	same("after Save")
	e.clock.Advance(2 * time.Minute)
	s, _ = repo.Get(ctx, id)
	if wrote, err := repo.Touch(ctx, s); !wrote || err != nil {
		t.Fatalf("due Touch = %v, %v", wrote, err)
	}
	same("after Touch")
	e.reset()
	if _, err := repo.Update(ctx, id, func(c *cart) error { c.Items = append(c.Items, "pen"); return nil }); err != nil {
		t.Fatal(err)
	}
	if n := e.count("GetItem"); n != 1 {
		t.Errorf("Update sent %d GetItems, want its own strongly consistent read", n)
	}
	same("after Update")
	// A Save the saver's own stale copy loses: it drops the entry, and
	// the next Get reads what won.
	old, _ := repo.Get(ctx, id)
	if _, err := repo.Update(ctx, id, func(c *cart) error { c.Count++; return nil }); err != nil {
		t.Fatal(err)
	}
	old.Data.User = "stale"
	if err := repo.Save(ctx, old); !errors.Is(err, dynamosession.ErrConflict) {
		t.Fatalf("Save of a copy older than an Update = %v, want ErrConflict", err)
	}
	if s, n, err := gets(t, e, repo, ctx, id); err != nil || n != 1 || s.Data.User != "ada" || s.Data.Count != 6 {
		t.Fatalf("Get after a conflict = %+v, %v after %d requests; want the stored session from a read", s, err, n)
	}
}

// testCacheStaleVersionedSave: a's cached copy is older than b's save;
// a's save of it is a conflict, never a lost update.
func testCacheStaleVersionedSave(t *testing.T, e *env) {
	ctx := context.Background()
	a, b := cached(t, e, time.Minute, versioned), cached(t, e, time.Minute, versioned)
	id := newID(t)
	if _, err := a.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Update(ctx, id, func(c *cart) error { c.Items = append(c.Items, "from b"); return nil }); err != nil {
		t.Fatal(err)
	}
	stale, n, err := gets(t, e, a, ctx, id)
	if err != nil || n != 0 || stale.Version != 1 {
		t.Fatalf("Get within the bound = version %v, %v after %d requests; want version 1 from memory", stale, err, n)
	}
	stale.Data.Items = append(stale.Data.Items, "from a")
	if err := a.Save(ctx, stale); !errors.Is(err, dynamosession.ErrConflict) {
		t.Fatalf("Save of a stale cached session = %v, want ErrConflict", err)
	}
	s, n, err := gets(t, e, a, ctx, id)
	if err != nil || n != 1 {
		t.Fatalf("Get after the conflict = %v after %d requests, want a read", err, n)
	}
	if diff := cmp.Diff([]string{"from b"}, s.Data.Items); diff != "" || s.Version != 2 {
		t.Fatalf("stored session after the conflict, version %d, mismatch (-want +got):\n%s", s.Version, diff)
	}
}

// testCacheNoLostUpdate: two instances with caches increment one counter
// concurrently, by Update and by Get + Save retried on conflict: every
// increment lands exactly once.
func testCacheNoLostUpdate(t *testing.T, e *env) {
	ctx := context.Background()
	opts := func(o *dynamosession.Options[cart]) { o.Versioned = true }
	repos := []*dynamosession.Repo[cart]{cached(t, e, time.Minute, opts), cached(t, e, time.Minute, opts)}
	id := newID(t)
	if _, err := repos[0].Put(ctx, id, cart{}); err != nil {
		t.Fatal(err)
	}
	const goroutines, increments = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*increments)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			repo := repos[g%2]
			for range increments {
				if g%3 == 0 {
					if err := updateRetrying(ctx, repo, id, func(c *cart) error { c.Count++; return nil }); err != nil {
						errs <- err
					}
					continue
				}
				for {
					s, err := repo.Get(ctx, id)
					if err != nil {
						errs <- err
						return
					}
					s.Data.Count++
					err = repo.Save(ctx, s)
					if err == nil {
						break
					}
					if !errors.Is(err, dynamosession.ErrConflict) {
						errs <- err
						return
					}
					// The conflict dropped the stale entry; the retry
					// reads again. Strongly: a backend's eventually
					// consistent read could be stale too.
					ctx := consistency.WithStrongRead(ctx)
					if _, err := repo.Get(ctx, id); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	s, err := newRepo[cart](t, e, versioned).Get(consistency.WithStrongRead(ctx), id)
	if err != nil {
		t.Fatal(err)
	}
	if s.Data.Count != goroutines*increments {
		t.Fatalf("count = %d, want %d: an update was lost or applied twice", s.Data.Count, goroutines*increments)
	}
}

func testCacheStrongReads(t *testing.T, e *env) {
	ctx := context.Background()
	a, b := cached(t, e, time.Minute), newRepo[cart](t, e)
	id := newID(t)
	if _, err := a.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	s, _ := b.Get(ctx, id)
	s.Data.Count = 7
	if err := b.Save(ctx, s); err != nil {
		t.Fatal(err)
	}
	got, n, err := gets(t, e, a, consistency.WithStrongRead(ctx), id)
	if err != nil || n != 1 || got.Data.Count != 7 {
		t.Fatalf("strong Get = %v after %d requests, count %v; want b's save from a read", err, n, got)
	}
	// The strong read refreshed the cache.
	if got, n, err := gets(t, e, a, ctx, id); err != nil || n != 0 || got.Data.Count != 7 {
		t.Fatalf("eventual Get after a strong one = %v after %d requests; want b's save from memory", err, n)
	}
	strong := cached(t, e, time.Minute, func(o *dynamosession.Options[cart]) { o.Consistency = consistency.Strong })
	for i := range 3 {
		if _, n, err := gets(t, e, strong, ctx, id); err != nil || n != 1 {
			t.Fatalf("Get %d with consistency.Strong = %v after %d requests, want a read every time", i, err, n)
		}
	}
}

func testCacheEvictsByEntries(t *testing.T, e *env) {
	ctx := context.Background()
	writer := newRepo[cart](t, e)
	repo := cached(t, e, time.Minute, func(o *dynamosession.Options[cart]) { o.Cache.MaxEntries = 3 })
	ids := make([]string, 4)
	for i := range ids {
		ids[i] = newID(t)
		if _, err := writer.Put(ctx, ids[i], cart{User: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// Read 0, 1, 2; use 0 again; read 3: 1 is the least recently used.
	for _, step := range []struct {
		i, requests int
	}{{0, 1}, {1, 1}, {2, 1}, {0, 0}, {3, 1}, {0, 0}, {2, 0}, {3, 0}, {1, 1}} {
		if _, n, err := gets(t, e, repo, ctx, ids[step.i]); err != nil || n != step.requests {
			t.Fatalf("Get of session %d = %v after %d requests, want %d", step.i, err, n, step.requests)
		}
	}
}

func testCacheEvictsByBytes(t *testing.T, e *env) {
	ctx := context.Background()
	writer := newRepo[cart](t, e)
	ids := make([]string, 3)
	size := 0
	for i := range ids {
		ids[i] = newID(t) // equal lengths: equal item sizes
		if _, err := writer.Put(ctx, ids[i], cart{User: "ada", Blob: make([]byte, 1000)}); err != nil {
			t.Fatal(err)
		}
		size = capacity.ItemSize(e.raw(t, "session#"+ids[i]))
	}
	repo := cached(t, e, time.Minute, func(o *dynamosession.Options[cart]) { o.Cache.MaxBytes = int64(2*size + size/2) })
	for _, step := range []struct {
		i, requests int
	}{{0, 1}, {1, 1}, {0, 0}, {1, 0}, {2, 1}, {1, 0}, {2, 0}, {0, 1}} {
		if _, n, err := gets(t, e, repo, ctx, ids[step.i]); err != nil || n != step.requests {
			t.Fatalf("Get of session %d (%d bytes, bound %d) = %v after %d requests, want %d", step.i, size, 2*size+size/2, err, n, step.requests)
		}
	}
	// A session larger than the whole cache is never kept.
	small := cached(t, e, time.Minute, func(o *dynamosession.Options[cart]) { o.Cache.MaxBytes = int64(size - 1) })
	for i := range 2 {
		if _, n, err := gets(t, e, small, ctx, ids[0]); err != nil || n != 1 {
			t.Fatalf("Get %d of a session larger than MaxBytes = %v after %d requests, want a read", i, err, n)
		}
	}
}

// testCacheNeverServesExpired: a bound longer than the sessions' life
// must not outlive them, and an expiry another instance extended is found
// by reading again.
func testCacheNeverServesExpired(t *testing.T, e *env) {
	ctx := context.Background()
	opts := func(o *dynamosession.Options[cart]) {
		o.TTL = ttl.Sliding(10 * time.Minute)
		o.Touch = ttl.TouchAfter(time.Minute)
	}
	a, b := cached(t, e, time.Hour, opts), newRepo(t, e, opts)
	id, id2 := newID(t), newID(t)
	for _, id := range []string{id, id2} {
		if _, err := a.Put(ctx, id, cart{User: "ada"}); err != nil {
			t.Fatal(err)
		}
	}
	e.clock.Advance(5 * time.Minute)
	s, err := b.Get(ctx, id2)
	if err != nil {
		t.Fatal(err)
	}
	if wrote, err := b.Touch(ctx, s); !wrote || err != nil { // extends id2 to +15 min
		t.Fatalf("Touch on b = %v, %v", wrote, err)
	}
	e.clock.Advance(5*time.Minute - time.Second)
	for _, id := range []string{id, id2} {
		if _, n, err := gets(t, e, a, ctx, id); err != nil || n != 0 {
			t.Fatalf("Get 1 s before the cached expiry = %v after %d requests, want the session from memory", err, n)
		}
	}
	e.clock.Advance(time.Second) // the cached expiry of both
	if _, n, err := gets(t, e, a, ctx, id); !errors.Is(err, dynamosession.ErrExpired) || n != 1 {
		t.Errorf("Get at the expiry = %v after %d requests, want ErrExpired from a read", err, n)
	}
	got, n, err := gets(t, e, a, ctx, id2)
	if err != nil || n != 1 || !got.ExpiresAt.Equal(s.ExpiresAt) {
		t.Errorf("Get of a session extended elsewhere = %v after %d requests, want it from a read", err, n)
	}
}

// testCacheCoherent: goroutines create, read, save, touch, update and
// delete a few sessions through one cached repository at once. Once they
// are done, what the cache serves must be exactly what is stored: a read
// that raced a write never leaves an older item behind, and writes whose
// order at the server is unknown leave nothing behind.
func testCacheCoherent(t *testing.T, e *env) {
	ctx := context.Background()
	opts := func(o *dynamosession.Options[cart]) { o.Versioned = true; o.Touch = ttl.TouchAfter(0) }
	repo, truth := cached(t, e, time.Hour, opts), newRepo(t, e, opts)
	ids := []string{newID(t), newID(t), newID(t)}
	const goroutines, ops = 8, 40
	var wg sync.WaitGroup
	errs := make(chan error, goroutines*ops)
	expected := func(err error) bool {
		return err == nil || errors.Is(err, dynamosession.ErrNotFound) || errors.Is(err, dynamosession.ErrConflict)
	}
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(g), 17))
			for range ops {
				id := ids[rnd.IntN(len(ids))]
				var err error
				switch op := rnd.IntN(6); op {
				case 0:
					_, err = repo.Put(ctx, id, cart{User: fmt.Sprint("g", g)})
				case 1, 2, 3:
					var s *dynamosession.Session[cart]
					if s, err = repo.Get(ctx, id); err != nil {
						break
					}
					switch op {
					case 1:
						s.Data.Count++
						err = repo.Save(ctx, s)
					case 2:
						_, err = repo.Touch(ctx, s)
					case 3:
						err = repo.DeleteIfUnchanged(ctx, s)
					}
				case 4:
					_, err = repo.Update(ctx, id, func(c *cart) error { c.Items = append(c.Items, fmt.Sprint(g)); return nil })
				case 5:
					err = repo.Delete(ctx, id)
				}
				if !expected(err) {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for _, id := range ids {
		got, gerr := repo.Get(ctx, id)
		want, werr := truth.Get(consistency.WithStrongRead(ctx), id)
		if errors.Is(werr, dynamosession.ErrNotFound) || errors.Is(gerr, dynamosession.ErrNotFound) {
			if !errors.Is(werr, dynamosession.ErrNotFound) || !errors.Is(gerr, dynamosession.ErrNotFound) {
				t.Errorf("session %s: cache says %v, DynamoDB says %v", id[:6], gerr, werr)
			}
			continue
		}
		if gerr != nil || werr != nil {
			t.Fatalf("session %s: %v, %v", id[:6], gerr, werr)
		}
		type view struct {
			Data    cart
			Version int64
			Expires time.Time
		}
		if diff := cmp.Diff(view{want.Data, want.Version, want.ExpiresAt}, view{got.Data, got.Version, got.ExpiresAt}); diff != "" {
			t.Errorf("session %s: the cache serves another session than is stored, mismatch (-want +got):\n%s", id[:6], diff)
		}
	}
}

// held wraps a backend and can hold the response of the next call of one
// operation after the backend executed it: the test then knows the
// request landed, and decides when its caller sees the response. That
// replays, deterministically, the races a slow network makes.
type held struct {
	backendClient
	mu      sync.Mutex
	op      string
	landed  chan struct{}
	release chan struct{}
}

// next arms the hold for the next call of op and returns the channels it
// closes when that call landed and that the test closes to release it.
func (h *held) next(op string) (landed <-chan struct{}, release chan<- struct{}) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.op, h.landed, h.release = op, make(chan struct{}), make(chan struct{})
	return h.landed, h.release
}

func (h *held) hold(op string) {
	h.mu.Lock()
	if h.op != op {
		h.mu.Unlock()
		return
	}
	landed, release := h.landed, h.release
	h.op = ""
	h.mu.Unlock()
	close(landed)
	<-release
}

func (h *held) GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error) {
	out, err := h.backendClient.GetItem(ctx, in, optFns...)
	h.hold("GetItem")
	return out, err
}

func (h *held) UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error) {
	out, err := h.backendClient.UpdateItem(ctx, in, optFns...)
	h.hold("UpdateItem")
	return out, err
}

// heldEnv returns a backend that holds responses on demand, and an env
// whose repositories use it.
func heldEnv(e *env) (*held, *env) {
	h := &held{backendClient: e.client}
	return h, &env{client: h, table: e.table, clock: e.clock}
}

// testCacheReadRacingWrite: a read fetches the session, then, before its
// response arrives, a login through the same repository replaces it. The
// late response must not put the replaced session back in the cache.
func testCacheReadRacingWrite(t *testing.T, e *env) {
	ctx := context.Background()
	h, he := heldEnv(e)
	repo := cached(t, he, time.Minute)
	id := newID(t)
	if _, err := newRepo[cart](t, e).Put(ctx, id, cart{User: "old"}); err != nil {
		t.Fatal(err)
	}
	landed, release := h.next("GetItem")
	done := make(chan error)
	go func() {
		_, err := repo.Get(ctx, id)
		done <- err
	}()
	<-landed
	if _, err := repo.Put(ctx, id, cart{User: "new"}); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if s, n, err := gets(t, he, repo, ctx, id); err != nil || s.Data.User != "new" {
		t.Fatalf("Get after a read answered late = %+v, %v after %d requests; want the new session", s, err, n)
	}
}

// testCacheWritesOutOfOrder: two unversioned Saves of one session through
// one repository land in one order and are answered in the other. The
// cache cannot know which landed last, and must not keep the loser.
func testCacheWritesOutOfOrder(t *testing.T, e *env) {
	ctx := context.Background()
	h, he := heldEnv(e)
	repo := cached(t, he, time.Minute)
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	first, _ := repo.Get(ctx, id)
	second, _ := repo.Get(ctx, id)
	landed, release := h.next("UpdateItem")
	done := make(chan error)
	go func() {
		first.Data.Items = []string{"first"}
		done <- repo.Save(ctx, first)
	}()
	<-landed
	second.Data.Items = []string{"second"} // lands last: what is stored
	if err := repo.Save(ctx, second); err != nil {
		t.Fatal(err)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	s, n, err := gets(t, he, repo, ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"second"}, s.Data.Items); diff != "" {
		t.Fatalf("Get after writes answered out of order (%d requests), mismatch (-want +got):\n%s", n, diff)
	}
}

// testCacheSaveOverMarker: a deletes a session, b creates one under the
// same ID, and a saves a copy it read before its delete: an unversioned
// Save succeeds (the session is live again), and a must then serve what
// is stored, not its deletion marker.
func testCacheSaveOverMarker(t *testing.T, e *env) {
	ctx := context.Background()
	a, b := cached(t, e, time.Minute), newRepo[cart](t, e)
	id := newID(t)
	if _, err := a.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	old, err := a.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Delete(ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Put(ctx, id, cart{User: "bob"}); err != nil {
		t.Fatal(err)
	}
	old.Data.Count = 3
	if err := a.Save(ctx, old); err != nil {
		t.Fatalf("unversioned Save into a live session = %v, want nil", err)
	}
	s, n, err := gets(t, e, a, ctx, id)
	if err != nil || s.Data.User != "ada" || s.Data.Count != 3 {
		t.Fatalf("Get after the Save = %+v, %v after %d requests; want the saved session", s, err, n)
	}
}

// testCacheLocalSupersede: a login's regeneration supersedes the old ID
// through the cached repository; requests still carrying the old ID (a
// poll, a second tab) see ErrSuperseded at once, from memory, until the
// grace has passed.
func testCacheLocalSupersede(t *testing.T, e *env) {
	ctx := context.Background()
	repo := cached(t, e, time.Minute)
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Get(ctx, id); err != nil {
		t.Fatal(err)
	}
	if err := repo.Supersede(ctx, id, 10*time.Second); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, n, err := gets(t, e, repo, ctx, id); !errors.Is(err, dynamosession.ErrSuperseded) || n != 0 {
			t.Fatalf("Get %d after Supersede = %v after %d requests, want ErrSuperseded from memory", i, err, n)
		}
	}
	e.clock.Advance(10 * time.Second) // the tombstone's expiry
	if _, n, err := gets(t, e, repo, ctx, id); !errors.Is(err, dynamosession.ErrNotFound) || errors.Is(err, dynamosession.ErrSuperseded) || n != 1 {
		t.Fatalf("Get after the grace = %v after %d requests, want ErrNotFound (not superseded) from a read", err, n)
	}
}

// testCacheLocalDeleteUndecodable: a record another deploy wrote in a
// shape this one cannot read replaces a session a holds; a deletes it as
// undecodable and must not serve its older copy afterwards.
func testCacheLocalDeleteUndecodable(t *testing.T, e *env) {
	ctx := context.Background()
	repo := cached(t, e, time.Minute)
	id := newID(t)
	if _, err := repo.Put(ctx, id, cart{User: "ada"}); err != nil {
		t.Fatal(err)
	}
	e.putRaw(t, map[string]types.AttributeValue{
		"id":      &types.AttributeValueMemberS{Value: "session#" + id},
		"sess":    &types.AttributeValueMemberS{Value: `{"user":`},
		"expires": &types.AttributeValueMemberN{Value: fmt.Sprint(e.clock.Now().Add(time.Hour).Unix())},
	})
	if deleted, err := repo.DeleteUndecodable(ctx, id); !deleted || err != nil {
		t.Fatalf("DeleteUndecodable = %v, %v; want true, nil", deleted, err)
	}
	if _, n, err := gets(t, e, repo, ctx, id); !errors.Is(err, dynamosession.ErrNotFound) {
		t.Fatalf("Get after DeleteUndecodable = %v after %d requests, want ErrNotFound", err, n)
	}
}
