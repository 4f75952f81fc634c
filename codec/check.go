package codec

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrUnsupported reports a value a codec cannot store faithfully.
var ErrUnsupported = errors.New("codec: unsupported value")

// checked caches checkEncodable's verdict per type: the walk is by type, so
// it runs once per type, not once per session.
var checked sync.Map // reflect.Type -> error (nil stored as errOK)

var errOK = errors.New("ok")

// checkEncodable rejects types holding channels, functions, complex numbers
// or unsafe pointers. attributevalue silently drops such fields, which
// would lose session data without a word; the other codecs already fail on
// them.
func checkEncodable(t reflect.Type) error {
	if v, ok := checked.Load(t); ok {
		if v.(error) == errOK {
			return nil
		}
		return v.(error)
	}
	err := walkType(t, map[reflect.Type]bool{}, "")
	if err == nil {
		checked.Store(t, errOK)
	} else {
		checked.Store(t, err)
	}
	return err
}

func walkType(t reflect.Type, seen map[reflect.Type]bool, path string) error {
	if t == nil || seen[t] {
		return nil
	}
	seen[t] = true
	switch t.Kind() {
	case reflect.Chan, reflect.Func, reflect.Complex64, reflect.Complex128, reflect.UnsafePointer:
		where := strings.TrimPrefix(path, ".")
		if where == "" {
			where = "value"
		}
		return fmt.Errorf("%w: %s has kind %s", ErrUnsupported, where, t.Kind())
	case reflect.Pointer, reflect.Slice, reflect.Array:
		return walkType(t.Elem(), seen, path+"[]")
	case reflect.Map:
		if err := walkType(t.Key(), seen, path+"{key}"); err != nil {
			return err
		}
		return walkType(t.Elem(), seen, path+"{}")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if !f.IsExported() || f.Tag.Get("json") == "-" || f.Tag.Get("dynamodbav") == "-" {
				continue
			}
			if err := walkType(f.Type, seen, path+"."+f.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkNumbers rejects NaN and infinities, which attributevalue formats as
// numbers DynamoDB refuses; failing here names the problem before any
// request is made.
func checkNumbers(av types.AttributeValue) error {
	switch v := av.(type) {
	case *types.AttributeValueMemberN:
		if n := strings.TrimLeft(v.Value, "+-"); n == "NaN" || n == "Inf" {
			return fmt.Errorf("%w: number %s cannot be stored in DynamoDB", ErrUnsupported, v.Value)
		}
	case *types.AttributeValueMemberM:
		for _, e := range v.Value {
			if err := checkNumbers(e); err != nil {
				return err
			}
		}
	case *types.AttributeValueMemberL:
		for _, e := range v.Value {
			if err := checkNumbers(e); err != nil {
				return err
			}
		}
	}
	return nil
}
