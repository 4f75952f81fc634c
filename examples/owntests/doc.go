// Package owntests is the README's "Your own tests" example: a test of a
// session type on the in-memory fake, whose setup is one line, and the
// same test on DynamoDB Local, through dynamolocal.Client, when
// DYNAMODB_ENDPOINT names one. The README shows cart_test.go as it is;
// readme_test.go keeps the two the same.
package owntests
