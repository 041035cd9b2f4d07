package understand

import (
	"slices"
	"testing"
)

func TestSqueezeStretchedLetters(t *testing.T) {
	for in, want := range map[string]string{
		"hiiiii":   "hi",
		"pleeease": "please",
		"salaam":   "salaam", // a doubled letter is spelling
		"takk":     "takk",
		"ممممنون":  "منون",
		"aaa":      "a",
		"":         "",
		"^nooo$":   "^no$",
	} {
		if got := string(squeeze([]rune(in))); got != want {
			t.Errorf("squeeze(%q) = %q, want %q", in, got, want)
		}
	}
}

// A stretched word has the features of the word: "thaaanks" is read as "thanks".
func TestStretchedWordHasTheWordsFeatures(t *testing.T) {
	a := dedupe(textFeatures(nil, "thaaaanks so much", true, true))
	b := dedupe(textFeatures(nil, "thanks so much", true, true))
	if !slices.Equal(a, b) {
		t.Errorf("features differ:\n%v\n%v", a, b)
	}
}

// Letter and digit variants people type (Arabic yeh and kaf in Persian, Eastern digits, tatweel,
// diacritics, capitals) give the same features.
func TestVariantsHaveTheSameFeatures(t *testing.T) {
	for _, pair := range [][2]string{
		{"كجا هستيد", "کجا هستید"},
		{"٢٣ سال", "23 سال"},
		{"۲۳ سال", "23 سال"},
		{"سـلام", "سلام"},
		{"مَرحَبا", "مرحبا"},
		{"HELLO There", "hello there"},
		{"Где офис?", "где офис"},
	} {
		a := dedupe(textFeatures(nil, pair[0], true, true))
		b := dedupe(textFeatures(nil, pair[1], true, true))
		if !slices.Equal(a, b) {
			t.Errorf("%q and %q have different features", pair[0], pair[1])
		}
	}
}

// Every feature carries its kind in its top bits, and none is 0 (0 means "no previous word").
func TestFeatureKinds(t *testing.T) {
	words := textFeatures(nil, "who pays the ticket", false, true)
	if len(words) != 4+3 {
		t.Fatalf("want 4 words and 3 word pairs, got %d features", len(words))
	}
	kinds := map[uint64]int{}
	for _, f := range textFeatures(nil, "who pays the ticket", true, true) {
		if f == 0 {
			t.Fatal("a feature is 0")
		}
		kinds[kindOf(f)]++
	}
	if kinds[kindWord] != 4 || kinds[kindBigram] != 3 || kinds[kindChars] == 0 || len(kinds) != 3 {
		t.Errorf("kinds: %v", kinds)
	}
}
