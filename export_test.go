package dynamosession

// SchemaOf returns the schema version s's data was stored under, for the
// tests of upgrades (it is lower than Options.Schema when s was read
// through an upgrade). Applications have no use for it: the repository
// writes the upgraded data with the next change.
func SchemaOf[T any](s *Session[T]) int { return s.schema }
