// Package frameworktest runs gin (through gin-contrib/sessions), echo
// (through echo-contrib/session) and gorilla/sessions' own API on
// gorillastore, against the in-memory fake and DynamoDB Local. It is a
// module of its own so that neither framework becomes a dependency of the
// store or the library; it holds only tests.
//
//	scripts/dynamodb-local run -- sh -c 'cd gorillastore/frameworktest && go test -race ./...'
package frameworktest
