package httpsession_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/httpsession"
	"github.com/dynamosession/dynamosession/ttl"
)

type item2 struct {
	SKU string `json:"sku"`
}
type cartNew struct {
	User  string  `json:"user"`
	Items []item2 `json:"items"`
}

// TestRollingDeploy: the new deploy (Schema 2) wrote the session; a
// request of the same browser lands on an old process (Schema 1). The old
// process must neither sign the user out (a cleared cookie) nor answer
// 500 when the handler changes the session (found by a breaker).
func TestRollingDeploy(t *testing.T) {
	for _, tc := range []struct {
		name   string
		data   cartNew
		modify bool
	}{
		{"undecodable to old, read only", cartNew{User: "ada", Items: []item2{{"x"}}}, false},
		{"decodable to old, handler changes it", cartNew{User: "ada"}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, nil) // old deploy: Schema 1, type Cart
			newRepo, err := dynamosession.New[cartNew](e.db, table, func(o *dynamosession.Options[cartNew]) {
				o.TTL = ttl.Sliding(24 * time.Hour)
				o.Clock = e.clock.Now
				o.Schema = 2
				o.Upgrades = []dynamosession.Upgrade[cartNew]{dynamosession.UpgradeFrom(1, func(c Cart) (cartNew, error) { return cartNew{User: c.User}, nil })}
			})
			if err != nil {
				t.Fatal(err)
			}
			id := "0123456789abcdef0123456789abcdef0123456789a"
			if _, err := newRepo.Put(context.Background(), id, tc.data); err != nil {
				t.Fatal(err)
			}
			b := newBrowser()
			b.jar["sid"] = id
			h := e.handler(func(w http.ResponseWriter, r *http.Request, s *httpsession.State[Cart]) {
				if tc.modify {
					s.Data.Items = append(s.Data.Items, "y")
				}
			})
			res := b.do(h, "GET", "/")
			t.Logf("status %d set-cookie %v errs %v", res.StatusCode, b.setCookie, e.errs)
			if res.StatusCode != 200 {
				t.Errorf("old deploy answered %d", res.StatusCode)
			}
			for _, c := range b.setCookie {
				if c.MaxAge < 0 || c.Value != id {
					t.Errorf("old deploy cleared/replaced the cookie of a newer deploy's session: %v", c)
				}
			}
			if s, err := newRepo.Get(context.Background(), id); err != nil {
				t.Errorf("new deploy cannot read its session after the old deploy's request: %v", err)
			} else {
				t.Logf("new deploy reads %+v", s.Data)
			}
		})
	}
}
