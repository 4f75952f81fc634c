package fake

import (
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

// legacyParam rejects the pre-expression parameters the fake does not
// implement, naming them, instead of silently ignoring them.
func legacyParam(name string) error {
	return validationError("fake: the legacy parameter %s is not implemented; use expressions", name)
}

func enumError(value, member string, allowed string) error {
	return validationError("1 validation error detected: Value '%s' at '%s' failed to satisfy constraint: Member must satisfy enum value set: [%s]", value, member, allowed)
}
