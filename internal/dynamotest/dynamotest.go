// Package dynamotest gives this repository's tests a real DynamoDB to run
// against, and creates throwaway tables in it (or in the in-memory fake).
//
// # DynamoDB Local
//
// The real server is Amazon's DynamoDB Local, started by
// scripts/dynamodb-local (which `make test` uses):
//
//	scripts/dynamodb-local run -- go test ./...
//
// It exports DYNAMODB_ENDPOINT (http://127.0.0.1:PORT) for the command it
// runs; [Client] connects there. Without DYNAMODB_ENDPOINT, [Client] skips
// the test loudly, or fails it when CI=true, so that CI can never pass
// without having talked to a real DynamoDB.
//
// A client for DynamoDB Local differs from one for Amazon DynamoDB in four
// settings, which [LocalClient] makes: the endpoint; static credentials
// ([LocalCredentials]: the SDK signs every request, and DynamoDB Local
// accepts any credentials whose access key ID is letters and digits); a
// region (the SDK requires one); and no response checksum validation.
// DynamoDB answers with a CRC32 of each response body in the X-Amz-Crc32
// header, which the SDK checks; DynamoDB Local sends none with its 400
// responses, so every conditional-check failure, missing table or
// validation error would make the SDK log "failed to close HTTP response
// body, this may affect connection reuse: response did not match expected
// checksum" at WARN level (TestNoChecksumWarnings shows it does).
//
// Without -sharedDb, DynamoDB Local keeps one database per access key ID
// and region, in a file named ACCESSKEYID_REGION.db (Amazon DynamoDB
// Developer Guide, "DynamoDB local usage notes"), so another tool sees the
// tables a test creates only with the same pair; scripts/dynamodb-local
// runs it with -sharedDb (as -inMemory requires), which keeps a single
// database for every key and region.
//
// # A real AWS table
//
// [AWSClient] is for tests that may also run against Amazon DynamoDB
// itself. It runs only when DYNAMOSESSION_TEST_TABLE names an existing table
// and DYNAMODB_ENDPOINT is empty. It takes the region from AWS_REGION (or
// AWS_DEFAULT_REGION) and credentials from AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN only: the SDK's full
// configuration chain (profiles, SSO, instance roles) lives in the
// aws-sdk-go-v2/config module, which the library module does not require.
// The AWS CLI exports any profile's credentials into the environment. The
// table must exist already, with a string partition key (the library's
// default key attribute is `id`) and, for expiry tests, TTL enabled on
// `expires`:
//
//	aws dynamodb create-table --table-name dynamosession-test \
//	    --attribute-definitions AttributeName=id,AttributeType=S \
//	    --key-schema AttributeName=id,KeyType=HASH --billing-mode PAY_PER_REQUEST
//	aws dynamodb update-time-to-live --table-name dynamosession-test \
//	    --time-to-live-specification Enabled=true,AttributeName=expires
//	eval "$(aws configure export-credentials --format env)"
//	DYNAMOSESSION_TEST_TABLE=dynamosession-test AWS_REGION=eu-west-1 go test ./...
//
// Tests share that table, so each must use keys of its own (for example a
// random prefix). Requests are billed to the account.
package dynamotest

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Environment variables this package reads.
const (
	// EnvEndpoint is the DynamoDB Local endpoint, set by scripts/dynamodb-local.
	EnvEndpoint = "DYNAMODB_ENDPOINT"
	// EnvTable names an existing Amazon DynamoDB table for [AWSClient].
	EnvTable = "DYNAMOSESSION_TEST_TABLE"
	// EnvCI set to "true" (or "1") turns a missing DynamoDB Local into a
	// test failure instead of a skip.
	EnvCI = "CI"
)

// localRegion is the region clients of DynamoDB Local sign for; it
// accepts any.
const localRegion = "us-east-1"

// LocalCredentials are static credentials for DynamoDB Local, and for test
// servers that stand in for DynamoDB. DynamoDB Local accepts any
// credentials, but access key IDs must be letters and digits only. They
// are built on the SDK's core module, so that tests need not require the
// aws-sdk-go-v2/credentials module.
var LocalCredentials = staticCredentials(aws.Credentials{AccessKeyID: "local", SecretAccessKey: "local", Source: "dynamotest"})

