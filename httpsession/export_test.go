package httpsession

// What the external tests (package httpsession_test) reach of the
// package's internals; compiled only into tests.

// DefaultErrorHandler is the ErrorHandler a Manager uses when
// Options.ErrorHandler is nil: the tests' handler records each error and
// then answers as it does.
var DefaultErrorHandler = defaultErrorHandler

// EffectiveOptions returns m's options, defaults filled in.
func (m *Manager[T]) EffectiveOptions() Options { return m.opts }
