package webchat

import (
	"bytes"

	"github.com/returnbot/returnbot/bot"
)

// Sniff names what an upload is by its first bytes, never by what the browser says: a voice
// note in Ogg Opus, WebM (what browsers record) or MP4/M4A, a video in MP4, a JPEG or PNG photo,
// or a PDF. ok is false for anything else, which is refused.
func Sniff(b []byte) (kind, mime string, ok bool) {
	switch {
	case bytes.HasPrefix(b, []byte("OggS")):
		// An Ogg stream whose first page opens with the Opus header (the page header is 27
		// bytes and the segment table one entry: "OpusHead" starts at 28).
		if len(b) >= 36 && bytes.Equal(b[28:36], []byte("OpusHead")) {
			return bot.MediumVoice, "audio/ogg", true
		}
	case bytes.HasPrefix(b, []byte{0x1a, 0x45, 0xdf, 0xa3}):
		// EBML: WebM (or Matroska) as MediaRecorder writes it; the DocType says which.
		if bytes.Contains(b[:min(len(b), 64)], []byte("webm")) {
			return bot.MediumVoice, "audio/webm", true
		}
	case len(b) >= 12 && bytes.Equal(b[4:8], []byte("ftyp")):
		if brand := string(b[8:12]); brand == "M4A " || brand == "M4B " {
			return bot.MediumVoice, "audio/mp4", true
		}
		return bot.MediumVideo, "video/mp4", true
	case bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}):
		return bot.MediumPhoto, "image/jpeg", true
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return bot.MediumPhoto, "image/png", true
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return bot.MediumDocument, "application/pdf", true
	}
	return "", "", false
}