func staticCredentials(c aws.Credentials) aws.CredentialsProvider {
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return c, nil })
}

const skipMessage = "DynamoDB Local not running: skipping real-DynamoDB tests; " +
	"run `make test` (which starts it via scripts/dynamodb-local) or install Java 17 + Maven"

const ciMessage = "CI=true but DYNAMODB_ENDPOINT is empty: DynamoDB Local is not running. " +
	"`make test` must run the tests under scripts/dynamodb-local " +
	"(scripts/dynamodb-local run -- go test ./...), which starts DynamoDB Local and sets DYNAMODB_ENDPOINT"

// Endpoint returns DYNAMODB_ENDPOINT, the URL of DynamoDB Local, or "" when
// it is not running.
func Endpoint() string { return strings.TrimSpace(os.Getenv(EnvEndpoint)) }

// inCI reports whether CI=true.
func inCI() bool {
	v := strings.TrimSpace(os.Getenv(EnvCI))
	return strings.EqualFold(v, "true") || v == "1"
}

var (
	bannerOnce sync.Once

	probeMu   sync.Mutex
	probeErrs = map[string]error{} // endpoint -> result of the first probe
)

// Client returns [LocalClient] for [Endpoint].
//
// If DYNAMODB_ENDPOINT is empty, Client skips the test with a loud message
// (also printed once to stderr, where `go test` without -v shows it), or
// fails it when CI=true. If the endpoint is not a URL LocalClient takes,
// or does not answer ListTables, the test fails. Like tb.Skip and
// tb.Fatal, Client must be called from the goroutine running the test.
func Client(tb testing.TB) *dynamodb.Client {
	tb.Helper()
	endpoint := Endpoint()
	if endpoint == "" {
		if inCI() {
			tb.Fatal(ciMessage)
		}
		bannerOnce.Do(func() {
			fmt.Fprintf(os.Stderr, "\n%[1]s\n!!! %[2]s\n%[1]s\n\n", strings.Repeat("!", 78), skipMessage)
		})
		tb.Skip("!!! " + skipMessage)
	}
	client, err := LocalClient(endpoint)
	if err != nil {
		tb.Fatalf("%s: %v", EnvEndpoint, err)
	}
	if err := probe(endpoint, client); err != nil {
		tb.Fatalf("DYNAMODB_ENDPOINT=%s is set but DynamoDB Local does not answer: %v", endpoint, err)
	}
	return client
}

// ErrInvalidEndpoint reports an endpoint [LocalClient] cannot use: empty,
// without an http:// or https:// scheme, without a host, with user
// information, or with a query or fragment.
var ErrInvalidEndpoint = errors.New("invalid DynamoDB Local endpoint")

// LocalClient returns a client for the DynamoDB Local at endpoint, a URL
// such as "http://localhost:8000", configured as the package
// documentation describes: credentials [LocalCredentials], region
// us-east-1, the SDK's default retryer, no response checksum validation.
// optFns run after those settings, so they can change any of them (a
// Logger, another Region). It makes no request.
//
// It returns an error wrapping [ErrInvalidEndpoint] for an endpoint it
// cannot use; a missing scheme ("localhost:8000") is the usual mistake,
// and the error names the URL that was probably meant.
func LocalClient(endpoint string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	if err := checkEndpoint(endpoint); err != nil {
		return nil, err
	}
	return dynamodb.New(dynamodb.Options{
		Region:                          localRegion,
		BaseEndpoint:                    aws.String(endpoint),
		Credentials:                     LocalCredentials,
		DisableValidateResponseChecksum: true,
	}, optFns...), nil
}

