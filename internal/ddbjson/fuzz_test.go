package ddbjson

import (
	"bytes"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// FuzzUnmarshalItem checks that any input UnmarshalItem accepts can be
// written back, and that writing is a fixed point: parse(write(x)) == x and
// write(parse(write(x))) == write(x).
func FuzzUnmarshalItem(f *testing.F) {
	f.Add([]byte(everyTypeJSON))
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"id":{"S":"sess:x"},"expires":{"N":"1700086399.999"},"type":{"S":"connect-session"},"sess":{"S":"{\"a\":1}"}}`))
	f.Add([]byte(`{"a":{"S":"\ud800 \u2029 <>&"},"b":{"B":"AA==\n"}}`))
	f.Add([]byte(`{"a":{"S":"1","N":"1"}}`))
	f.Add([]byte(`{"l":{"L":[{"M":{"k":{"BS":["AA=="]}}}]}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		item, err := UnmarshalItem(data)
		if err != nil {
			return
		}
		out, err := MarshalItem(item)
		if err != nil {
			t.Fatalf("MarshalItem of an accepted item failed: %v", err)
		}
		back, err := UnmarshalItem(out)
		if err != nil {
			t.Fatalf("UnmarshalItem of MarshalItem output failed: %v\n%s", err, out)
		}
		if diff := cmp.Diff(item, back, ignoreSerde); diff != "" {
			t.Fatalf("round trip changed the item (-first +second):\n%s", diff)
		}
		again, err := MarshalItem(back)
		if err != nil {
			t.Fatalf("second MarshalItem failed: %v", err)
		}
		if !bytes.Equal(out, again) {
			t.Fatalf("MarshalItem is not stable:\n%s\n%s", out, again)
		}
	})
}
