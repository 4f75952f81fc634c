package dynamosession_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/fake"
)

func v2opts(o *dynamosession.Options[cartV2]) {
	o.Schema = 2
	o.Upgrades = []dynamosession.Upgrade[cartV2]{dynamosession.UpgradeFrom(1, upgradeCartV1)}
}

// B1: a save of an upgraded session stores the new shape only: fields
// the upgrade dropped (coupon) or renamed (nick) do not survive.
func TestUpgradeSaveKeepsOldFields(t *testing.T) {
	onBackends(t, map[string]func(t *testing.T, e *env){"x": func(t *testing.T, e *env) {
		ctx := context.Background()
		newCodecs := schemaCodecs[cartV2](t)
		for name, c := range schemaCodecs[cartV1](t) {
			t.Run(name, func(t *testing.T) {
				v1 := newRepo(t, e, func(o *dynamosession.Options[cartV1]) { o.Codec = c })
				v2 := newRepo(t, e, v2opts, func(o *dynamosession.Options[cartV2]) { o.Codec = newCodecs[name] })
				id := newID(t)
				must(t, put(v1.Put(ctx, id, cartV1{User: "ada", Items: []string{"a"}, Coupon: "SECRET10", Nick: "A"})))
				s, err := v2.Get(ctx, id)
				must(t, err)
				e.reset()
				must(t, v2.Save(ctx, s))
				if n := e.count(""); n != 0 {
					t.Errorf("unchanged save of upgraded session sent %d requests", n)
				}
				s.Data.Added = true
				must(t, v2.Save(ctx, s))
				raw := e.raw(t, "session#"+id)
				got := fmt.Sprint(avString(raw["sess"]))
				if strings.Contains(got, "SECRET10") || strings.Contains(got, "coupon") || strings.Contains(got, "nick") {
					t.Errorf("saved v2 record keeps v1-only fields: %s", got)
				}
			})
		}
	}})
}

// B2: cache + upgrade + due touch: the next Get served from the cache
// reports the stored schema and the touched data.
func TestUpgradeCacheTouch(t *testing.T) {
	onBackends(t, map[string]func(t *testing.T, e *env){"x": func(t *testing.T, e *env) {
		ctx := context.Background()
		v1 := newRepo[cartV1](t, e)
		v2 := newRepo(t, e, v2opts, func(o *dynamosession.Options[cartV2]) { o.Cache = dynamosession.CacheOptions{MaxStale: time.Hour} })
		id := newID(t)
		must(t, put(v1.Put(ctx, id, cartV1{User: "ada", Items: []string{"a"}})))
		e.clock.Advance(3 * time.Hour)
		s, err := v2.Get(ctx, id)
		must(t, err)
		s.Data.Visited = 42 // unsaved
		wrote, err := v2.Touch(ctx, s)
		must(t, err)
		if !wrote {
			t.Fatal("touch did not write")
		}
		s2, err := v2.Get(ctx, id)
		must(t, err)
		if dynamosession.SchemaOf(s2) != 2 || s2.Data.Visited != 0 {
			t.Errorf("cached Get after touch: schema %d visited %d, want 2 0", dynamosession.SchemaOf(s2), s2.Data.Visited)
		}
		raw := e.raw(t, "session#"+id)
		if avString(raw["schema"]) != "N:2" {
			t.Errorf("stored schema %v", avString(raw["schema"]))
		}
		// a changed save via the cached session
		s2.Data.Visited = 7
		must(t, v2.Save(ctx, s2))
		s3, err := v2.Get(ctx, id)
		must(t, err)
		if s3.Data.Visited != 7 {
			t.Errorf("visited %d", s3.Data.Visited)
		}
	}})
}

// B3: versioned + upgrade + touch then a stale holder.
func TestUpgradeVersioned(t *testing.T) {
	onBackends(t, map[string]func(t *testing.T, e *env){"x": func(t *testing.T, e *env) {
		ctx := context.Background()
		v1 := newRepo[cartV1](t, e, func(o *dynamosession.Options[cartV1]) { o.Versioned = true })
		v2 := newRepo(t, e, v2opts, func(o *dynamosession.Options[cartV2]) { o.Versioned = true })
		id := newID(t)
		must(t, put(v1.Put(ctx, id, cartV1{User: "ada", Items: []string{"a"}})))
		e.clock.Advance(3 * time.Hour)
		a, err := v2.Get(ctx, id)
		must(t, err)
		b, err := v2.Get(ctx, id)
		must(t, err)
		b.Data.Visited = 5
		must(t, v2.Save(ctx, b))
		// a touches: must not overwrite b's save
		if _, err := v2.Touch(ctx, a); err != nil {
			t.Fatal(err)
		}
		a.Data.Visited = 9
		if err := v2.Save(ctx, a); err == nil {
			t.Errorf("stale versioned save of upgraded session succeeded")
		}
		c, err := v2.Get(ctx, id)
		must(t, err)
		if c.Data.Visited != 5 {
			t.Errorf("visited %d want 5 (b's save lost)", c.Data.Visited)
		}
	}})
}

// B4: RewriteOnRead on the old deploy of a schema-2 record; and on the new.
func TestUpgradeRewriteOnRead(t *testing.T) {
	onBackends(t, map[string]func(t *testing.T, e *env){"x": func(t *testing.T, e *env) {
		ctx := context.Background()
		v1 := newRepo[cartV1](t, e, func(o *dynamosession.Options[cartV1]) { o.RewriteOnRead = true; o.Codec = codec.JSON[cartV1]() })
		v2 := newRepo(t, e, v2opts, func(o *dynamosession.Options[cartV2]) { o.RewriteOnRead = true })
		id := newID(t)
		must(t, put(v1.Put(ctx, id, cartV1{User: "ada", Items: []string{"a"}, Coupon: "C"})))
		s, err := v2.Get(ctx, id) // upgrades and rewrites eagerly
		must(t, err)
		_ = s
		raw := e.raw(t, "session#"+id)
		if avString(raw["schema"]) != "N:2" {
			t.Errorf("RewriteOnRead did not store schema 2: %v", avString(raw["schema"]))
		}
		if got := fmt.Sprint(avString(raw["sess"])); strings.Contains(got, "coupon") {
			t.Errorf("rewritten record keeps v1 field: %s", got)
		}
		before := fmt.Sprint(avString(raw["sess"]))
		// old deploy reads the schema-2 record (Map format, its codec JSON): must not rewrite
		o, err := v1.Get(ctx, id)
		if err == nil {
			_ = o
		}
		after := fmt.Sprint(avString(e.raw(t, "session#"+id)["sess"]))
		if before != after {
			t.Errorf("old deploy rewrote a schema-2 record:\n%s\n%s", before, after)
		}
	}})
}

var _ = fake.New
var _ = dynamodb.QueryInput{}
