package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"

	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/migrate"
)

// client is every DynamoDB operation the commands call. *dynamodb.Client
// implements it, and so does *fake.DB.
type client interface {
	tableadmin.CreateAPI
	migrate.API
	GetItem(ctx context.Context, in *dynamodb.GetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.GetItemOutput, error)
}

var (
	_ client = (*dynamodb.Client)(nil)
	_ client = (*fake.DB)(nil)
)

// connFlags say which DynamoDB to talk to.
type connFlags struct {
	endpoint string
	region   string
	fake     bool
}

func (c *connFlags) register(fs *flag.FlagSet, e *env) {
	fs.StringVar(&c.endpoint, "endpoint", e.getenv("DYNAMODB_ENDPOINT"), "DynamoDB endpoint URL, such as DynamoDB Local's http://127.0.0.1:8000 (default $DYNAMODB_ENDPOINT; none: AWS)")
	fs.StringVar(&c.region, "region", "", "AWS region (default: from the AWS configuration; us-east-1 with -endpoint)")
	fs.BoolVar(&c.fake, "fake", false, "use an in-memory DynamoDB holding a demo table \""+demoTable+"\", to try the command without a server")
}

// tableFlags name a session table and its attributes.
type tableFlags struct {
	table, key, expires string
}

func (t *tableFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&t.table, "table", "sessions", "table name")
	fs.StringVar(&t.key, "key", "id", "partition key attribute (type S)")
	fs.StringVar(&t.expires, "expires", "expires", "expiry attribute, the one DynamoDB's TTL deletes on")
}

// recordFlags describe how sessions are stored in the table.
type recordFlags struct {
	prefix, data string
}

func (r *recordFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&r.prefix, "prefix", "session#", `key prefix of sessions: "session#" (this library, @pwrdrvr/dynamodb-session-store), "sess:" (connect-dynamodb), "" for none`)
	fs.StringVar(&r.data, "data", "sess", "attribute holding the session data")
}

// connect returns the client c describes. With -fake and no shared test
// DB it is a fresh in-memory DynamoDB; demo says whether to give it the
// demo table.
func (c *connFlags) connect(ctx context.Context, e *env, demo bool) (client, error) {
	if c.fake {
		if e.db != nil {
			return e.db, nil
		}
		db := fake.New(func(o *fake.Options) { o.Clock = e.now })
		if demo {
			if err := seedDemo(ctx, db, e.now()); err != nil {
				return nil, fmt.Errorf("seeding the demo table: %w", err)
			}
		}
		return db, nil
	}
	var opts []func(*config.LoadOptions) error
	if c.region != "" {
		opts = append(opts, config.WithRegion(c.region))
	}
	endpoint := strings.TrimSpace(c.endpoint)
	if endpoint != "" {
		// DynamoDB Local accepts any credentials but needs some; do not
		// make a developer configure fake ones. Only for a loopback
		// endpoint: a VPC or FIPS endpoint needs the real credential chain
		// (instance role, SSO, web identity).
		if isLoopback(endpoint) && e.getenv("AWS_ACCESS_KEY_ID") == "" && e.getenv("AWS_PROFILE") == "" {
			opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("local", "local", "")))
		}
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("loading the AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		if endpoint == "" {
			return nil, usagef("no AWS region configured: set AWS_REGION or pass -region")
		}
		cfg.Region = "us-east-1"
	}
	return dynamodb.NewFromConfig(cfg, func(o *dynamodb.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
			// DynamoDB Local sends no X-Amz-Crc32 header with its errors,
			// which makes the SDK's checksum validation log a warning for
			// each.
			o.DisableValidateResponseChecksum = true
		}
	}), nil
}

// isLoopback reports whether endpoint names this machine (DynamoDB Local).
func isLoopback(endpoint string) bool {
	u, err := url.Parse(endpoint)
	if err != nil {
		return false
	}
	host := u.Hostname()
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
