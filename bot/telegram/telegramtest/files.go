package telegramtest

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Files, as the Bot API handles them: getFile gives a file_path for a file_id, the file is
// served at /file/bot<token>/<file_path>, send<Kind> takes either a file_id or a multipart
// upload (which the server then holds under a new file_id), and copyMessage copies a message
// by chat and id, answering a MessageId.

// File is a file the server holds or received.
type File struct {
	// Name and Type are the upload's file name and Content-Type ("" for files added by AddFile).
	Name, Type string
	// Data is the content.
	Data []byte
}

// AddFile makes the server hold a file under fileID, as Telegram holds what users send.
func (s *Server) AddFile(fileID string, data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.files == nil {
		s.files = map[string]File{}
	}
	s.files[fileID] = File{Data: data}
}

// uploaded reads the files of a multipart request.
func uploaded(r *http.Request) map[string]File {
	if r.MultipartForm == nil || len(r.MultipartForm.File) == 0 {
		return nil
	}
	out := map[string]File{}
	for field, hs := range r.MultipartForm.File {
		if len(hs) == 0 {
			continue
		}
		f, err := hs[0].Open()
		if err != nil {
			continue
		}
		data, _ := io.ReadAll(f)
		f.Close()
		out[field] = File{Name: hs[0].Filename, Type: hs[0].Header.Get("Content-Type"), Data: data}
	}
	return out
}

// fileKey is the file_path of a file_id.
func fileKey(fileID string) string { return "documents/" + fileID }

func (s *Server) getFile(w http.ResponseWriter, p map[string]string) int {
	s.mu.Lock()
	f, ok := s.files[p["file_id"]]
	s.mu.Unlock()
	if !ok {
		return writeErr(w, Fault{Code: 400, Description: "Bad Request: invalid file_id"})
	}
	return writeOK(w, map[string]any{"file_id": p["file_id"], "file_unique_id": "u" + p["file_id"],
		"file_size": len(f.Data), "file_path": fileKey(p["file_id"])})
}

// serveFile answers a download: rest is "<token>/<file_path>".
func (s *Server) serveFile(w http.ResponseWriter, r *http.Request, rest string) {
	token, path, _ := strings.Cut(rest, "/")
	if token != Token {
		http.Error(w, `{"ok":false,"error_code":401,"description":"Unauthorized"}`, http.StatusUnauthorized)
		return
	}
	id, _ := strings.CutPrefix(path, "documents/")
	s.mu.Lock()
	f, ok := s.files[id]
	s.mu.Unlock()
	s.record(Call{Method: "file", Params: map[string]string{"file_path": path}, Time: time.Now(), Status: 200})
	if !ok {
		http.Error(w, `{"ok":false,"error_code":404,"description":"Not Found"}`, http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Data)))
	_, _ = w.Write(f.Data)
}

func (s *Server) copyMessage(w http.ResponseWriter, p map[string]string, call *Call) int {
	for _, k := range []string{"chat_id", "from_chat_id", "message_id"} {
		if p[k] == "" {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: " + k + " is empty"})
		}
	}
	s.mu.Lock()
	s.msgID++
	id := s.msgID
	call.MessageID = id
	s.mu.Unlock()
	return writeOK(w, map[string]any{"message_id": id})
}

// sendFile answers send<Kind>: the file is a file_id the server holds or an upload.
func (s *Server) sendFile(w http.ResponseWriter, method string, chat int64, p map[string]string, call *Call) int {
	field := strings.ToLower(strings.TrimPrefix(method, "send"))
	if p["chat_id"] == "" {
		return writeErr(w, Fault{Code: 400, Description: "Bad Request: chat_id is empty"})
	}
	f, up := call.Files[field]
	s.mu.Lock()
	if !up {
		held, ok := s.files[p[field]]
		if !ok {
			s.mu.Unlock()
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: there is no " + field + " in the request"})
		}
		f = held
	}
	s.msgID++
	id := s.msgID
	call.MessageID = id
	fileID := fmt.Sprintf("F%d", id)
	if s.files == nil {
		s.files = map[string]File{}
	}
	s.files[fileID] = f
	s.mu.Unlock()
	var file any = map[string]any{"file_id": fileID, "file_unique_id": "u" + fileID, "file_size": len(f.Data)}
	if field == "photo" { // a photo comes back as its sizes
		file = []any{file}
	}
	res := map[string]any{"message_id": id, "chat": map[string]any{"id": chat, "type": "private"}, "date": time.Now().Unix(), field: file}
	if c := p["caption"]; c != "" {
		res["caption"] = c
	}
	return writeOK(w, res)
}
