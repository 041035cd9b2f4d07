package telegram

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
)

// Moving a medium's bytes through the Bot API, for a medium that crosses platforms: getFile and
// the file download (a counsellor's voice note for a WhatsApp user), and multipart uploads (a
// WhatsApp user's photo for the staff group). The bytes stream through; none is kept.

// fetchable gives a Telegram medium its Open: getFile, then the download, limited to the kind's
// limit (Telegram serves bots files of up to 20 MB).
func (c *Adapter) fetchable(m *bot.Medium) {
	if m == nil || m.Channel != Channel || m.Ref == "" {
		return
	}
	fileID, limit := m.Ref, bot.MediumLimit(m.Kind)
	m.Open = func(ctx context.Context) (io.ReadCloser, error) { return c.download(ctx, fileID, limit) }
}

// Fetchable gives a medium read from a staff chat update (StaffAction.Medium) its Open, so that
// it can reach a user on another platform.
func (c *Adapter) Fetchable(m *bot.Medium) { c.fetchable(m) }

// download streams a file by its file_id.
func (c *Adapter) download(ctx context.Context, fileID string, limit int64) (io.ReadCloser, error) {
	a := c.api.Load()
	if a == nil {
		return nil, errors.New("telegram: not connected")
	}
	body, _ := json.Marshal(map[string]string{"file_id": fileID})
	resp, err := a.postFor(ctx, "getFile", body, true)
	if err != nil {
		return nil, scrub(err, a.token)
	}
	var f struct {
		FileSize int64  `json:"file_size"`
		FilePath string `json:"file_path"`
	}
	if err := json.Unmarshal(resp.Result, &f); err != nil || f.FilePath == "" {
		return nil, errors.New("telegram: getFile gave no file_path")
	}
	if f.FileSize > limit {
		return nil, fmt.Errorf("telegram: file of %d bytes: %w", f.FileSize, bot.ErrMediumTooLarge)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fileURL(a.endpoint, a.token, f.FilePath), nil)
	if err != nil {
		return nil, scrub(err, a.token)
	}
	res, err := a.http.Do(req)
	if err != nil {
		return nil, scrub(err, a.token)
	}
	if res.StatusCode != http.StatusOK {
		res.Body.Close()
		return nil, fmt.Errorf("telegram: file download answered %d", res.StatusCode)
	}
	if res.ContentLength > limit {
		res.Body.Close()
		return nil, fmt.Errorf("telegram: file of %d bytes: %w", res.ContentLength, bot.ErrMediumTooLarge)
	}
	return bot.Limited(res.Body, limit), nil
}

// fileURL is where the Bot API serves a file: the endpoint's "/bot<token>/<method>" becomes
// "/file/bot<token>/<path>" (https://api.telegram.org/file/bot<token>/<file_path>).
func fileURL(endpoint, token, path string) string {
	return fmt.Sprintf(strings.Replace(endpoint, "/bot%s/", "/file/bot%s/", 1), token, path)
}

// upload sends a medium to chat as a multipart upload of its bytes (send<Kind>), streamed from
// m.Open; fields are the method's other parameters. It returns the message id.
func (a *api) upload(ctx context.Context, m *bot.Medium, fields map[string]string) (*tgbotapi.APIResponse, error) {
	if m.Open == nil {
		return nil, errors.New("telegram: medium cannot be read")
	}
	src, err := m.Open(ctx)
	if err != nil {
		return nil, &unreadable{scrub(err, a.token)}
	}
	defer src.Close()
	method, field := sendMethod(m)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		pw.CloseWithError(writeForm(mw, fields, field, m, src))
	}()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fmt.Sprintf(a.endpoint, a.token, method), pr)
	if err != nil {
		pr.CloseWithError(err)
		return nil, scrub(err, a.token)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := a.http.Do(req)
	if err != nil {
		pr.CloseWithError(err)
		return nil, scrub(err, a.token)
	}
	out, err := decodeAnswer(resp, true)
	pr.CloseWithError(io.ErrClosedPipe)
	return out, scrub(err, a.token)
}

// writeForm writes the multipart body: the fields, then the file part.
func writeForm(mw *multipart.Writer, fields map[string]string, field string, m *bot.Medium, src io.Reader) error {
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			return err
		}
	}
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename=%q`, field, fileName(m)))
	ct := m.MIME
	if ct == "" {
		ct = "application/octet-stream"
	}
	h.Set("Content-Type", ct)
	w, err := mw.CreatePart(h)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, src); err != nil {
		return err
	}
	return mw.Close()
}

// fileName is the name an upload goes under: the document's own name, else one by kind (a
// user's file name is for staff's eyes, never logged).
func fileName(m *bot.Medium) string {
	if m.Name != "" {
		return strings.Map(func(r rune) rune {
			if r == '"' || r == '\\' || r < ' ' {
				return '_'
			}
			return r
		}, m.Name)
	}
	ext := map[string]string{
		"audio/ogg": ".ogg", "audio/mpeg": ".mp3", "audio/mp4": ".m4a", "audio/aac": ".aac", "audio/webm": ".webm",
		"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp", "video/mp4": ".mp4", "video/webm": ".webm",
		"application/pdf": ".pdf",
	}[baseType(m.MIME)]
	return m.Kind + ext
}

// copyBody is a copyMessage call: the message from one chat into another, by reference.
func copyBody(to int64, from string, caption *string, replyTo int64) ([]byte, error) {
	chat, id, ok := strings.Cut(from, ":")
	if !ok {
		return nil, errors.New("telegram: bad message reference")
	}
	body := map[string]any{"chat_id": to, "from_chat_id": json.Number(chat), "message_id": json.Number(id)}
	if caption != nil {
		body["caption"] = clipCaption(*caption)
	}
	if replyTo != 0 {
		body["reply_parameters"] = map[string]any{"message_id": replyTo, "allow_sending_without_reply": true}
	}
	var b bytes.Buffer
	err := json.NewEncoder(&b).Encode(body)
	return b.Bytes(), err
}

// unreadable is a medium its platform would not give: trying the upload again cannot help.
type unreadable struct{ err error }

func (u *unreadable) Error() string { return "medium not readable: " + u.err.Error() }
func (u *unreadable) Unwrap() error { return u.err }
