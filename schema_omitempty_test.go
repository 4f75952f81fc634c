package dynamosession_test

import (
	"context"
	"testing"

	"github.com/dynamosession/dynamosession"
)

type cartV2c struct {
	User   string  `json:"user"`
	Coupon string  `json:"coupon,omitempty"`
	Nick   *string `json:"nick,omitempty"`
}

// The upgrade clears an omitempty field it keeps in v2.
func TestUpgradeRegressionUpgradeClearsOmitempty(t *testing.T) {
	onBackends(t, map[string]func(t *testing.T, e *env){"x": func(t *testing.T, e *env) {
		ctx := context.Background()
		newCodecs := schemaCodecs[cartV2c](t)
		for name, c := range schemaCodecs[cartV1](t) {
			t.Run(name, func(t *testing.T) {
				v1 := newRepo(t, e, func(o *dynamosession.Options[cartV1]) { o.Codec = c })
				v2 := newRepo(t, e, func(o *dynamosession.Options[cartV2c]) {
					o.Codec = newCodecs[name]
					o.Schema = 2
					o.Upgrades = []dynamosession.Upgrade[cartV2c]{dynamosession.UpgradeFrom(1, func(o cartV1) (cartV2c, error) {
						return cartV2c{User: o.User}, nil // coupons and nicks do not survive v2
					})}
				})
				id := newID(t)
				must(t, put(v1.Put(ctx, id, cartV1{User: "ada", Coupon: "EXPIRED", Nick: "n"})))
				s, err := v2.Get(ctx, id)
				must(t, err)
				s.Data.User = "ada2"
				must(t, v2.Save(ctx, s))
				s2, err := v2.Get(ctx, id)
				must(t, err)
				if s2.Data.Coupon != "" || s2.Data.Nick != nil {
					t.Errorf("after saving the upgrade, coupon=%q nick=%v (the upgrade cleared them)", s2.Data.Coupon, s2.Data.Nick)
				}
			})
		}
	}})
}
