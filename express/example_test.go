package express_test

import (
	"fmt"

	"github.com/dynamosession/dynamosession/express"
)

// The connect.sid cookie express-session sets for session "abc123" signed
// with "keyboard cat", as its Set-Cookie header carries it. (Node's
// cookie-signature 1.0.7 signs "abc123" with "keyboard cat" to
// s:abc123.L3URH8qEUlRhbJErOXuJ/R5i21GJUY02kERb2c2p5w0.)
func ExampleCookieValue() {
	fmt.Println(express.CookieValue("abc123", "keyboard cat"))
	// Output:
	// s%3Aabc123.L3URH8qEUlRhbJErOXuJ%2FR5i21GJUY02kERb2c2p5w0
}
