package migrate

import (
	"time"

	"github.com/dynamosession/dynamosession/internal/expiry"
)

// ParseExpiry reads a stored expiry by the one rule the repository uses
// too: integer or fractional Unix seconds, or milliseconds above 1e11.
func ParseExpiry(n string) (time.Time, error) { return expiry.Parse(n) }
