// Command webapp is a small site with a login, built on package
// httpsession, that shows on every page what the page cost in DynamoDB:
// /login signs a user in, /account shows the user, /sessions lists the
// user's signed-in devices and signs the others out, /logout signs out.
//
//	go run ./examples/webapp      # then open http://localhost:3001
//
// The session cookie is issued at login, with a new ID (Regenerate: an ID
// that existed before the login never carries the signed-in user), and
// then stays the same on every later page until logout. Anonymous visitors
// get no cookie and cost no DynamoDB request; a signed-in page view is one
// GetItem (0.5 read unit); the login is one PutItem and the logout one
// DeleteItem, each 1 write unit for the table and 1 for the owner index.
// The expiry slides: a page view writes it (one UpdateItem, 1 write unit)
// at most once an hour (the touch throttle), and a save of a session the
// handler did not change sends nothing.
//
// # The cost panel
//
// Every page ends with what its request cost: the DynamoDB requests by
// operation, the read units, and the write units (of which the owner
// index's), and, for a page reached through a redirect (after a form), the
// same for the request that redirected (the login's write shows there).
// It also shows the session record as this request read it: its stored
// format (msgpack here) and its size in bytes, which is what capacity is
// charged by. The numbers are what DynamoDB reported in each response's
// ConsumedCapacity, attributed to the HTTP request that caused them (see
// cost.go for how). On the embedded fake, a button moves the demo's clock
// an hour ahead, so the next page view shows the touch the throttle had
// been holding back. /debug/requests reports the totals since start as
// JSON.
//
// # Owners and the sessions page
//
// The session's owner is its user (dynamosession.Options.Owner), stored
// in the attribute "owner" that a sparse global secondary index,
// "owner-index", makes queryable: /sessions lists the signed-in user's
// sessions through it (one Query and one BatchGetItem) and "Sign out
// other devices" deletes the others (httpsession's State.RevokeOthers).
// Anonymous sessions have no owner and are not in the index.
//
// # Configuration
//
// From the environment:
//
//	PORT                 port to listen on (default 3001; 0 picks a free one)
//	DYNAMODB_ENDPOINT    a DynamoDB endpoint, such as DynamoDB Local at
//	                     http://127.0.0.1:8000
//	DYNAMOSESSION_TABLE  the table (default "sessions")
//
// With neither DYNAMODB_ENDPOINT nor DYNAMOSESSION_TABLE set, sessions live
// in the embedded in-memory DynamoDB (package fake), which needs no AWS
// account. Otherwise the table must exist, with a string partition key
// "id", the owner index, and TTL on "expires", for instance:
//
//	aws dynamodb create-table --table-name sessions \
//	    --attribute-definitions AttributeName=id,AttributeType=S AttributeName=owner,AttributeType=S \
//	    --key-schema AttributeName=id,KeyType=HASH \
//	    --global-secondary-indexes 'IndexName=owner-index,KeySchema=[{AttributeName=owner,KeyType=HASH}],Projection={ProjectionType=KEYS_ONLY}' \
//	    --billing-mode PAY_PER_REQUEST
//	aws dynamodb update-time-to-live --table-name sessions \
//	    --time-to-live-specification Enabled=true,AttributeName=expires
//
// (add --endpoint-url http://127.0.0.1:8000 for DynamoDB Local). An
// existing table gets the index with update-table
// --global-secondary-index-updates; sessions written before it have no
// owner attribute until their next login. Credentials and region come
// from the usual AWS configuration, and with an endpoint but no
// credentials configured the program uses dummy ones and us-east-1, which
// is what DynamoDB Local needs.
//
// The cookie is Secure, and browsers keep Secure cookies on
// http://localhost, so the site works there over plain HTTP; on any other
// host, serve it over HTTPS. Cross-site POSTs (CSRF) do not carry the
// cookie, because it is SameSite=Lax.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/fake"
)

