package redact

import "testing"

func TestKey(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"session#demo-corrupt", "session#demo-c…"},
		{"sess:abcdef", "sess:abcdef"},
		{"sess:abcdefg", "sess:abcdef…"},
		{"noprefixlongid", "nopref…"},
		{"", ""},
		{"a#b:ééééééé", "a#b:éééééé…"},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := Key(c.in); got != c.want {
				t.Errorf("Key(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
