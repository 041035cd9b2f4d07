package bot

import (
	"context"
	"errors"
	"io"
	"strconv"
)

// The kinds of media the bot passes to people (Medium.Kind): what a counsellor can listen to or
// look at. Anything else a user sends (a location, a contact, a poll) is named by Event.Media
// alone and never relayed.
const (
	MediumVoice    = "voice"
	MediumAudio    = "audio"
	MediumPhoto    = "photo"
	MediumVideo    = "video"
	MediumDocument = "document"
	MediumSticker  = "sticker"
)

// Size limits of a medium passed between a user and staff. Images are small on every platform;
// voice notes, audio, video and documents get the limit WhatsApp sets for audio and video.
const (
	MaxImageBytes  = 5 << 20
	MaxMediumBytes = 16 << 20
)

// MediumLimit is the largest medium of a kind the bot passes on, in bytes.
func MediumLimit(kind string) int64 {
	if kind == MediumPhoto || kind == MediumSticker {
		return MaxImageBytes
	}
	return MaxMediumBytes
}

// IsMedium reports whether kind is one of the media kinds the bot relays.
func IsMedium(kind string) bool {
	switch kind {
	case MediumVoice, MediumAudio, MediumPhoto, MediumVideo, MediumDocument, MediumSticker:
		return true
	}
	return false
}

// ErrMediumTooLarge is returned (wrapped) by a Medium's Open, or by reading what it opened, when
// the medium turns out larger than its kind's limit.
var ErrMediumTooLarge = errors.New("medium larger than its limit")

// Medium is a voice note, audio, photo, video, document or sticker that a user or a counsellor
// sent: what it is, how large, and how the channel it came from finds it again. It never holds
// the bytes and is never stored: it lives in memory for one turn (in the Event, the Result and
// the staff post made of it), and the bytes, when another channel needs them, are streamed from
// the platform through Open to the platform that delivers them.
type Medium struct {
	// Kind is one of the Medium* kinds.
	Kind string
	// MIME is the type the platform gave ("audio/ogg", "image/jpeg"), or "" when it gave none.
	MIME string
	// Size is the size in bytes the platform gave; 0 when unknown.
	Size int64
	// Channel names the platform whose reference Ref is ("telegram", "whatsapp", "web").
	Channel string
	// Ref is the platform's reference of the medium: a Telegram file_id, a WhatsApp media id, a
	// web upload handle. Never logged.
	Ref string
	// Message locates the platform message that carried the medium, for platforms that can copy
	// a message by reference (Telegram copyMessage: "<chat id>:<message id>"); "" otherwise.
	// Never logged.
	Message string
	// Name is the file name a document came with, if any (shown to staff only; never logged).
	Name string
	// Caption is the text sent with the medium, if any (never logged).
	Caption string
	// Open streams the medium's bytes from its platform; nil when the platform can only copy it
	// by reference. What it returns must be closed, and fails with ErrMediumTooLarge past the
	// kind's limit.
	Open func(ctx context.Context) (io.ReadCloser, error)
}

// TooLarge reports whether the platform's size of m is over its kind's limit.
func (m *Medium) TooLarge() bool { return m != nil && m.Size > MediumLimit(m.Kind) }

// Describe is what logs and staff may see of m: its kind and size, nothing that names or quotes.
func (m *Medium) Describe() string {
	if m == nil {
		return ""
	}
	if m.Size <= 0 {
		return m.Kind
	}
	return m.Kind + " · " + HumanSize(m.Size)
}

// HumanSize is a size as staff read it: "820 B", "12 KB", "3.4 MB".
func HumanSize(n int64) string {
	switch {
	case n < 1000:
		return strconv.FormatInt(n, 10) + " B"
	case n < 1000*1000:
		return strconv.FormatInt((n+500)/1000, 10) + " KB"
	default:
		return strconv.FormatFloat(float64(n)/1e6, 'f', 1, 64) + " MB"
	}
}

// Limited wraps r so that reading more than limit bytes fails with ErrMediumTooLarge: a
// platform's size can be missing or wrong, and the bytes are counted as they pass.
func Limited(r io.ReadCloser, limit int64) io.ReadCloser {
	return &limited{r: r, left: limit}
}

type limited struct {
	r    io.ReadCloser
	left int64
}

func (l *limited) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, ErrMediumTooLarge
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n, ErrMediumTooLarge
	}
	return n, err
}

func (l *limited) Close() error { return l.r.Close() }

// MediumObserver is told of each medium a user sent, for a metric by channel and kind: outcome
// is "relayed" (passed to staff), "too_large" (refused with an answer) or "answered" (outside a
// chat with staff: the kind answer). It never gets more than that.
type MediumObserver interface {
	Medium(channel, kind, outcome string)
}