// usage is what -h prints: the program takes no flags, only environment
// variables. It names the program itself, not os.Args[0], which under go
// run is a path in the build cache.
const usage = `usage: webapp

Serves a small site with a login whose sessions live in DynamoDB, showing
on every page what the page cost. Configured from the environment:

  PORT                 port to listen on (default 3001; 0 picks a free one)
  DYNAMODB_ENDPOINT    a DynamoDB endpoint, such as DynamoDB Local at
                       http://127.0.0.1:8000
  DYNAMOSESSION_TABLE  the table (default "sessions")

With neither DYNAMODB_ENDPOINT nor DYNAMOSESSION_TABLE set, sessions live in
an embedded in-memory DynamoDB. See the package documentation
(go doc ./examples/webapp) for the table a real DynamoDB needs.
`

func main() {
	log.SetFlags(0)
	log.SetPrefix("webapp: ")
	if code := parseArgs(os.Args[1:], os.Stderr); code >= 0 {
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx); err != nil {
		log.Fatal(err)
	}
}

// parseArgs checks the command line, which holds no flags: it returns -1
// to go on, or the exit code after -h (0) or a mistake (2).
func parseArgs(args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("webapp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage) }
	switch err := fs.Parse(args); {
	case errors.Is(err, flag.ErrHelp):
		return 0
	case err != nil:
		return 2 // the flag package has printed the problem and the usage
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "webapp: unexpected arguments %q; configuration comes from the environment (see -h)\n", fs.Args())
		return 2
	}
	return -1
}

func run(ctx context.Context) error {
	b, err := openTable(ctx)
	if err != nil {
		return err
	}
	site, err := newSite(b)
	if err != nil {
		return err
	}

	port := os.Getenv("PORT")
	if port == "" {
		port = "3001"
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: site, ReadHeaderTimeout: 10 * time.Second}
	// The e2e test reads this line for the port.
	fmt.Printf("webapp: listening on http://localhost:%d (sessions: %s)\n", ln.Addr().(*net.TCPAddr).Port, b.where)

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(shutdown)
	}
}

func table() string {
	if t := os.Getenv("DYNAMOSESSION_TABLE"); t != "" {
		return t
	}
	return "sessions"
}

// The owner index: its name and key attribute are the repository's
// defaults (dynamosession.Options.OwnerIndex and OwnerAttr).
const (
	ownerIndex = "owner-index"
	ownerAttr  = "owner"
)

// client is what the site calls on DynamoDB: what a repository needs for
// sessions (dynamosession.API) and for listing and revoking a user's
// sessions (Query, and BatchGetItem to read the listed items 100 at a
// time). *dynamodb.Client and *fake.DB both have it.
type client interface {
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
	PutItem(ctx context.Context, in *dynamodb.PutItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.PutItemOutput, error)
	UpdateItem(ctx context.Context, in *dynamodb.UpdateItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateItemOutput, error)
	DeleteItem(ctx context.Context, in *dynamodb.DeleteItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteItemOutput, error)
	Query(ctx context.Context, in *dynamodb.QueryInput, optFns ...func(*dynamodb.Options)) (*dynamodb.QueryOutput, error)
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
}

var (
	_ client = (*dynamodb.Client)(nil)
	_ client = (*fake.DB)(nil)
)

// backend is where the sessions live.
type backend struct {
	client client
	table  string
	where  string     // for the log
	clock  *demoClock // the embedded fake's clock, which the demo can move; nil on a real DynamoDB
}

// demoClock is the repository's time: the wall clock plus an offset the
// demo moves forward, so that a visitor can see a touch without waiting
// an hour. (The embedded fake has a clock of its own, which times only
// injected latency and replica lag, neither used here.) It is safe for
// concurrent use.
type demoClock struct{ ahead atomic.Int64 }

func (c *demoClock) Now() time.Time { return time.Now().Add(time.Duration(c.ahead.Load())) }

// Advance moves the clock d ahead.
func (c *demoClock) Advance(d time.Duration) { c.ahead.Add(int64(d)) }

