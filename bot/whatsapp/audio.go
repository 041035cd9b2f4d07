package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/audio"
)

// methodAudio marks a queued recorded answer: its body names the clip, and Post uploads the
// file (or reuses the media id) before it sends the audio message.
const methodAudio = "audio"

// MediaIDTTL is how long the media id of an uploaded recording is reused. Meta keeps an
// uploaded file 30 days; a day less leaves room for a message that waits in the delivery
// queue, so no message is sent with an id about to expire.
const MediaIDTTL = 29 * 24 * time.Hour

// audioOut is an audio reply as Render shows it: an audio message whose "clip" names the
// recording (lang/id); Post puts the media id in its place.
func audioOut(to string, r bot.Reply) OutMessage {
	return OutMessage{"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "audio",
		"audio": map[string]any{"clip": r.Lang + "/" + r.Audio}}
}

// queuedAudio is the body of a queued audio message.
type queuedAudio struct {
	To    string `json:"to"`
	Audio struct {
		Clip string `json:"clip"`
	} `json:"audio"`
}

// sendAudio posts a queued audio message: the recording's media id (kept, or got by uploading
// the file), then the message. An id the Graph API refuses is forgotten and the file uploaded
// again, once.
func (a *Adapter) sendAudio(ctx context.Context, body []byte) error {
	var q queuedAudio
	if err := json.Unmarshal(body, &q); err != nil || q.To == "" {
		return &SendError{Status: http.StatusBadRequest, Type: "unreadable audio message"}
	}
	lang, id, _ := strings.Cut(q.Audio.Clip, "/")
	clip := a.cfg.Audio.Clip(lang, id)
	if clip == nil {
		// The recording went away with a content change: there is nothing to send.
		return &SendError{Status: http.StatusBadRequest, Type: "no such recording"}
	}
	upload := func(ctx context.Context) (string, error) { return a.uploadMedia(ctx, clip) }
	mediaID, fresh, err := a.uploads.ID(ctx, clip, upload)
	if err != nil {
		return err
	}
	err = a.postAudio(ctx, q, mediaID)
	var se *SendError
	if fresh || !errors.As(err, &se) || se.Status != http.StatusBadRequest {
		return err
	}
	a.cfg.Log.Warn("whatsapp: a kept media id was refused; uploading the recording again", "clip", clip.Hash, "code", se.Code)
	a.uploads.Forget(ctx, clip)
	if mediaID, _, err = a.uploads.ID(ctx, clip, upload); err != nil {
		return err
	}
	return a.postAudio(ctx, q, mediaID)
}

// postAudio sends the audio message with a media id, and remembers which recording the
// message carried (audiostatus.go: Meta may report later that it could not send it).
func (a *Adapter) postAudio(ctx context.Context, q queuedAudio, mediaID string) error {
	body, err := json.Marshal(OutMessage{"messaging_product": "whatsapp", "recipient_type": "individual", "to": q.To,
		"type": "audio", "audio": map[string]any{"id": mediaID}})
	if err != nil {
		return err
	}
	raw, _, err := a.post(ctx, a.graphURL("messages"), body)
	if err != nil {
		return err
	}
	var sent struct {
		Messages []struct {
			ID string `json:"id"`
		} `json:"messages"`
	}
	if json.Unmarshal(raw, &sent) == nil && len(sent.Messages) == 1 {
		a.sentAudio.add(sent.Messages[0].ID, q.To, q.Audio.Clip)
	}
	return nil
}

func (a *Adapter) graphURL(edge string) string {
	return strings.TrimRight(a.cfg.Endpoint, "/") + "/" + a.cfg.PhoneNumberID + "/" + edge
}

// uploadMedia uploads a recording to POST /<phone number id>/media (multipart/form-data:
// messaging_product, type, and the file as audio/ogg) and returns the media id.
func (a *Adapter) uploadMedia(ctx context.Context, clip *audio.Clip) (string, error) {
	return a.upload(ctx, clip.Medium(bot.MediumAudio), "audio")
}
