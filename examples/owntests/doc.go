// Package owntests is the README's "Your own tests" example: a test of a
// session type on the in-memory fake, whose setup is one line, and the
// same test on DynamoDB Local, through a client built with the plain AWS
// SDK, when DYNAMODB_ENDPOINT names one, so users can copy it. The README
// shows cart_test.go as it is;
// readme_test.go keeps the two the same.
package owntests
