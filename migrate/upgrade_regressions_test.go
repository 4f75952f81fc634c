package migrate_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/codec"
	"github.com/dynamosession/dynamosession/migrate"
)

type raceClient struct {
	client
	once   sync.Once
	before func()
}

func (r *raceClient) Scan(ctx context.Context, in *dynamodb.ScanInput, optFns ...func(*dynamodb.Options)) (*dynamodb.ScanOutput, error) {
	out, err := r.client.Scan(ctx, in, optFns...)
	r.once.Do(r.before) // the app saves between the migration's read and its write
	return out, err
}

type cartV1x struct {
	User   string   `json:"user"`
	Items  []string `json:"items"`
	Coupon string   `json:"coupon,omitempty"`
}

func TestBulkUpgradeRegressionMigrateRace(t *testing.T) {
	onBackends(t, func(t *testing.T, b *backend) {
		ctx := context.Background()
		now := time.Now().Truncate(time.Second)
		clock := func() time.Time { return now }
		upgrades := []dynamosession.Upgrade[cartV2]{dynamosession.UpgradeFrom(1, func(o cartV1x) (cartV2, error) { return upgradeCart(cartV1{User: o.User, Items: o.Items}) })}
		v1, _ := dynamosession.New[cartV1x](b.c, b.table, func(o *dynamosession.Options[cartV1x]) { o.Clock = clock })
		app, _ := dynamosession.New[cartV2](b.c, b.table, func(o *dynamosession.Options[cartV2]) { o.Schema, o.Upgrades, o.Clock = 2, upgrades, clock })
		if _, err := v1.Put(ctx, "x", cartV1x{User: "ada", Items: []string{"a"}, Coupon: "DROPME"}); err != nil {
			t.Fatal(err)
		}
		rc := &raceClient{client: b.c}
		rc.before = func() {
			s, err := app.Get(ctx, "x")
			if err != nil {
				t.Error(err)
				return
			}
			s.Data.Items[0].Qty = 7
			if err := app.Save(ctx, s); err != nil {
				t.Error(err)
			}
		}
		rep, err := migrate.Run(ctx, rc, migrate.Config[cartV2]{Table: b.table, Prefix: "session#", To: codec.Map[cartV2](), Schema: 2, Upgrades: upgrades, Clock: clock})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("race report: migrated %d conflicts %+v", rep.Migrated, rep)
		s, err := app.Get(ctx, "x")
		if err != nil {
			t.Fatal(err)
		}
		if s.Data.Items[0].Qty != 7 {
			t.Errorf("lost update: qty %d (report %+v)", s.Data.Items[0].Qty, rep)
		}
		// and a migration without a race: does the upgraded record keep the dropped v1 field?
		if _, err := v1.Put(ctx, "y", cartV1x{User: "bob", Items: []string{"a"}, Coupon: "DROPME"}); err != nil {
			t.Fatal(err)
		}
		if _, err := migrate.Run(ctx, b.c, migrate.Config[cartV2]{Table: b.table, Prefix: "session#", To: codec.Map[cartV2](), Schema: 2, Upgrades: upgrades, Clock: clock}); err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("%#v", b.get(t, "session#y")["sess"].(*types.AttributeValueMemberM).Value["coupon"])
		if strings.Contains(got, "DROPME") {
			t.Errorf("bulk-upgraded record keeps a field the upgrade dropped: %s", got)
		}
	})
}
