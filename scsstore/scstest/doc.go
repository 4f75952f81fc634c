// Package scstest runs github.com/alexedwards/scs/v2 itself on
// [github.com/dynamosession/dynamosession/scsstore]. It is a module of its
// own so that the dynamosession module does not depend on scs; run it with
//
//	cd scsstore/scstest && go test -race ./...
package scstest
