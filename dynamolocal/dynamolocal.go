// Package dynamolocal connects the AWS SDK to Amazon DynamoDB Local, the
// downloadable DynamoDB that development and tests run against, in one
// call:
//
//	client, err := dynamolocal.Client("http://localhost:8000")
//	repo, err := dynamosession.New[Cart](client, "sessions")
//
// A client for DynamoDB Local differs from one for Amazon DynamoDB in four
// settings, which [Client] makes and the SDK's default configuration chain
// would get wrong:
//
//   - The endpoint: DynamoDB Local's URL, scheme included.
//   - Credentials: the SDK signs every request and fails without
//     credentials, so Client gives it static dummy ones ([AccessKeyID],
//     [SecretAccessKey]) instead of searching the environment, shared
//     files and the EC2 instance role. DynamoDB Local accepts any, but
//     only access key IDs made of letters and digits.
//   - A region ([Region]): the SDK requires one.
//   - No response checksum validation: DynamoDB answers with a CRC32 of
//     each response body in the X-Amz-Crc32 header, which the SDK checks;
//     DynamoDB Local sends none with its 400 responses, so every
//     conditional-check failure, missing table or validation error would
//     make the SDK log "failed to close HTTP response body, this may
//     affect connection reuse: response did not match expected checksum"
//     at WARN level (with the logger config.LoadDefaultConfig installs).
//     Client sets dynamodb.Options.DisableValidateResponseChecksum, which
//     removes that one check and leaves every other log line alone.
//
// Without -sharedDb, DynamoDB Local keeps one database per access key ID
// and region, in a file named ACCESSKEYID_REGION.db (Amazon DynamoDB
// Developer Guide, "DynamoDB local usage notes"), so another tool sees the
// tables a Client creates only with the same pair:
//
//	AWS_ACCESS_KEY_ID=dynamolocal AWS_SECRET_ACCESS_KEY=dynamolocal AWS_REGION=us-east-1 \
//	    aws dynamodb list-tables --endpoint-url http://localhost:8000
//
// or when DynamoDB Local runs with -sharedDb (as -inMemory requires), which
// keeps a single database for every key and region.
//
// The package adds no dependency: it builds the client from
// dynamodb.Options alone, without the SDK's config and credentials modules.
package dynamolocal

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
)

// The settings [Client] uses, exported so that other tools (the AWS CLI,
// NoSQL Workbench) can be pointed at the same database.
const (
	// AccessKeyID is the dummy access key ID Client signs with. DynamoDB
	// Local accepts only letters and digits here.
	AccessKeyID = "dynamolocal"
	// SecretAccessKey is the dummy secret key Client signs with.
	SecretAccessKey = "dynamolocal"
	// Region is the region Client signs for.
	Region = "us-east-1"
)

// ErrInvalidEndpoint reports an endpoint [Client] cannot use: empty, without
// an http:// or https:// scheme, without a host, or with a query or
// fragment.
var ErrInvalidEndpoint = errors.New("dynamolocal: invalid endpoint")

// Client returns a client for the DynamoDB Local at endpoint, a URL such as
// "http://localhost:8000", configured as the package documentation
// describes. optFns run after those settings, so they can change any of
// them (a Logger, a Retryer, an HTTPClient, another Region). Client makes
// no request: a server that is not running shows up as a connection error
// on the first call.
//
// It returns an error wrapping [ErrInvalidEndpoint] for an endpoint it
// cannot use; a missing scheme ("localhost:8000") is the usual mistake,
// and the error names the URL that was probably meant.
func Client(endpoint string, optFns ...func(*dynamodb.Options)) (*dynamodb.Client, error) {
	if err := checkEndpoint(endpoint); err != nil {
		return nil, err
	}
	o := dynamodb.Options{
		BaseEndpoint: aws.String(endpoint),
		Region:       Region,
		Credentials: aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: AccessKeyID, SecretAccessKey: SecretAccessKey, Source: "dynamolocal"}, nil
		}),
		DisableValidateResponseChecksum: true,
	}
	return dynamodb.New(o, optFns...), nil
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
