package migrate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/migrate"
)

// The session type before and after a deploy that changed Items from
// []string to []item.
type cartV1 struct {
	User  string   `json:"user"`
	Items []string `json:"items"`
}

type item struct {
	SKU string `json:"sku"`
	Qty int    `json:"qty"`
}

type cartV2 struct {
	User  string `json:"user"`
	Items []item `json:"items"`
}

func upgradeCart(old cartV1) (cartV2, error) {
	c := cartV2{User: old.User}
	for _, sku := range old.Items {
		c.Items = append(c.Items, item{SKU: sku, Qty: 1})
	}
	return c, nil
}

// TestBulkUpgrade deploys v2 of a session type over a table v1 filled in
// three formats, lets v2 read and save some sessions through the upgrade,
// and converts the rest with one migration, as a team's own small program
// would (issue 15).
func TestBulkUpgrade(t *testing.T) {
	onBackends(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		now := time.Now().Truncate(time.Second)
		clock := func() time.Time { return now }
		upgrades := []dynamosession.Upgrade[cartV2]{dynamosession.UpgradeFrom(1, upgradeCart)}
		v2 := func(c codec.Codec[cartV2]) *dynamosession.Repo[cartV2] {
			r, err := dynamosession.New[cartV2](b.c, b.table, func(o *dynamosession.Options[cartV2]) {
				o.Codec, o.Schema, o.Upgrades, o.Clock = c, 2, upgrades, clock
			})
			if err != nil {
				t.Fatal(err)
			}
			return r
		}
		const perCodec = 30
		codecs := []codec.Codec[cartV1]{codec.Map[cartV1](), codec.JSON[cartV1](), codec.Msgpack[cartV1]()}
		var ids []string
		for _, c := range codecs {
			v1, err := dynamosession.New[cartV1](b.c, b.table, func(o *dynamosession.Options[cartV1]) { o.Codec, o.Clock = c, clock })
			if err != nil {
				t.Fatal(err)
			}
			for i := range perCodec {
				id := fmt.Sprintf("%s-%02d", c.Format(), i)
				if _, err := v1.Put(ctx, id, cartV1{User: id, Items: []string{"a", "b"}}); err != nil {
					t.Fatal(err)
				}
				ids = append(ids, id)
			}
		}

		// The new deploy serves some users: their sessions reach v2 as
		// they change.
		app := v2(codec.Map[cartV2]())
		const saved = 10
		for _, id := range ids[:saved] {
			s, err := app.Get(ctx, id)
			if err != nil {
				t.Fatalf("v2 Get %s: %v", id, err)
			}
			s.Data.Items[0].Qty = 5
			if err := app.Save(ctx, s); err != nil {
				t.Fatalf("v2 Save %s: %v", id, err)
			}
		}

		// The migration reads the table's layout, codecs, schema version
		// and upgrades from the new deploy's repository.
		cfg := migrate.Config{Workers: 2}
		rep, err := migrate.Run(ctx, b.c, app, cfg)
		if err != nil {
			t.Fatalf("migrate: %v", err)
		}
		want := int64(len(ids) - saved)
		if rep.Migrated != want || rep.Failed != 0 || rep.AlreadyTarget != saved {
			t.Errorf("report: migrated %d, already %d, failed %d (%v); want %d, %d, 0", rep.Migrated, rep.AlreadyTarget, rep.Failed, rep.Failures, want, saved)
		}
		if diff := cmp.Diff(map[int]int64{1: want, 2: saved}, rep.Schemas); diff != "" {
			t.Errorf("schema counts mismatch (-want +got):\n%s", diff)
		}
		for i, id := range ids {
			s, err := app.Get(ctx, id)
			if err != nil {
				t.Fatalf("Get %s after the migration: %v", id, err)
			}
			wantQty := 1
			if i < saved {
				wantQty = 5
			}
			// The schema versions stored are counted by the run below.
			if s.Format() != codec.FormatMap || s.Data.Items[0].Qty != wantQty || s.Data.User != id {
				t.Errorf("%s: format %s, data %+v", id, s.Format(), s.Data)
			}
		}

		// Run again: nothing left of version 1.
		rep, err = migrate.Run(ctx, b.c, app, cfg)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Migrated != 0 {
			t.Errorf("second run migrated %d, want 0", rep.Migrated)
		}
		if diff := cmp.Diff(map[int]int64{2: int64(len(ids))}, rep.Schemas); diff != "" {
			t.Errorf("schema counts after the migration (-want +got):\n%s", diff)
		}
	})
}
