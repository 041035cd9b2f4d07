package understand

import (
	"strings"
	"testing"
)

// BenchmarkTrain measures training every model from the shipped examples, as at start-up.
func BenchmarkTrain(b *testing.B) {
	cfg := shippedConfig(b)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(cfg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUnderstand measures reading one message: language, crisis and intents.
func BenchmarkUnderstand(b *testing.B) {
	cfg := shippedConfig(b)
	m, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		ex := cfg.Examples[i%len(cfg.Examples)]
		m.Understand(ex.Lang, ex.Text)
		i++
	}
}

// BenchmarkUnderstandLong measures the longest message the engine reads (4,096 characters):
// it must cost about what a short one does.
func BenchmarkUnderstandLong(b *testing.B) {
	m, err := New(shippedConfig(b))
	if err != nil {
		b.Fatal(err)
	}
	long := strings.Repeat("who pays for the flight ticket ", 140)[:4096]
	b.ReportAllocs()
	for b.Loop() {
		m.Understand("en", long)
	}
}
