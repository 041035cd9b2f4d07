package bot

import (
	"encoding/binary"
	"testing"
)

// uvarint reads a string exactly as binary.Uvarint reads the same bytes, errors included.
func FuzzUvarint(f *testing.F) {
	for _, seed := range [][]byte{{}, {0}, {0x7f}, {0x80, 1}, {0x80}, {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1},
		{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 2}, {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		wantV, wantN := binary.Uvarint(b)
		if v, n := uvarint(string(b)); v != wantV || n != wantN {
			t.Fatalf("% x: uvarint = %d, %d; binary.Uvarint = %d, %d", b, v, n, wantV, wantN)
		}
	})
}
