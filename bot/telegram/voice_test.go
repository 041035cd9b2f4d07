package telegram_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// recordedPage is the first page of the real content that says return.about, and a library
// with that text recorded in English (the 2.5 s fixture of bot/audio).
func recordedPage(t *testing.T) (string, *audio.Library, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "audio", "testdata", "opus-2500ms.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	p := content(t)
	ref := ""
	for _, f := range p.Content.Flows {
		for _, n := range f.Nodes {
			for _, id := range n.Say {
				if id == "return.about" {
					ref = n.Ref()
				}
			}
		}
	}
	if ref == "" {
		t.Fatal("no page says return.about")
	}
	lib, probs := audio.Load(fstest.MapFS{"en/return.about.ogg": {Data: data}},
		audio.Catalog{Languages: p.Catalog.Languages(), Known: p.Catalog.Has})
	if len(probs) > 0 {
		t.Fatal(probs)
	}
	return ref, lib, data
}

// withRecordings runs the adapter on an engine of its own (the shared one stays without
// recordings) that offers Listen for lib, keeping file_ids in ids.
func withRecordings(lib *audio.Library, ids audio.IDStore) func(*telegram.Config) {
	return func(c *telegram.Config) {
		p := pack // loaded by content() before start runs the options
		e := bot.NewEngine(p.Content, p.Catalog)
		e.SetRecordings(lib)
		c.Bot = bot.New(e, inmem.New(0), c.Log)
		c.Audio, c.AudioIDs = lib, ids
	}
}

// TestVoiceUploadThenFileID: Listen on a recorded page sends the recording with sendVoice as a
// multipart upload (the file as audio/ogg, its duration); the file_id Telegram answers with is
// kept (here and in the shared store), and the next Listen, from another chat too, sends the
// file_id alone. When Telegram no longer knows the file_id, the file is uploaded again.
func TestVoiceUploadThenFileID(t *testing.T) {
	ref, lib, data := recordedPage(t)
	shared := &audio.MemoryIDs{}
	h := start(t, webhook, withRecordings(lib, shared))
	const chat, other = 5551001, 5551002

	// The page's own message carries Listen as its last button ("Was this helpful?" follows).
	var listen *telegramtest.Button
	for _, c := range h.turn(chat, press(1, chat, "en", "q1", "g|"+ref)) {
		if kb := c.Keyboard(); len(kb) > 0 && strings.HasPrefix(kb[len(kb)-1].Data, "a|") {
			listen = &kb[len(kb)-1]
		}
	}
	if listen == nil || listen.Data != "a|"+ref || listen.Text != "🔊 Listen" {
		t.Fatalf("recorded page's Listen button %+v", listen)
	}

	got := h.turn(chat, press(2, chat, "en", "q2", "a|"+ref))
	if len(got) != 1 || got[0].Method != "sendVoice" {
		t.Fatalf("Listen sent %s", telegramtest.Summary(got))
	}
	up, ok := got[0].Files["voice"]
	if !ok || up.Type != "audio/ogg" || !bytes.Equal(up.Data, data) || !strings.HasSuffix(up.Name, ".ogg") {
		t.Fatalf("upload %q %q %d bytes (want %d)", up.Name, up.Type, len(up.Data), len(data))
	}
	if got[0].Params["duration"] != "3" || got[0].Params["voice"] != "" {
		t.Errorf("upload params %v", got[0].Params)
	}
	clip := lib.Clip("en", "return.about")
	kept, ok, _ := shared.MediaID(context.Background(), "media:tg:"+clip.Hash)
	if !ok || kept == "" {
		t.Fatal("no file_id in the shared store")
	}

	h.turn(other, press(3, other, "en", "q3", "g|"+ref))
	again := h.turn(other, press(4, other, "en", "q4", "a|"+ref))
	if len(again) != 1 || again[0].Method != "sendVoice" || len(again[0].Files) != 0 || again[0].Params["voice"] == "" ||
		!strings.HasSuffix(kept, " "+again[0].Params["voice"]) {
		t.Fatalf("second Listen: %s files %d voice %q (kept %q)", telegramtest.Summary(again), len(again[0].Files), again[0].Params["voice"], kept)
	}

	// Telegram lost the file: the file_id is refused (400), the file goes up again, once.
	h.srv.ForgetFiles()
	n := len(h.srv.Calls("sendVoice"))
	third := h.turn(chat, press(5, chat, "en", "q5", "a|"+ref))
	calls := h.srv.Calls("sendVoice")[n:]
	if len(third) != 1 || len(calls) != 2 || calls[0].Status != 400 || calls[0].Params["voice"] == "" ||
		calls[1].Status != 200 || !bytes.Equal(calls[1].Files["voice"].Data, data) {
		t.Fatalf("after the file_id was lost: %s", telegramtest.Summary(calls))
	}
	if _, fileID, _ := strings.Cut(kept, " "); strings.Contains(h.logs.String(), fileID) {
		t.Error("the log carries a file_id")
	}
}

// TestVoiceRender: Render turns an audio reply into a sendVoice of its own, never merged into
// the text before it.
func TestVoiceRender(t *testing.T) {
	out := telegram.Render(42, []bot.Reply{{Lang: "en", Text: "About return"}, {Lang: "en", Audio: "return.about"}})
	if len(out) != 2 {
		t.Fatalf("%d calls, want a message and a voice", len(out))
	}
	v, ok := out[1].(tgbotapi.VoiceConfig)
	if !ok || v.ChatID != 42 || v.File.SendData() != "en/return.about" {
		t.Fatalf("second call %#v", out[1])
	}
}
