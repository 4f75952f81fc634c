package migrate

import (
	"time"

	"github.com/dynamosession/dynamosession/ttl"
)

// ParseExpiry reads a stored expiry by the one rule the repository uses
// too: [ttl.ParseExpiry].
func ParseExpiry(n string) (time.Time, error) { return ttl.ParseExpiry(n) }
