package app

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/webchat"
)

// TestWebchatLogoFromEnv: RETURNBOT_WEBCHAT_LOGO puts the office's logo on the page; a file that
// cannot be read, or one too large, stops the start instead of showing a broken header.
func TestWebchatLogoFromEnv(t *testing.T) {
	dir := t.TempDir()
	png := append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	good := filepath.Join(dir, "logo.png")
	big := filepath.Join(dir, "big.png")
	if err := os.WriteFile(good, png, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(big, make([]byte, webchat.MaxLogo+1), 0o644); err != nil {
		t.Fatal(err)
	}
	store := inmem.New(time.Hour)
	newDeps := func(logo string) deps {
		env := map[string]string{"RETURNBOT_WEBCHAT_LOGO": logo}
		return deps{cfg: Config{Getenv: func(k string) string { return env[k] }}, bot: bot.New(handofftest.Content(t).Engine, store, nil),
			log: slog.New(slog.NewTextHandler(&bytes.Buffer{}, nil)), store: store}
	}
	ch, err := newWebchat(newDeps(good))
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	ch.(*webchatChannel).Routes(mux)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest("GET", "/webchat/logo", nil))
	if !bytes.Equal(w.Body.Bytes(), png) || w.Header().Get("Content-Type") != "image/png" {
		t.Errorf("logo served: %s, %d bytes", w.Header().Get("Content-Type"), w.Body.Len())
	}
	for _, bad := range []string{filepath.Join(dir, "missing.png"), big} {
		if _, err := newWebchat(newDeps(bad)); err == nil {
			t.Errorf("RETURNBOT_WEBCHAT_LOGO=%s accepted", bad)
		}
	}
}
