package fake

import (
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/aws/smithy-go"
)

// validationError is DynamoDB's ValidationException. The SDK has no type
// for it and surfaces it as *smithy.GenericAPIError, so the fake does too.
func validationError(format string, args ...any) error {
	msg := fmt.Sprintf(format, args...)
	return &smithy.GenericAPIError{Code: "ValidationException", Message: msg, Fault: smithy.FaultClient}
}

// tableNotFound is what item operations on a missing table return.
func tableNotFound() error {
	return &types.ResourceNotFoundException{Message: aws.String("Requested resource not found")}
}

// tableNotFoundNamed is what table operations on a missing table return.
func tableNotFoundNamed(name string) error {
	return &types.ResourceNotFoundException{Message: aws.String("Requested resource not found: Table: " + name + " not found")}
}

func conditionFailed(item map[string]types.AttributeValue) error {
	return &types.ConditionalCheckFailedException{Message: aws.String("The conditional request failed"), Item: item}
}

// missingParams mirrors the SDK's client-side check of required members,
// which fails before a request is sent.
func missingParams(context string, fields ...string) error {
	e := smithy.InvalidParamsError{Context: context}
	for _, f := range fields {
		e.Add(smithy.NewErrParamRequired(f))
	}
	return e
}

// ErrNotImplemented is wrapped by the error a [DB] returns for a request
// that uses a feature of DynamoDB the fake does not implement (the package
// documentation lists what it implements). Such a request may well be
// valid: the error says the test needs a real DynamoDB, not that the
// request is wrong. It is not a *smithy.GenericAPIError, so code that
// handles DynamoDB's own errors does not mistake it for one.
var ErrNotImplemented = errors.New("fake: not implemented")

// notImplemented names what the fake does not implement.
func notImplemented(format string, args ...any) error {
	return fmt.Errorf("%w: %s (the fake implements what dynamosession sends; see the fake package documentation)", ErrNotImplemented, fmt.Sprintf(format, args...))
}

// legacyParam refuses a pre-expression parameter by name instead of
// silently ignoring it.
func legacyParam(name string) error {
	return notImplemented("the legacy parameter %s; use expressions", name)
}

func enumError(value, member string, allowed string) error {
	return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", value, member, allowed)
}
