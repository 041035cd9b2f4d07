package webchat

import (
	"bytes"
	"net/http"
	"time"

	"github.com/returnbot/returnbot/bot/audio"
)

// AudioPath is where the page fetches a recording: AudioPath + <clip hash> + ".ogg". The name
// is the content's hash, so a URL always means the same bytes and can be cached for good.
const AudioPath = "/webchat/audio/"

// audioURL is the player's address for a recorded text, or "" when there is no recording.
func (h *Handler) audioURL(lang, id string) string {
	c := h.cfg.Audio.Clip(lang, id)
	if c == nil {
		return ""
	}
	return AudioPath + c.Hash + audio.Ext
}

// hashName reports whether name is exactly 32 lowercase hex digits and ".ogg": the only names
// served, so no path (dots, slashes, encoded or not) ever reaches a lookup.
func hashName(name string) (string, bool) {
	const n = 32
	if len(name) != n+len(audio.Ext) || name[n:] != audio.Ext {
		return "", false
	}
	for i := 0; i < n; i++ {
		if c := name[i]; !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return "", false
		}
	}
	return name[:n], true
}

// audioFile serves a recording by its hash: audio/ogg, cached a year as immutable, with ranges
// (the player seeks and reads the duration from the end) and conditional requests.
func (h *Handler) audioFile(w http.ResponseWriter, r *http.Request) {
	hash, ok := hashName(r.PathValue("name"))
	c := h.cfg.Audio.ByHash(hash)
	if !ok || c == nil {
		h.secure(w, false)
		http.NotFound(w, nil)
		return
	}
	h.secure(w, false)
	hd := w.Header()
	hd.Set("Content-Type", audio.ContentType)
	hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	hd.Set("ETag", `"`+c.Hash+`"`)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(c.Data))
}
