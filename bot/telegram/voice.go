package telegram

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/audio"
)

// methodVoice is the Bot API call that sends a recorded answer as a voice message.
const methodVoice = "sendVoice"

// FileIDTTL is how long the file_id of an uploaded recording is reused. Telegram keeps a bot's
// file_ids without a stated end; a month bounds the Redis key all the same and costs one
// upload per recording a month.
const FileIDTTL = 30 * 24 * time.Hour

// clipRef names a recording in a rendered voice message; the sender finds the file (or its
// file_id) when it posts, so what waits in the delivery queue is a name, not the audio.
type clipRef struct{ lang, id string }

// NeedsUpload, UploadData and SendData make clipRef a tgbotapi.RequestFileData, so render can
// build a tgbotapi.VoiceConfig; the library never sends one (jsonCall encodes it).
func (clipRef) NeedsUpload() bool { return false }

// UploadData is never called: see NeedsUpload.
func (clipRef) UploadData() (string, io.Reader, error) {
	return "", nil, errors.New("telegram: a recording is uploaded by the sender")
}

// SendData is the recording's name, lang/id.
func (c clipRef) SendData() string { return c.lang + "/" + c.id }

// voice renders an audio reply: a sendVoice of the recording, the buttons (if any) on it.
func voice(chatID int64, r bot.Reply, kb *tgbotapi.InlineKeyboardMarkup) tgbotapi.Chattable {
	v := tgbotapi.NewVoice(chatID, clipRef{lang: r.Lang, id: r.Audio})
	if kb != nil {
		v.ReplyMarkup = *kb
	}
	return v
}

// jsonVoice is a voice message as it waits in the delivery queue: the chat and the clip.
type jsonVoice struct {
	ChatID      int64                          `json:"chat_id"`
	Clip        string                         `json:"clip"`
	ReplyMarkup *tgbotapi.InlineKeyboardMarkup `json:"reply_markup,omitempty"`
}

// voiceCall is the queued form of a rendered voice message (jsonCall's case for it).
func voiceCall(m tgbotapi.VoiceConfig) (string, []byte, bool) {
	ref, ok := m.File.(clipRef)
	if !ok || m.Caption != "" || m.Thumb != nil {
		return "", nil, false
	}
	kb, ok := keyboardOf(m.BaseChat)
	if !ok {
		return "", nil, false
	}
	body, err := json.Marshal(jsonVoice{ChatID: m.ChatID, Clip: ref.SendData(), ReplyMarkup: kb})
	return methodVoice, body, err == nil
}

// sendVoice posts a queued voice message: by file_id when one is kept, else by uploading the
// file (multipart), whose answer gives the file_id to keep. A file_id Telegram refuses is
// forgotten and the file uploaded again, once.
func (c *Adapter) sendVoice(ctx context.Context, a *api, body []byte) error {
	var v jsonVoice
	if err := json.Unmarshal(body, &v); err != nil {
		return &tgbotapi.Error{Code: http.StatusBadRequest, Message: "unreadable voice message"}
	}
	lang, id, _ := cutClip(v.Clip)
	clip := c.cfg.Audio.Clip(lang, id)
	if clip == nil {
		// The recording went away with a content change: nothing to send, and never will be.
		return &tgbotapi.Error{Code: http.StatusBadRequest, Message: "no such recording"}
	}
	upload := func(ctx context.Context) (string, error) { return a.uploadVoice(ctx, v, clip) }
	fileID, fresh, err := c.uploads.ID(ctx, clip, upload)
	if err != nil || fresh {
		return err // fresh: the upload was the message
	}
	err = a.voiceByID(ctx, v, clip, fileID)
	if errCode(err) != http.StatusBadRequest {
		return err
	}
	c.log.Warn("telegram: a kept file_id was refused; uploading the recording again", "clip", clip.Hash)
	c.uploads.Forget(ctx, clip)
	_, _, err = c.uploads.ID(ctx, clip, upload)
	return err
}

func cutClip(s string) (lang, id string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '/' {
			return s[:i], s[i+1:], true
		}
	}
	return "", s, false
}

// seconds is a clip's duration as sendVoice takes it, rounded up.
func seconds(c *audio.Clip) int { return int((c.Duration + time.Second - 1) / time.Second) }

// voiceByID sends a voice message by a kept file_id (a JSON call).
func (a *api) voiceByID(ctx context.Context, v jsonVoice, clip *audio.Clip, fileID string) error {
	body, err := json.Marshal(struct {
		ChatID      int64                          `json:"chat_id"`
		Voice       string                         `json:"voice"`
		Duration    int                            `json:"duration"`
		ReplyMarkup *tgbotapi.InlineKeyboardMarkup `json:"reply_markup,omitempty"`
	}{v.ChatID, fileID, seconds(clip), v.ReplyMarkup})
	if err != nil {
		return err
	}
	_, err = a.post(ctx, methodVoice, body)
	return scrub(err, a.token)
}

// uploadVoice sends a voice message with the file itself (multipart/form-data, the file as
// audio/ogg) and returns the file_id Telegram gave it.
func (a *api) uploadVoice(ctx context.Context, v jsonVoice, clip *audio.Clip) (string, error) {
	fields := map[string]string{"chat_id": strconv.FormatInt(v.ChatID, 10), "duration": strconv.Itoa(seconds(clip))}
	if v.ReplyMarkup != nil {
		kb, err := json.Marshal(v.ReplyMarkup)
		if err != nil {
			return "", err
		}
		fields["reply_markup"] = string(kb)
	}
	resp, err := a.upload(ctx, clip.Medium(bot.MediumVoice), fields)
	if err != nil {
		return "", err
	}
	var sent struct {
		Voice *struct {
			FileID string `json:"file_id"`
		} `json:"voice"`
	}
	if err := json.Unmarshal(resp.Result, &sent); err != nil || sent.Voice == nil || sent.Voice.FileID == "" {
		// Sent, but with no file_id to keep: the next send uploads again. Not an error: the
		// user has the message, and an error would send it twice.
		return "", nil
	}
	return sent.Voice.FileID, nil
}
