package webchat

import (
	"testing"
	"time"
)

// TestHeldMediaBounds: the holder refuses a medium past its count or its bytes (rather than
// dropping another user's), makes room as media are fetched or expire, and /forget empties it.
func TestHeldMediaBounds(t *testing.T) {
	now := time.Date(2027, 3, 30, 11, 0, 0, 0, time.UTC)
	hm := newHeldMedia(func() time.Time { return now }, 3, 100)
	a, err := hm.put("u1", "image/png", make([]byte, 60))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := hm.put("u2", "image/png", make([]byte, 41)); err != errHeldFull {
		t.Fatalf("past the bytes: %v", err)
	}
	if _, err := hm.put("u2", "audio/ogg", make([]byte, 20)); err != nil {
		t.Fatal(err)
	}
	if _, err := hm.put("u2", "audio/ogg", make([]byte, 10)); err != nil {
		t.Fatal(err)
	}
	if _, err := hm.put("u3", "audio/ogg", make([]byte, 1)); err != errHeldFull {
		t.Fatalf("past the count: %v", err)
	}
	if n, b := hm.size(); n != 3 || b != 90 {
		t.Fatalf("held %d media, %d bytes", n, b)
	}
	if _, _, ok := hm.take("u2", a); ok {
		t.Fatal("u2 took u1's medium")
	}
	if _, data, ok := hm.take("u1", a); !ok || len(data) != 60 {
		t.Fatal("u1 could not take its medium")
	}
	if n, b := hm.size(); n != 2 || b != 30 {
		t.Fatalf("after the fetch: %d media, %d bytes", n, b)
	}
	late, _ := hm.put("u3", "image/png", make([]byte, 70))
	now = now.Add(HeldTTL)
	if _, _, ok := hm.take("u3", late); ok {
		t.Fatal("an expired medium was handed out")
	}
	if n, b := hm.size(); n != 0 || b != 0 {
		t.Fatalf("after the expiry: %d media, %d bytes", n, b)
	}
	hm.put("u4", "image/png", make([]byte, 5))
	hm.put("u5", "image/png", make([]byte, 5))
	hm.erase("u4")
	if n, b := hm.size(); n != 1 || b != 5 {
		t.Fatalf("after erasing u4: %d media, %d bytes", n, b)
	}
}

// BenchmarkHeldMedia measures holding and taking a 50 KB voice note.
func BenchmarkHeldMedia(b *testing.B) {
	hm := newHeldMedia(time.Now, MaxHeldCount, MaxHeldBytes)
	data := make([]byte, 50<<10)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		tok, err := hm.put("u", "audio/ogg", data)
		if err != nil {
			b.Fatal(err)
		}
		hm.take("u", tok)
	}
}