// openTable returns the backend to use: the embedded fake with its table
// created, or DynamoDB with its table checked.
func openTable(ctx context.Context) (backend, error) {
	if os.Getenv("DYNAMODB_ENDPOINT") == "" && os.Getenv("DYNAMOSESSION_TABLE") == "" {
		clock := &demoClock{}
		db := fake.New()
		_, err := db.CreateTable(ctx, tableSchema(table()))
		return backend{client: db, table: table(), where: "embedded in-memory DynamoDB", clock: clock}, err
	}
	c, where, err := openClient(ctx)
	if err != nil {
		return backend{}, err
	}
	// Fail at start, not on the first login, if the table is not there
	// or lacks the owner index.
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(table())})
	if err != nil {
		var nf *types.ResourceNotFoundException
		if errors.As(err, &nf) {
			return backend{}, fmt.Errorf("%s does not exist; create it with a string partition key \"id\" and the owner index, e.g.\n%s", where, createCommand(table()))
		}
		return backend{}, fmt.Errorf("%s: %w", where, err)
	}
	if !slices.ContainsFunc(out.Table.GlobalSecondaryIndexes, func(ix types.GlobalSecondaryIndexDescription) bool {
		return aws.ToString(ix.IndexName) == ownerIndex
	}) {
		return backend{}, fmt.Errorf("%s has no index %q, which the sessions page queries; add it with\n"+
			"  aws dynamodb update-table --table-name %s --attribute-definitions AttributeName=%s,AttributeType=S "+
			"--global-secondary-index-updates '[{\"Create\":{\"IndexName\":\"%s\",\"KeySchema\":[{\"AttributeName\":\"%s\",\"KeyType\":\"HASH\"}],\"Projection\":{\"ProjectionType\":\"KEYS_ONLY\"}}}]'",
			where, ownerIndex, table(), ownerAttr, ownerIndex, ownerAttr)
	}
	return backend{client: c, table: table(), where: where}, nil
}

// createCommand is the AWS CLI command that creates the table.
func createCommand(name string) string {
	return fmt.Sprintf("  aws dynamodb create-table --table-name %s "+
		"--attribute-definitions AttributeName=id,AttributeType=S AttributeName=%s,AttributeType=S "+
		"--key-schema AttributeName=id,KeyType=HASH "+
		"--global-secondary-indexes 'IndexName=%s,KeySchema=[{AttributeName=%s,KeyType=HASH}],Projection={ProjectionType=KEYS_ONLY}' "+
		"--billing-mode PAY_PER_REQUEST", name, ownerAttr, ownerIndex, ownerAttr)
}

// openClient returns a client for DynamoDB at DYNAMODB_ENDPOINT, or AWS's
// when it is not set.
func openClient(ctx context.Context) (*dynamodb.Client, string, error) {
	endpoint := os.Getenv("DYNAMODB_ENDPOINT")
	var opts []func(*config.LoadOptions) error
	if endpoint != "" {
		if os.Getenv("AWS_REGION") == "" && os.Getenv("AWS_DEFAULT_REGION") == "" {
			opts = append(opts, config.WithRegion("us-east-1"))
		}
		if os.Getenv("AWS_ACCESS_KEY_ID") == "" && os.Getenv("AWS_PROFILE") == "" {
			// DynamoDB Local accepts any key made of letters and digits.
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, "", err
	}
	client := dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
	where := fmt.Sprintf("table %q", table())
	if endpoint != "" {
		where += " at " + endpoint
	}
	return client, where, nil
}

// tableSchema is the table the site needs: a string partition key "id",
// and the owner index, a sparse global secondary index on "owner" that
// projects the keys only (the cheapest to maintain: a save or touch that
// keeps the owner costs it nothing). TTL on "expires" is for DynamoDB to
// delete expired sessions; the repository never serves them either way.
func tableSchema(name string) *dynamodb.CreateTableInput {
	return &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("id"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String(ownerAttr), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{{AttributeName: aws.String("id"), KeyType: types.KeyTypeHash}},
		GlobalSecondaryIndexes: []types.GlobalSecondaryIndex{{
			IndexName:  aws.String(ownerIndex),
			KeySchema:  []types.KeySchemaElement{{AttributeName: aws.String(ownerAttr), KeyType: types.KeyTypeHash}},
			Projection: &types.Projection{ProjectionType: types.ProjectionTypeKeysOnly},
		}},
	}
}
