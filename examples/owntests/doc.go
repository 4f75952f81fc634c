// Package owntests is the README's "Your own tests" example: one test of a
// session type that runs on the in-memory fake and, when DYNAMODB_ENDPOINT
// names one, on DynamoDB Local, through a client built with the plain AWS
// SDK, so users can copy it. The README shows cart_test.go as it is;
// readme_test.go keeps the two the same.
package owntests
