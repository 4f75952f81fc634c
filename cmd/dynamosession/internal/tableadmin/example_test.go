package tableadmin_test

import (
	"context"
	"fmt"
	"os"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
	"github.com/dynamosession/dynamosession/fake"
)

// A test or a proof of concept creates its table, and checks it.
func ExampleCreate() {
	ctx := context.Background()
	db := fake.New() // or a *dynamodb.Client, for DynamoDB Local

	outcome, err := tableadmin.Create(ctx, db, tableadmin.Spec{Table: "sessions"})
	fmt.Println(outcome, err)
	outcome, err = tableadmin.Create(ctx, db, tableadmin.Spec{Table: "sessions"})
	fmt.Println(outcome, err)
	// Output:
	// created <nil>
	// existed; unchanged <nil>
}

// Check reads a table's description and says what is wrong with it for
// sessions; it changes nothing.
func ExampleCheck() {
	ctx := context.Background()
	db := fake.New()
	if _, err := tableadmin.Create(ctx, db, tableadmin.Spec{Table: "sessions"}); err != nil {
		panic(err)
	}
	r, err := tableadmin.Check(ctx, db, tableadmin.Spec{Table: "sessions", KeyAttr: "sid"})
	if err != nil {
		panic(err)
	}
	_ = r.WriteText(os.Stdout)
	// Output:
	// table sessions: ACTIVE, on-demand, 0 items, 0 B (item count and size as of DynamoDB's last refresh, about every 6 hours)
	//   ok       status   ACTIVE
	//   PROBLEM  key      partition key is "id", want "sid": the repository reads and writes items by a string key "sid" alone
	//   ok       ttl      TTL enabled on "expires"
	//   ok       billing  on-demand: billed per request, absorbs spikes; give the expected request rates for a comparison with provisioned capacity
	// not ready for sessions: see PROBLEM above
}
