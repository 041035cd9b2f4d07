package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Media on the Graph API: a user's medium is looked up (GET /<media id>: its URL, type and size)
// and, when staff on another platform need it, fetched from that URL with the bearer token,
// within its kind's limit; a counsellor's medium is uploaded (POST /<phone number id>/media,
// multipart) and sent as a message of its type by the media id it got. The bytes stream through;
// none is kept, and logs name the kind and size only.

// lookupTimeout bounds the look-up of a medium before the message is handled.
const lookupTimeout = 5 * time.Second

// mediaInfo is the Graph API's answer to GET /<media id>.
type mediaInfo struct {
	URL      string `json:"url"`
	MimeType string `json:"mime_type"`
	FileSize int64  `json:"file_size"`
	ID       string `json:"id"`
}

// lookup learns a medium's size and type and gives it its Open. When the look-up fails the
// medium goes on without a size, and Open looks it up again.
func (a *Adapter) lookup(ctx context.Context, m *bot.Medium) {
	ctx, cancel := context.WithTimeout(ctx, lookupTimeout)
	defer cancel()
	info, err := a.mediaInfo(ctx, m.Ref)
	if err != nil {
		a.cfg.Log.Warn("whatsapp: medium not looked up", "kind", m.Kind, "err", err)
	} else {
		m.Size = info.FileSize
		if info.MimeType != "" {
			m.MIME = info.MimeType
		}
	}
	id, limit, known := m.Ref, bot.MediumLimit(m.Kind), info
	m.Open = func(ctx context.Context) (io.ReadCloser, error) {
		at := known
		if at == nil { // looked up again: the first look-up failed
			var err error
			if at, err = a.mediaInfo(ctx, id); err != nil {
				return nil, err
			}
		}
		return a.download(ctx, at, limit)
	}
}

