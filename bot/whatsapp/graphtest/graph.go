// Package graphtest is a fake WhatsApp Cloud API (Graph API) for tests, speaking its wire format
// for messages and media: POST /<version>/<phone number id>/messages (JSON), GET /<version>/<media
// id> (the media's url, mime_type, sha256, file_size), the media URL (bearer token required; it
// redirects once, as a CDN would, and the download needs the token again), and POST
// /<version>/<phone number id>/media (multipart: messaging_product, type, file), which answers a
// new media id. Errors are Graph error objects.
package graphtest

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Token is the access token the server accepts.
const Token = "GRAPH-TEST-TOKEN"

// Version is the API version in the paths.
const Version = "v21.0"

// Medium is a medium the server holds.
type Medium struct {
	MIME string
	Data []byte
	// Size is the file_size the look-up reports; len(Data) when 0.
	Size int64
}

// Call is one request the server received.
type Call struct {
	Method, Path string
	// Body is a JSON request's body.
	Body map[string]any
	// Fields and File are a multipart upload's fields and file part.
	Fields map[string]string
	File   *Upload
	Status int
}

// Upload is the file part of a multipart upload.
type Upload struct {
	Name, Type string
	Data       []byte
}

// Server is the fake Graph API.
type Server struct {
	*httptest.Server
	mu    sync.Mutex
	media map[string]Medium
	calls []Call
	next  int
}

// NewServer starts a fake Graph API, closed when the test ends.
func NewServer(t testing.TB) *Server {
	s := &Server{media: map[string]Medium{}}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// Endpoint is the adapter's Endpoint for this server.
func (s *Server) Endpoint() string { return s.URL + "/" + Version }

// AddMedia makes the server hold a medium a user sent, under its media id.
func (s *Server) AddMedia(id string, m Medium) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.media[id] = m
}

// Media returns a medium the server holds (an upload, by the id it answered).
func (s *Server) Media(id string) (Medium, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.media[id]
	return m, ok
}

// Calls returns the requests so far whose path ends with suffix ("" for all).
func (s *Server) Calls(suffix string) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Call
	for _, c := range s.calls {
		if strings.HasSuffix(c.Path, suffix) {
			out = append(out, c)
		}
	}
	return out
}

func (s *Server) record(c Call) {
	s.mu.Lock()
	s.calls = append(s.calls, c)
	s.mu.Unlock()
}

