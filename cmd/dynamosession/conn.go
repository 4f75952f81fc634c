package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go/logging"

	"github.com/dynamosession/dynamosession"
	"github.com/dynamosession/dynamosession/cmd/dynamosession/internal/tableadmin"
	"github.com/dynamosession/dynamosession/fake"
	"github.com/dynamosession/dynamosession/migrate"
)

// client is every DynamoDB operation the commands call. *dynamodb.Client
// implements it, and so does *fake.DB. The repository that sessions and
// revoke build finds BatchGetItem on it by itself.
type client interface {
	tableadmin.CreateAPI
	migrate.API
	dynamosession.API
	dynamosession.OwnerAPI
	BatchGetItem(ctx context.Context, in *dynamodb.BatchGetItemInput, optFns ...func(*dynamodb.Options)) (*dynamodb.BatchGetItemOutput, error)
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
	fs.BoolVar(&c.fake, "fake", false, "use an in-memory DynamoDB holding a demo table \""+demoTable+"\", to try the command without a server (dynamosession demo lists its sessions)")
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

// ownerFlags name the owner attribute and its index, as the
// application's Options.OwnerAttr and Options.OwnerIndex do.
type ownerFlags struct {
	attr, index string
}

// register adds -owner-attr and -owner-index; indexNote ends the latter's
// usage.
func (o *ownerFlags) register(fs *flag.FlagSet, indexNote string) {
	fs.StringVar(&o.attr, "owner-attr", "owner", "attribute holding a session's owner, of type S (Options.OwnerAttr)")
	fs.StringVar(&o.index, "owner-index", "owner-index", "global secondary index on -owner-attr (Options.OwnerIndex)"+indexNote)
}

// connect returns the client c describes. With -fake and no shared test
// DB it is a fresh in-memory DynamoDB; demo says whether to give it the
// demo table.
func (c *connFlags) connect(ctx context.Context, e *env, demo bool) (client, error) {
	if c.fake {
		if e.db != nil {
			return e.db, nil
		}
		db := fake.New()
		if demo {
			if err := seedDemo(ctx, db, e.now()); err != nil {
				return nil, fmt.Errorf("seeding the demo table: %w", err)
			}
		}
		return db, nil
	}
	// The SDK's own log lines (IMDS fallbacks, checksum notes) would
	// interleave with the command's output; every error reaches the user
	// through the command, with advice, instead.
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if c.region != "" {
		opts = append(opts, config.WithRegion(c.region))
	}
	endpoint := strings.TrimSpace(c.endpoint)
	if err := checkEndpoint(endpoint, e.getenv("DYNAMODB_ENDPOINT")); err != nil {
		return nil, err
	}
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
	if err := checkCredentials(ctx, cfg); err != nil {
		return nil, err
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

// checkEndpoint reports an endpoint that is not a URL the SDK can send to.
// Without a scheme ("localhost:8000") the SDK would not reach DynamoDB
// Local, and since the endpoint is then not recognised as this machine,
// the error would be about the credential chain (an EC2 instance role),
// far from the mistake.
func checkEndpoint(endpoint, fromEnv string) error {
	if endpoint == "" {
		return nil
	}
	u, err := url.Parse(endpoint)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	source := "-endpoint"
	if endpoint == strings.TrimSpace(fromEnv) {
		source = "DYNAMODB_ENDPOINT"
	}
	example := "http://" + strings.TrimPrefix(strings.TrimPrefix(endpoint, "//"), "://")
	return usagef("%s %q is not a URL: give the scheme too, as in %s (DynamoDB Local) or https://dynamodb.eu-west-1.amazonaws.com", source, endpoint, example)
}

// credentialsTimeout bounds the search for credentials: on a machine that
// is not in AWS, the last place the SDK looks, the EC2 instance metadata
// service, does not answer.
const credentialsTimeout = 10 * time.Second

// checkCredentials fetches the credentials the requests will be signed
// with (the SDK caches them, so the first request does not fetch them
// again), and turns their absence into advice. Otherwise the first request
// fails with the last link of the SDK's chain, the EC2 instance metadata
// service, which says nothing to a developer on a laptop.
func checkCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, credentialsTimeout)
	defer cancel()
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return fmt.Errorf("no AWS credentials found for region %s: set AWS_PROFILE (after aws configure or aws sso login), "+
			"or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; for DynamoDB Local pass -endpoint http://localhost:8000, "+
			"and to try a command without AWS, -fake\n(the SDK said: %w)", cfg.Region, err)
	}
	return nil
}

// tableHint says what to change when err is DynamoDB's "table not found",
// or "" for any other error.
func tableHint(err error, table string) string {
	var nf *types.ResourceNotFoundException
	if !errors.As(err, &nf) {
		return ""
	}
	return fmt.Sprintf("Table %s is not in this region and account: check -table, -region and -endpoint.", table)
}

// keyHint says what to change when a request keyed by keyAttr failed
// because the table's partition key is another attribute, or "" if that
// is not why (or the table cannot be described).
func keyHint(ctx context.Context, c client, table, keyAttr string) string {
	out, err := c.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table})
	if err != nil || out.Table == nil {
		return ""
	}
	for _, k := range out.Table.KeySchema {
		if k.KeyType == types.KeyTypeHash && aws.ToString(k.AttributeName) != keyAttr {
			return fmt.Sprintf("table %s's partition key is %q, not -key %q: pass -key %s", table, aws.ToString(k.AttributeName), keyAttr, aws.ToString(k.AttributeName))
		}
	}
	return ""
}
