package whatsapp

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/deliver"
)

// codeMediaUpload is the Cloud API's "Media upload error": Meta took an audio message by a
// media id and later could not send it, because the upload behind the id is gone (Meta keeps
// uploads 30 days, and now and then loses one sooner). It comes in a "failed" status webhook,
// not in the answer to the send.
const codeMediaUpload = 131053

// How long and how many sent recordings are remembered for a late failure. Statuses come
// within seconds; a quarter of an hour covers a webhook Meta delivers again after an outage.
const (
	sentAudioTTL = 15 * time.Minute
	sentAudioMax = 4096
)

// sentAudio remembers, in this process only, which recording each audio message carried, so a
// "failed" status with a media upload error can drop the kept media id (the next Listen then
// uploads the file again) and send the recording once more. Only the message id, the wa_id it
// went to and the clip's name are kept, for at most sentAudioTTL; a status that reaches another
// replica is only counted, and the 29-day renewal (MediaIDTTL) still replaces the id in time.
type sentAudio struct {
	mu     sync.Mutex
	now    func() time.Time
	byID   map[string]sentClip
	order  []string             // message ids, oldest first, for the bound
	resent map[string]time.Time // "<wa_id> <clip>" sent again after a failure, and when
}

// sentClip is one audio message as sentAudio keeps it.
type sentClip struct {
	to, clip string
	at       time.Time
}

func newSentAudio(now func() time.Time) *sentAudio {
	return &sentAudio{now: now, byID: map[string]sentClip{}, resent: map[string]time.Time{}}
}

// add records that message id carried clip to the wa_id to.
func (s *sentAudio) add(id, to, clip string) {
	if id == "" {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	for len(s.order) > 0 && (len(s.order) >= sentAudioMax || now.Sub(s.byID[s.order[0]].at) > sentAudioTTL) {
		delete(s.byID, s.order[0])
		s.order = s.order[1:]
	}
	for k, at := range s.resent {
		if now.Sub(at) > sentAudioTTL {
			delete(s.resent, k)
		}
	}
	s.byID[id] = sentClip{to: to, clip: clip, at: now}
	s.order = append(s.order, id)
}

// failed takes the record of message id, if it is known, recent and was sent to recipient (a
// status naming someone else changes nothing), and reports whether the recording may be sent
// again: once per user and clip within sentAudioTTL, so a recording Meta keeps failing is not
// sent in a loop.
func (s *sentAudio) failed(id, recipient string) (c sentClip, known, again bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, known = s.byID[id]
	now := s.now()
	if !known || now.Sub(c.at) > sentAudioTTL || (recipient != "" && recipient != c.to) {
		return sentClip{}, false, false
	}
	delete(s.byID, id)
	key := c.to + " " + c.clip
	if at, ok := s.resent[key]; ok && now.Sub(at) <= sentAudioTTL {
		return c, true, false
	}
	s.resent[key] = now
	return c, true, true
}

// audioFailed handles a "failed" status with a media upload error for an audio message this
// process sent: the kept media id is dropped everywhere and the recording is sent again, once,
// to the wa_id it was sent to (never to another: the status must name the same recipient).
func (a *Adapter) audioFailed(s Status) {
	c, known, again := a.sentAudio.failed(s.ID, s.RecipientID)
	if !known {
		return
	}
	lang, id, _ := strings.Cut(c.clip, "/")
	clip := a.cfg.Audio.Clip(lang, id)
	if clip == nil {
		return
	}
	a.uploads.Forget(context.Background(), clip)
	if !again {
		a.cfg.Log.Warn("whatsapp: a recording failed again after it was sent again; not retried", "clip", clip.Hash)
		return
	}
	a.cfg.Log.Warn("whatsapp: Meta lost a sent recording's upload; uploading it again", "clip", clip.Hash)
	var q queuedAudio
	q.To, q.Audio.Clip = c.to, c.clip
	body, err := json.Marshal(q)
	if err != nil {
		return
	}
	user := bot.UserKey(a.cfg.Secret, Channel, c.to)
	a.out.do(user, func() {
		ctx, cancel := context.WithTimeout(context.Background(), handleTimeout)
		defer cancel()
		_ = a.send.Deliver(ctx, user, []deliver.Message{{Body: body, Kind: "audio", Method: methodAudio}}, bot.Turn{}, true)
	})
}
