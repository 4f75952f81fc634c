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

func TestID(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"abcdef", "abcdef"},
		{"abcdefg", "abcdef…"},
		{"session#abcdefg", "sessio…"}, // an ID has no prefix: all of it counts
		{"ééééééé", "éééééé…"},
		{"", ""},
	} {
		t.Run(c.in, func(t *testing.T) {
			if got := ID(c.in); got != c.want {
				t.Errorf("ID(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}
