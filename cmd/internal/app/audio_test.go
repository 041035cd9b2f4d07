package app

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestServeRecordings: serve with RETURNBOT_AUDIO offers Listen on the menu, whose text is
// recorded, and the web chat plays the very file from its content-hashed address.
func TestServeRecordings(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "..", "bot", "audio", "testdata", "opus-2500ms.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "en"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "en", "main.menu.ogg"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	base, cmd, stderr := startServe(t, "RETURNBOT_AUDIO="+dir)
	send := func(body string) []map[string]any {
		t.Helper()
		resp, err := http.Post(base+"/webchat/api/message", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Replies []map[string]any `json:"replies"`
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 {
			t.Fatalf("status %d: %v", resp.StatusCode, err)
		}
		return out.Replies
	}
	const id = `"id":"AbCdEfGhIjKlMnOpQrStUv","lang":"en"`
	var listen string
	for _, r := range send(`{` + id + `,"text":"/start"}`) {
		bs, _ := r["buttons"].([]any)
		for _, b := range bs {
			if d, _ := b.(map[string]any)["data"].(string); d == "a|main.menu" {
				listen = d
			}
		}
	}
	if listen == "" {
		t.Fatal("the menu offers no Listen")
	}
	replies := send(`{` + id + `,"choice":"` + listen + `"}`)
	src, _ := replies[0]["audio"].(string)
	if len(replies) != 1 || !strings.HasPrefix(src, "/webchat/audio/") {
		t.Fatalf("answer to Listen %v", replies)
	}
	resp, err := http.Get(base + src)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "audio/ogg" || !bytes.Equal(got, data) {
		t.Errorf("GET %s: %d %s, %d bytes", src, resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
	stopServe(t, cmd, stderr)
}