func checkEndpoint(endpoint string) error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w %q: %s", ErrInvalidEndpoint, endpoint, fmt.Sprintf(format, args...))
	}
	if strings.TrimSpace(endpoint) == "" {
		return bad("empty; DynamoDB Local listens on http://localhost:8000 by default")
	}
	if !strings.Contains(endpoint, "://") {
		return bad("no scheme; did you mean %q?", "http://"+endpoint)
	}
	u, err := url.Parse(endpoint)
	switch {
	case err != nil:
		return bad("%v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return bad("scheme %q; want http or https", u.Scheme)
	case u.Host == "":
		return bad("no host")
	case u.User != nil:
		return bad("user information in the URL; DynamoDB Local takes none")
	case u.RawQuery != "" || u.Fragment != "":
		return bad("a query or fragment; give the server's base URL")
	}
	return nil
}

// probe checks once per endpoint and process that DynamoDB answers.
func probe(endpoint string, client *dynamodb.Client) error {
	probeMu.Lock()
	defer probeMu.Unlock()
	if err, done := probeErrs[endpoint]; done {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, err := client.ListTables(ctx, &dynamodb.ListTablesInput{Limit: aws.Int32(1)})
	probeErrs[endpoint] = err
	return err
}

// AWSClient returns a client for Amazon DynamoDB, with the region and
// credentials of the environment (see the package documentation), and the
// name of the existing table given by DYNAMOSESSION_TEST_TABLE. It skips
// the test unless DYNAMOSESSION_TEST_TABLE is set and DYNAMODB_ENDPOINT is
// empty, and fails it if the region or credentials are missing or the
// table cannot be described.
func AWSClient(tb testing.TB) (*dynamodb.Client, string) {
	tb.Helper()
	table := strings.TrimSpace(os.Getenv(EnvTable))
	switch {
	case table == "":
		tb.Skip("real AWS tests skipped: set DYNAMOSESSION_TEST_TABLE to an existing table (and AWS credentials/region) to run them")
	case Endpoint() != "":
		tb.Skip("real AWS tests skipped: DYNAMODB_ENDPOINT is set (they run only without DynamoDB Local)")
	}
	region, creds, err := awsEnvironment(os.Getenv)
	if err != nil {
		tb.Fatalf("DYNAMOSESSION_TEST_TABLE=%s: %v", table, err)
	}
	ctx, cancel := context.WithTimeout(tb.Context(), 30*time.Second)
	defer cancel()
	client := dynamodb.New(dynamodb.Options{Region: region, Credentials: creds})
	if _, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: &table}); err != nil {
		tb.Fatalf("DYNAMOSESSION_TEST_TABLE=%s in %s: %v", table, region, err)
	}
	return client, table
}

// awsEnvironment reads the region and static credentials that [AWSClient]
// uses from getenv, naming what is missing.
func awsEnvironment(getenv func(string) string) (string, aws.CredentialsProvider, error) {
	region := cmp.Or(getenv("AWS_REGION"), getenv("AWS_DEFAULT_REGION"))
	if region == "" {
		return "", nil, errors.New("no AWS region: set AWS_REGION")
	}
	c := aws.Credentials{
		AccessKeyID:     getenv("AWS_ACCESS_KEY_ID"),
		SecretAccessKey: getenv("AWS_SECRET_ACCESS_KEY"),
		SessionToken:    getenv("AWS_SESSION_TOKEN"),
		Source:          "environment",
	}
	if c.AccessKeyID == "" || c.SecretAccessKey == "" {
		return "", nil, errors.New("no AWS credentials in the environment: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY " +
			"(for a profile or SSO: eval \"$(aws configure export-credentials --format env)\")")
	}
	return region, staticCredentials(c), nil
}

