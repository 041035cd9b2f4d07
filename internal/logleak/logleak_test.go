package logleak

import (
	"log/slog"
	"regexp"
	"slices"
	"testing"
)

func TestLeaks(t *testing.T) {
	body := []byte(`{"message":{"text":"my name is Amina","chat":{"id":123456789}},
		"statuses":[{"errors":[{"title":"Message undeliverable"}]}]}`)
	title := func(keys []string) bool { return slices.Equal(keys, []string{"statuses", "errors", "title"}) }
	got := Canaries(body, title)
	if want := []string{"my name is Amina", "123456789"}; !slices.Equal(got, want) {
		t.Fatalf("Canaries = %q, want %q", got, want)
	}

	rec := NewRecorder()
	log := slog.New(rec).WithGroup("tg")
	log.Info("handled", "user", "2P2FF3MlIliAEG19MXsR6w", "title", "Message undeliverable", "bytes", 123456789)
	log.Warn("bad", "err", "text was my name is Amina", "chat", 123456789)
	allow := Allow{Strings: map[string]*regexp.Regexp{"tg.user": Pseudonym}, Counts: map[string]bool{"tg.bytes": true}}
	leaked := Leaks(rec.Take(), got, allow)
	want := []string{
		`"bad": tg.err="text was my name is Amina" contains "my name is Amina"`,
		`"bad": tg.chat=123456789 is "123456789"`,
	}
	if !slices.Equal(leaked, want) {
		t.Fatalf("Leaks = %q\nwant %q", leaked, want)
	}
	if rest := rec.Take(); len(rest) != 0 {
		t.Fatalf("Take kept %d records", len(rest))
	}
}