// mediaInfo asks the Graph API where a medium is.
func (a *Adapter) mediaInfo(ctx context.Context, id string) (*mediaInfo, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(a.cfg.Endpoint, "/")+"/"+id, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	res, err := a.cfg.Client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("graph API unreachable: %w", err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK {
		return nil, graphRefusal(res, raw)
	}
	var info mediaInfo
	if err := json.Unmarshal(raw, &info); err != nil || info.URL == "" {
		return nil, errors.New("whatsapp: media look-up gave no url")
	}
	return &info, nil
}

// download fetches a medium from its URL (which answers only with the bearer token) as a
// stream that fails past limit.
func (a *Adapter) download(ctx context.Context, info *mediaInfo, limit int64) (io.ReadCloser, error) {
	if info.FileSize > limit {
		return nil, fmt.Errorf("whatsapp: medium of %d bytes: %w", info.FileSize, bot.ErrMediumTooLarge)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, info.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	res, err := a.cfg.Client.Do(req)
	if err != nil {
		return nil, errors.New("whatsapp: media download failed") // the error would quote the URL
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("whatsapp: media download answered %d", res.StatusCode)
	}
	if res.ContentLength > limit {
		res.Body.Close()
		return nil, fmt.Errorf("whatsapp: medium of %d bytes: %w", res.ContentLength, bot.ErrMediumTooLarge)
	}
	return bot.Limited(res.Body, limit), nil
}

// graphRefusal is the SendError of a Graph API answer that is not 2xx.
func graphRefusal(res *http.Response, raw []byte) error {
	var ge graphError
	_ = json.Unmarshal(raw, &ge)
	return &SendError{Status: res.StatusCode, Code: ge.Error.Code, Type: ge.Error.Type}
}

// waType is the Cloud API message type that carries a medium of a kind, and whether it takes a
// caption. Stickers must be WebP; others go as documents.
func waType(m *bot.Medium) (typ string, caption bool) {
	switch m.Kind {
	case bot.MediumVoice, bot.MediumAudio:
		return "audio", false
	case bot.MediumPhoto:
		return "image", true
	case bot.MediumVideo:
		return "video", true
	case bot.MediumSticker:
		if baseType(m.MIME) == "image/webp" {
			return "sticker", false
		}
	}
	return "document", true
}

// baseType is a MIME type without its parameters ("audio/ogg; codecs=opus" is "audio/ogg").
func baseType(t string) string {
	if mt, _, err := mime.ParseMediaType(t); err == nil {
		return mt
	}
	return t
}

// sendMediumTimeout bounds passing one medium to a user (upload and message, retries included).
const sendMediumTimeout = 2 * time.Minute

// SendMedium implements handoff.MediumSender: a counsellor's medium reaches the WhatsApp user
// whose wa_id route is, inside the 24-hour window (outside it ErrHeldBack: a template cannot carry
// it). The caption goes with an image, video or document, as a text before audio and stickers.
func (a *Adapter) SendMedium(ctx context.Context, route, user string, m bot.Medium, caption string) error {
	ctx, cancel := context.WithTimeout(ctx, sendMediumTimeout)
	defer cancel()
	last, ok, err := a.cfg.Window.Last(ctx, user)
	if err != nil || !ok || a.cfg.Now().Sub(last) >= ServiceWindow-windowMargin {
		a.stats.heldBack.Add(1)
		a.cfg.Metrics.Reply(Channel, "held")
		return ErrHeldBack
	}
	if m.Open == nil {
		return errors.New("whatsapp: medium cannot be read")
	}
	typ, captioned := waType(&m)
	id, err := a.upload(ctx, &m, typ)
	if err != nil {
		a.cfg.Log.Warn("whatsapp: medium not uploaded", "user", user, "kind", m.Kind, "size", m.Size, "err", err)
		return err
	}
	if !captioned && caption != "" {
		if err := a.SendProactive(ctx, route, []bot.Reply{{Text: caption}}); err != nil {
			return err
		}
	}
	obj := map[string]any{"id": id}
	if captioned && caption != "" {
		obj["caption"] = Truncate(caption, MaxInteractiveBody)
	}
	body, _ := json.Marshal(OutMessage{"messaging_product": "whatsapp", "recipient_type": "individual", "to": route, "type": typ, typ: obj})
	url := strings.TrimRight(a.cfg.Endpoint, "/") + "/" + a.cfg.PhoneNumberID + "/messages"
	for try := 1; ; try++ {
		retry, err := a.postOnce(ctx, url, body)
		if err == nil {
			a.cfg.Metrics.Reply(Channel, "sent")
			return nil
		}
		if retry < 0 || try >= a.cfg.MaxAttempts {
			a.cfg.Metrics.Reply(Channel, "failed")
			a.cfg.Log.Warn("whatsapp: medium not delivered", "user", user, "kind", m.Kind, "size", m.Size, "err", err)
			return err
		}
		wait := max(retry, a.cfg.Backoff<<(try-1))
		select {
		case <-time.After(wait):
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// upload streams a medium to POST /<phone number id>/media and returns its media id.
func (a *Adapter) upload(ctx context.Context, m *bot.Medium, typ string) (string, error) {
	src, err := m.Open(ctx)
	if err != nil {
		return "", err
	}
	defer src.Close()
	mt := baseType(m.MIME)
	if mt == "" {
		mt = "application/octet-stream"
	}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(func() error {
			for _, f := range [][2]string{{"messaging_product", "whatsapp"}, {"type", mt}} {
				if err := mw.WriteField(f[0], f[1]); err != nil {
					return err
				}
			}
			h := textproto.MIMEHeader{}
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, uploadName(m, typ)))
			h.Set("Content-Type", mt)
			w, err := mw.CreatePart(h)
			if err != nil {
				return err
			}
			if _, err := io.Copy(w, src); err != nil {
				return err
			}
			return mw.Close()
		}())
	}()
	url := strings.TrimRight(a.cfg.Endpoint, "/") + "/" + a.cfg.PhoneNumberID + "/media"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, pr)
	if err != nil {
		pr.CloseWithError(err)
		return "", err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+a.cfg.Token)
	res, err := a.cfg.Client.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		if errors.Is(err, bot.ErrMediumTooLarge) {
			return "", err
		}
		return "", fmt.Errorf("graph API unreachable: %w", err)
	}
	defer res.Body.Close()
	pr.CloseWithError(io.ErrClosedPipe)
	raw, _ := io.ReadAll(io.LimitReader(res.Body, 64<<10))
	if res.StatusCode/100 != 2 {
		return "", graphRefusal(res, raw)
	}
	var out struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.ID == "" {
		return "", &SendError{Status: http.StatusBadGateway, Type: "media upload answered without an id"}
	}
	return out.ID, nil
}

// uploadName is the file name of an upload: the document's own, else one by type.
func uploadName(m *bot.Medium, typ string) string {
	if m.Name != "" {
		return strings.Map(func(r rune) rune {
			if r == '"' || r == '\\' || r < ' ' {
				return '_'
			}
			return r
		}, m.Name)
	}
	if exts, _ := mime.ExtensionsByType(baseType(m.MIME)); len(exts) > 0 {
		return typ + exts[0]
	}
	return typ
}
