package dynamosession

// An UndecodablePolicy decides what an adapter that serves sessions to a
// web framework (package httpsession's Manager, package scsstore's Store)
// does with a request whose stored session no codec can decode: a
// *[DecodeError], because a deploy changed the session type or another
// program wrote the record. The zero value is [KeepUndecodable]. Each
// adapter's Options.Undecodable documents what the request then sees.
//
// A record a newer deploy stored under a higher schema version than
// Options.Schema (the DecodeError wraps [ErrSchemaTooNew]) is never
// deleted, under any policy: it is not garbage, only too new for this code.
type UndecodablePolicy int

const (
	// KeepUndecodable goes on with a fresh, empty session and leaves the
	// record untouched, for inspection (dynamosession inspect) or a fix and
	// a bulk migration; DynamoDB's TTL removes it when it expires. The
	// default.
	KeepUndecodable UndecodablePolicy = iota
	// DeleteUndecodable goes on with a fresh session and deletes the
	// record, on condition that it is still exactly the undecodable record
	// (one strongly consistent read and one delete, once per record): see
	// [Repo.DeleteUndecodable].
	DeleteUndecodable
	// FailUndecodable fails the request with the *DecodeError, on every
	// request that names the session until the record is fixed or expires.
	FailUndecodable
)