// TableAPI is what [CreateTable] needs of a client: the table methods of
// *dynamodb.Client, with the same signatures, which the in-memory fake
// implements too.
type TableAPI interface {
	CreateTable(ctx context.Context, params *dynamodb.CreateTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.CreateTableOutput, error)
	DeleteTable(ctx context.Context, params *dynamodb.DeleteTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DeleteTableOutput, error)
	DescribeTable(ctx context.Context, params *dynamodb.DescribeTableInput, optFns ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
	UpdateTimeToLive(ctx context.Context, params *dynamodb.UpdateTimeToLiveInput, optFns ...func(*dynamodb.Options)) (*dynamodb.UpdateTimeToLiveOutput, error)
}

var _ TableAPI = (*dynamodb.Client)(nil)

// tableTimeout bounds creating a table and waiting for it (seconds on
// DynamoDB Local and the fake; up to a minute on AWS).
const tableTimeout = 3 * time.Minute

// CreateTable creates a uniquely named PAY_PER_REQUEST table whose
// partition key is the string attribute keyAttr, waits until it is ACTIVE,
// enables TTL on ttlAttr (unless ttlAttr is ""), and returns its name. The
// table is deleted when the test and its subtests finish. Errors fail the
// test; CreateTable must be called from the goroutine running the test.
func CreateTable(tb testing.TB, client TableAPI, keyAttr, ttlAttr string) string {
	tb.Helper()
	name := CreateTableFrom(tb, client, &dynamodb.CreateTableInput{
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String(keyAttr), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String(keyAttr), KeyType: types.KeyTypeHash}},
	})
	if ttlAttr != "" {
		ctx, cancel := context.WithTimeout(tb.Context(), tableTimeout)
		defer cancel()
		_, err := client.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{
			TableName: aws.String(name),
			TimeToLiveSpecification: &types.TimeToLiveSpecification{
				AttributeName: aws.String(ttlAttr),
				Enabled:       aws.Bool(true),
			},
		})
		if err != nil {
			tb.Fatalf("enabling TTL on %s.%s: %v", name, ttlAttr, err)
		}
	}
	return name
}

// CreateTableFrom creates a table as in describes it (key schema, indexes,
// billing), under a unique name of its own (in.TableName is ignored and
// left unchanged), waits until it is ACTIVE and returns the name. The
// table is deleted when the test and its subtests finish. Errors fail the
// test; CreateTableFrom must be called from the goroutine running the
// test.
func CreateTableFrom(tb testing.TB, client TableAPI, in *dynamodb.CreateTableInput) string {
	tb.Helper()
	name := uniqueTableName(tb)
	ctx, cancel := context.WithTimeout(tb.Context(), tableTimeout)
	defer cancel()

	req := *in
	req.TableName = aws.String(name)
	if _, err := client.CreateTable(ctx, &req); err != nil {
		tb.Fatalf("creating table %s: %v", name, err)
	}
	tb.Cleanup(func() {
		// tb.Context() is already canceled when cleanups run.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_, err := client.DeleteTable(ctx, &dynamodb.DeleteTableInput{TableName: aws.String(name)})
		var notFound *types.ResourceNotFoundException
		if err != nil && !errors.As(err, &notFound) {
			tb.Errorf("deleting table %s: %v", name, err)
		}
	})

	if err := waitActive(ctx, client, name); err != nil {
		tb.Fatalf("waiting for table %s: %v", name, err)
	}
	return name
}

// waitActive polls DescribeTable until the table is ACTIVE.
func waitActive(ctx context.Context, client TableAPI, name string) error {
	delay := 50 * time.Millisecond
	for {
		out, err := client.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(name)})
		var notFound *types.ResourceNotFoundException
		switch {
		case errors.As(err, &notFound):
			// Eventually consistent control plane: not visible yet.
		case err != nil:
			return err
		case out.Table == nil:
			return errors.New("DescribeTable returned no table description")
		case out.Table.TableStatus == types.TableStatusActive:
			return nil
		case out.Table.TableStatus != types.TableStatusCreating:
			return fmt.Errorf("table status %s", out.Table.TableStatus)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not ACTIVE: %w", context.Cause(ctx))
		case <-time.After(delay):
		}
		delay = min(2*delay, 2*time.Second)
	}
}

// uniqueTableName returns a valid table name made of the test's name and
// random hex, unique among concurrent test processes sharing one server.
func uniqueTableName(tb testing.TB) string {
	var b [6]byte
	if _, err := rand.Read(b[:]); err != nil {
		tb.Fatalf("random table name: %v", err)
	}
	base := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '-', r == '.':
			return r
		default:
			return '_'
		}
	}, tb.Name())
	const maxBase = 200 // table names are at most 255 characters
	if len(base) > maxBase {
		base = base[:maxBase]
	}
	return "dynamotest-" + base + "-" + hex.EncodeToString(b[:])
}
