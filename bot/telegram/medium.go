package telegram

import (
	"encoding/json"
	"mime"
	"strconv"

	"github.com/returnbot/returnbot/bot"
)

// The media a user or a counsellor sends on Telegram, read from a message into a bot.Medium:
// kind, MIME type, size, the file_id and where the message is (for copyMessage). The bytes stay
// on Telegram's servers unless another platform needs them (Medium.Open, fetch.go).

// tgFile is what Telegram's Voice, Audio, Video, VideoNote, Document and Sticker objects have in
// common, and a PhotoSize.
type tgFile struct {
	FileID     string `json:"file_id"`
	FileSize   int64  `json:"file_size"`
	MimeType   string `json:"mime_type"`
	FileName   string `json:"file_name"`
	IsAnimated bool   `json:"is_animated"` // stickers
	IsVideo    bool   `json:"is_video"`    // stickers
}

// mediumOf reads the medium of m; nil when m carries none the bot relays.
func (c *Adapter) mediumOf(m *message) *bot.Medium {
	md := mediumIn(m.Voice, m.Audio, m.Photo, m.Video, m.VideoNote, m.Document, m.Sticker)
	if md == nil {
		return nil
	}
	md.Message = strconv.FormatInt(m.Chat.ID, 10) + ":" + strconv.FormatInt(m.MessageID, 10)
	if m.Caption != nil {
		md.Caption = *m.Caption
	}
	c.fetchable(md)
	return md
}

// mediumIn reads the first medium present, in the order of message.media (an animation is a
// document too, and is relayed as one).
func mediumIn(voice, audio, photo, video, videoNote, document, sticker json.RawMessage) *bot.Medium {
	one := func(kind, mime string, raw json.RawMessage) *bot.Medium {
		var f tgFile
		if json.Unmarshal(raw, &f) != nil || f.FileID == "" {
			return nil
		}
		if f.MimeType != "" {
			mime = f.MimeType
		}
		if kind == bot.MediumSticker {
			switch {
			case f.IsAnimated:
				mime = "application/x-tgsticker"
			case f.IsVideo:
				mime = "video/webm"
			}
		}
		return &bot.Medium{Kind: kind, MIME: mime, Size: f.FileSize, Channel: Channel, Ref: f.FileID, Name: f.FileName}
	}
	present := func(raw json.RawMessage) bool { return len(raw) > 0 && string(raw) != "null" }
	switch {
	case present(document):
		return one(bot.MediumDocument, "application/octet-stream", document)
	case present(voice):
		return one(bot.MediumVoice, "audio/ogg", voice)
	case present(audio):
		return one(bot.MediumAudio, "audio/mpeg", audio)
	case present(photo):
		return largestPhoto(photo)
	case present(video):
		return one(bot.MediumVideo, "video/mp4", video)
	case present(videoNote):
		return one(bot.MediumVideo, "video/mp4", videoNote)
	case present(sticker):
		return one(bot.MediumSticker, "image/webp", sticker)
	}
	return nil
}

// largestPhoto picks the largest size of a photo within the image limit (Telegram sends several
// sizes of one photo, not always in order), else the largest.
func largestPhoto(raw json.RawMessage) *bot.Medium {
	var sizes []tgFile
	if json.Unmarshal(raw, &sizes) != nil {
		return nil
	}
	var best, biggest *tgFile
	for i := range sizes {
		s := &sizes[i]
		if s.FileID == "" {
			continue
		}
		if biggest == nil || s.FileSize > biggest.FileSize {
			biggest = s
		}
		if s.FileSize <= bot.MaxImageBytes && (best == nil || s.FileSize > best.FileSize) {
			best = s
		}
	}
	if best == nil {
		best = biggest
	}
	if best == nil {
		return nil
	}
	return &bot.Medium{Kind: bot.MediumPhoto, MIME: "image/jpeg", Size: best.FileSize, Channel: Channel, Ref: best.FileID}
}

// sendMethod is the Bot API method and file field that uploads a medium of a kind.
func sendMethod(m *bot.Medium) (method, field string) {
	switch m.Kind {
	case bot.MediumVoice:
		if t := baseType(m.MIME); t == "audio/ogg" || t == "audio/mpeg" || t == "audio/mp4" || t == "" {
			return "sendVoice", "voice"
		}
		return "sendDocument", "document" // a browser's WebM recording: Telegram plays it as a file
	case bot.MediumAudio:
		return "sendAudio", "audio"
	case bot.MediumPhoto:
		return "sendPhoto", "photo"
	case bot.MediumVideo:
		return "sendVideo", "video"
	case bot.MediumSticker:
		if baseType(m.MIME) == "image/webp" {
			return "sendSticker", "sticker"
		}
	}
	return "sendDocument", "document"
}

// captioned reports whether a message of the kind can carry a caption (stickers and video
// notes cannot; the text goes before them as a message of its own).
func captioned(m *bot.Medium) bool { return m.Kind != bot.MediumSticker }

// maxCaption is the Bot API's limit of a caption, in characters.
const maxCaption = 1024

// clipCaption shortens a caption to what Telegram takes.
func clipCaption(s string) string {
	r := []rune(s)
	if len(r) <= maxCaption {
		return s
	}
	return string(r[:maxCaption-1]) + "…"
}

// baseType is a MIME type without its parameters ("audio/ogg; codecs=opus" is "audio/ogg").
func baseType(t string) string {
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		return mt
	}
	return t
}