func graphErr(w http.ResponseWriter, status, code int, msg string) int {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"OAuthException","code":%d,"fbtrace_id":"AbCdEf"}}`, msg, code)
	return status
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	c := Call{Method: r.Method, Path: r.URL.Path}
	c.Status = s.answer(w, r, &c)
	s.record(c)
}

func (s *Server) answer(w http.ResponseWriter, r *http.Request, c *Call) int {
	if r.Header.Get("Authorization") != "Bearer "+Token {
		return graphErr(w, http.StatusUnauthorized, 190, "Invalid OAuth access token - Cannot parse access token")
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/cdn/"); ok { // where the media URL redirects to
		return s.download(w, id)
	}
	if id, ok := strings.CutPrefix(r.URL.Path, "/whatsapp_business/attachments/"); ok {
		http.Redirect(w, r, "/cdn/"+id, http.StatusFound)
		return http.StatusFound
	}
	rest, ok := strings.CutPrefix(r.URL.Path, "/"+Version+"/")
	if !ok {
		return graphErr(w, http.StatusNotFound, 803, "Unknown path")
	}
	parts := strings.Split(rest, "/")
	switch {
	case r.Method == http.MethodGet && len(parts) == 1:
		return s.lookup(w, parts[0])
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "messages":
		return s.message(w, r, c)
	case r.Method == http.MethodPost && len(parts) == 2 && parts[1] == "media":
		return s.upload(w, r, c)
	}
	return graphErr(w, http.StatusBadRequest, 100, "Unsupported request")
}

func (s *Server) lookup(w http.ResponseWriter, id string) int {
	s.mu.Lock()
	m, ok := s.media[id]
	s.mu.Unlock()
	if !ok {
		return graphErr(w, http.StatusBadRequest, 100, "Unsupported get request. Object with ID '"+id+"' does not exist")
	}
	size := m.Size
	if size == 0 {
		size = int64(len(m.Data))
	}
	sum := sha256.Sum256(m.Data)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"messaging_product": "whatsapp", "url": s.URL + "/whatsapp_business/attachments/" + id,
		"mime_type": m.MIME, "sha256": base64.StdEncoding.EncodeToString(sum[:]), "file_size": size, "id": id,
	})
	return http.StatusOK
}

func (s *Server) download(w http.ResponseWriter, id string) int {
	s.mu.Lock()
	m, ok := s.media[id]
	s.mu.Unlock()
	if !ok {
		return graphErr(w, http.StatusNotFound, 100, "not found")
	}
	w.Header().Set("Content-Type", m.MIME)
	w.Header().Set("Content-Length", fmt.Sprint(len(m.Data)))
	_, _ = w.Write(m.Data)
	return http.StatusOK
}

func (s *Server) message(w http.ResponseWriter, r *http.Request, c *Call) int {
	if err := json.NewDecoder(r.Body).Decode(&c.Body); err != nil {
		return graphErr(w, http.StatusBadRequest, 100, "Invalid JSON")
	}
	typ, _ := c.Body["type"].(string)
	if obj, ok := c.Body[typ].(map[string]any); ok && typ != "text" && typ != "interactive" && typ != "template" && typ != "location" {
		id, _ := obj["id"].(string)
		if _, held := s.Media(id); !held {
			return graphErr(w, http.StatusBadRequest, 131053, "Media upload error")
		}
	}
	s.mu.Lock()
	s.next++
	n := s.next
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"messaging_product":"whatsapp","contacts":[{"input":%q,"wa_id":%q}],"messages":[{"id":"wamid.out%d"}]}`, c.Body["to"], c.Body["to"], n)
	return http.StatusOK
}

// uploadable are the types the Cloud API takes for media (audio, documents, images, stickers,
// video), without parameters.
var uploadable = map[string]bool{
	"audio/aac": true, "audio/amr": true, "audio/mpeg": true, "audio/mp4": true, "audio/ogg": true,
	"text/plain": true, "application/pdf": true, "application/vnd.ms-powerpoint": true, "application/msword": true,
	"application/vnd.ms-excel": true, "image/jpeg": true, "image/png": true, "image/webp": true,
	"video/mp4": true, "video/3gpp": true, "application/octet-stream": true,
}

func (s *Server) upload(w http.ResponseWriter, r *http.Request, c *Call) int {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		return graphErr(w, http.StatusBadRequest, 100, "Param file must be a file with one of the following types")
	}
	c.Fields = map[string]string{}
	for k, v := range r.MultipartForm.Value {
		c.Fields[k] = v[0]
	}
	fh := r.MultipartForm.File["file"]
	if c.Fields["messaging_product"] != "whatsapp" || len(fh) == 0 {
		return graphErr(w, http.StatusBadRequest, 100, "(#100) The parameter messaging_product is required.")
	}
	f, err := fh[0].Open()
	if err != nil {
		return graphErr(w, http.StatusBadRequest, 100, "bad file")
	}
	data, _ := io.ReadAll(f)
	f.Close()
	c.File = &Upload{Name: fh[0].Filename, Type: fh[0].Header.Get("Content-Type"), Data: data}
	mt, _, _ := mime.ParseMediaType(c.Fields["type"])
	if !uploadable[mt] {
		return graphErr(w, http.StatusBadRequest, 100, "Param file must be a file with one of the following types: audio/aac, audio/amr, audio/mpeg, audio/mp4, audio/ogg, ...")
	}
	s.mu.Lock()
	s.next++
	id := fmt.Sprintf("%d", 900000+s.next)
	s.media[id] = Medium{MIME: c.Fields["type"], Data: data}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":%q}`, id)
	return http.StatusOK
}
