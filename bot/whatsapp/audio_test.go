package whatsapp_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/bot/whatsapp"
)

// mediaGraph is a fake Graph API for media: POST /<phone>/media takes a multipart upload
// (messaging_product, type, file) and answers {"id": ...}; POST /<phone>/messages takes an
// audio message by that id while the upload is less than 30 days old on its clock (Meta's
// limit), and refuses unknown or expired ids and fields the Cloud API does not have.
type mediaGraph struct {
	now func() time.Time

	mu       sync.Mutex
	next     int
	media    map[string]upload
	uploads  []upload
	messages []map[string]any
	refused  []string // why messages were refused
}

type upload struct {
	id, typ, fileType, name string
	data                    []byte
	at                      time.Time
}

func graphErr(w http.ResponseWriter, status, code int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"OAuthException","code":%d,"fbtrace_id":"AbCdEf"}}`, msg, code)
}

func (g *mediaGraph) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get("Authorization") != "Bearer TOKEN" {
		graphErr(w, 401, 190, "Invalid OAuth access token.")
		return
	}
	switch r.URL.Path {
	case "/v21.0/" + phoneID + "/media":
		ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		if ct != "multipart/form-data" || r.ParseMultipartForm(16<<20) != nil {
			graphErr(w, 400, 100, "(#100) The parameter file is required.")
			return
		}
		f, h, err := r.FormFile("file")
		if err != nil {
			graphErr(w, 400, 100, "(#100) The parameter file is required.")
			return
		}
		data, _ := io.ReadAll(f)
		if r.FormValue("messaging_product") != "whatsapp" {
			graphErr(w, 400, 100, "(#100) The parameter messaging_product is required.")
			return
		}
		if r.FormValue("type") != "audio/ogg" || h.Header.Get("Content-Type") != "audio/ogg" || !bytes.HasPrefix(data, []byte("OggS")) {
			graphErr(w, 400, 131053, "(#131053) Media upload error")
			return
		}
		g.mu.Lock()
		g.next++
		u := upload{id: fmt.Sprintf("%016d", 1038000000000000+g.next), typ: r.FormValue("type"), fileType: h.Header.Get("Content-Type"),
			name: h.Filename, data: data, at: g.now()}
		if g.media == nil {
			g.media = map[string]upload{}
		}
		g.media[u.id] = u
		g.uploads = append(g.uploads, u)
		g.mu.Unlock()
		fmt.Fprintf(w, `{"id":"%s"}`, u.id)
	case "/v21.0/" + phoneID + "/messages":
		var m map[string]any
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			graphErr(w, 400, 100, "(#100) Invalid JSON")
			return
		}
		if m["type"] == "audio" {
			a, _ := m["audio"].(map[string]any)
			id, _ := a["id"].(string)
			g.mu.Lock()
			u, ok := g.media[id]
			expired := ok && g.now().Sub(u.at) >= 30*24*time.Hour
			g.mu.Unlock()
			if _, bad := a["clip"]; bad || !ok || expired {
				g.mu.Lock()
				g.refused = append(g.refused, fmt.Sprintf("id %q known %v expired %v", id, ok, expired))
				g.mu.Unlock()
				graphErr(w, 400, 131053, "(#131053) Media upload error")
				return
			}
		}
		g.mu.Lock()
		g.messages = append(g.messages, m)
		n := len(g.messages)
		g.mu.Unlock()
		fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":"%s","wa_id":"%s"}],"messages":[{"id":"wamid.audio%d"}]}`, m["to"], m["to"], n)
	default:
		graphErr(w, 404, 803, "Unknown path")
	}
}

// forget drops every upload, as if Meta had lost them.
func (g *mediaGraph) forget() { g.mu.Lock(); g.media = nil; g.mu.Unlock() }

func (g *mediaGraph) counts() (uploads int, audios []string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range g.messages {
		if m["type"] == "audio" {
			a, _ := m["audio"].(map[string]any)
			audios = append(audios, a["id"].(string))
		}
	}
	return len(g.uploads), audios
}

// pressAt is press written at t (the adapter takes a message from long ago for a stale one).
func pressAt(id string, t time.Time) []byte {
	b := press(id)
	return bytes.Replace(b, []byte(`"timestamp":"1698266730"`), []byte(fmt.Sprintf(`"timestamp":"%d"`, t.Unix())), 1)
}

