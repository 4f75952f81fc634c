// Package upgrade holds what a dynamosession.Upgrade is, so that the root
// package, which reads records through upgrades on Get, and package
// migrate, which upgrades a whole table, share it without exporting it:
// users make an upgrade with dynamosession.UpgradeFrom and only list it.
package upgrade

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/dynamosession/dynamosession/codec"
)

// Func is an upgrade of data stored under schema version From to T.
type Func[T any] struct {
	// From is the schema version the upgrade reads.
	From int
	// Read decodes stored, data of schema version From stored by codec c
	// (the codec of its format) under key, and returns it upgraded.
	Read func(c codec.Codec[T], key string, stored types.AttributeValue) (T, error)
}

// Sealed is the method set of dynamosession.Upgrade: its one method is
// unexported here, so *Func is its only implementation, and it names T,
// so that an upgrade to one type cannot be listed for another.
type Sealed[T any] interface{ sealed(*T) }

func (*Func[T]) sealed(*T) {}

// Of returns the Func u is, or nil for a nil u or one that UpgradeFrom did
// not make (a type embedding an Upgrade).
func Of[T any](u Sealed[T]) *Func[T] {
	f, _ := u.(*Func[T])
	return f
}