// recordedSetup is an adapter whose content has a recording of the "info" page in English, sent
// through a mediaGraph; it returns the recording's bytes too.
func recordedSetup(t *testing.T) (*env, *mediaGraph, []byte) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "audio", "testdata", "opus-2500ms.ogg"))
	if err != nil {
		t.Fatal(err)
	}
	var g *mediaGraph
	e := setup(t, func(c *whatsapp.Config) {
		p := testPack(t)
		lib, probs := audio.Load(fstest.MapFS{"en/info.text.ogg": {Data: data}},
			audio.Catalog{Languages: p.Catalog.Languages(), Known: p.Catalog.Has})
		if len(probs) > 0 {
			t.Fatal(probs)
		}
		p.Engine.SetRecordings(lib)
		c.Bot = bot.New(p.Engine, inmem.New(time.Hour), nil)
		c.Audio, c.AudioIDs = lib, &audio.MemoryIDs{Now: c.Now}
		g = &mediaGraph{now: c.Now}
		srv := httptest.NewServer(g)
		t.Cleanup(srv.Close)
		c.Endpoint = srv.URL + "/v21.0"
	})
	return e, g, data
}

// failedStatus is the real "failed" status webhook (testdata/fixtures/whatsapp/status_failed.json)
// for message id, sent to recipient, with the Cloud API error code.
func failedStatus(t *testing.T, id, recipient string, code int) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(fixturesDir(t), "status_failed.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	st := path(p, "entry", 0, "changes", 0, "value", "statuses", 0).(map[string]any)
	st["id"], st["recipient_id"] = id, recipient
	st["errors"].([]any)[0].(map[string]any)["code"] = code
	out, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAudioLostAfterSend: Meta takes an audio message by a kept media id and later reports,
// in a "failed" status (error 131053), that the upload behind it is gone. The adapter drops
// the id, uploads the recording again and sends it once more to the same person; a second
// such failure is not retried, and failures of other codes, of unknown messages or naming
// another recipient send nothing.
func TestAudioLostAfterSend(t *testing.T) {
	e, g, _ := recordedSetup(t)
	e.deliver(t, press(bot.OptionData("main.menu", "info")))
	e.deliver(t, pressAt("a|info.start", e.clock.now()))
	if ups, audios := g.counts(); ups != 1 || len(audios) != 1 {
		t.Fatalf("first Listen: %d uploads, audio messages %v", ups, audios)
	}
	sends := func() int { g.mu.Lock(); defer g.mu.Unlock(); return len(g.messages) }
	before := sends()
	// The fake answers message n with the id wamid.audio<n>.
	lastAudio := func() string {
		g.mu.Lock()
		defer g.mu.Unlock()
		for i := len(g.messages) - 1; i >= 0; i-- {
			if g.messages[i]["type"] == "audio" {
				return fmt.Sprintf("wamid.audio%d", i+1)
			}
		}
		t.Fatal("no audio message sent")
		return ""
	}

	// Statuses that must not send anything: another code, an unknown message, another person.
	first := lastAudio()
	e.deliver(t, failedStatus(t, first, sender, 130472))
	e.deliver(t, failedStatus(t, "wamid.unknown", sender, 131053))
	e.deliver(t, failedStatus(t, first, "4915100000000", 131053))
	if ups, _ := g.counts(); ups != 1 || sends() != before {
		t.Fatalf("statuses that are not this recording's loss: %d uploads, %d messages (was %d)", ups, sends(), before)
	}

	lost := lastAudio()
	g.forget()
	e.deliver(t, failedStatus(t, lost, sender, 131053))
	ups, audios := g.counts()
	if ups != 2 || len(audios) != 2 || audios[1] != g.uploads[1].id {
		t.Fatalf("after the loss: %d uploads, audio messages %v, refused %v", ups, audios, g.refused)
	}
	g.mu.Lock()
	last := g.messages[len(g.messages)-1]
	g.mu.Unlock()
	if last["to"] != sender {
		t.Fatalf("sent again to %v", last["to"])
	}

	// Lost again: the id is dropped once more, but nothing is sent in a loop.
	again := lastAudio()
	e.deliver(t, failedStatus(t, again, sender, 131053))
	if ups, audios = g.counts(); ups != 2 || len(audios) != 2 {
		t.Fatalf("a second loss: %d uploads, audio messages %v", ups, audios)
	}
	e.deliver(t, pressAt("a|info.start", e.clock.now()))
	if ups, audios = g.counts(); ups != 3 || len(audios) != 3 {
		t.Fatalf("Listen after the second loss uploads again: %d uploads, audio messages %v", ups, audios)
	}
	if strings.Contains(e.logs.String(), sender) {
		t.Error("the log carries the phone number")
	}
}

// TestAudioUploadReuseRenew: Listen on a recorded page uploads the recording to /media
// (multipart, audio/ogg) and sends an audio message with the media id; the next Listen reuses
// the id; once 29 days have passed (Meta forgets uploads at 30) the file is uploaded again
// before the old id expires; an id Meta refuses is replaced by a new upload, once.
func TestAudioUploadReuseRenew(t *testing.T) {
	e, g, data := recordedSetup(t)
	e.deliver(t, press(bot.OptionData("main.menu", "info")))
	g.mu.Lock()
	page := g.messages[len(g.messages)-1]
	g.mu.Unlock()
	buttons, _ := path(page, "interactive", "action", "buttons").([]any)
	if len(buttons) != 2 || path(buttons[1], "reply", "id") != "a|info.start" || path(buttons[1], "reply", "title") != "en:common.listen" {
		t.Fatalf("recorded page %v", page)
	}

	e.deliver(t, pressAt("a|info.start", e.clock.now()))
	ups, audios := g.counts()
	if ups != 1 || len(audios) != 1 || audios[0] != g.uploads[0].id {
		t.Fatalf("first Listen: %d uploads, audio messages %v; refused %v", ups, audios, g.refused)
	}
	u := g.uploads[0]
	if u.typ != "audio/ogg" || u.fileType != "audio/ogg" || !bytes.Equal(u.data, data) || !strings.HasSuffix(u.name, ".ogg") {
		t.Errorf("upload type %q part %q name %q %d bytes", u.typ, u.fileType, u.name, len(u.data))
	}

	// A user away for more than a day is welcomed back first; they carry on, then listen.
	back := func() { e.deliver(t, pressAt("c|continue", e.clock.now())) }
	e.clock.add(28 * 24 * time.Hour)
	back()
	e.deliver(t, pressAt("a|info.start", e.clock.now()))
	if ups, audios = g.counts(); ups != 1 || len(audios) != 2 || audios[1] != u.id {
		t.Fatalf("day 28: %d uploads, audio messages %v", ups, audios)
	}

	e.clock.add(24*time.Hour + time.Minute) // day 29: still valid at Meta, renewed all the same
	back()
	e.deliver(t, pressAt("a|info.start", e.clock.now()))
	if ups, audios = g.counts(); ups != 2 || len(audios) != 3 || audios[2] == u.id || audios[2] != g.uploads[1].id {
		t.Fatalf("day 29: %d uploads, audio messages %v", ups, audios)
	}
	if len(g.refused) != 0 {
		t.Errorf("messages refused: %v", g.refused)
	}

	g.forget()
	e.deliver(t, pressAt("a|info.start", e.clock.now()))
	if ups, audios = g.counts(); ups != 3 || len(audios) != 4 || audios[3] != g.uploads[2].id || len(g.refused) != 1 {
		t.Fatalf("after Meta lost the upload: %d uploads, audio messages %v, refused %v", ups, audios, g.refused)
	}
	if strings.Contains(e.logs.String(), sender) {
		t.Error("the log carries the phone number")
	}
}

// TestAudioRender: Render shows an audio reply as one audio message naming the clip, which
// Post replaces with a media id.
func TestAudioRender(t *testing.T) {
	out := whatsapp.Render(sender, bot.Reply{Lang: "nb", Audio: "info.text"}, "menu")
	if len(out) != 1 || out[0]["type"] != "audio" || path(out[0], "audio", "clip") != "nb/info.text" {
		t.Fatalf("%v", out)
	}
}
