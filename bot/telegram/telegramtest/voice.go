package telegramtest

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// sendVoice answers sendVoice as the Bot API does: voice is a file uploaded in the request
// (multipart/form-data), which must be Ogg Opus to show as a voice message, or the file_id of
// a file uploaded before; anything else is "wrong file identifier". The answer is the Message,
// with a voice object carrying the file_id to send the same file again.
func (s *Server) sendVoice(w http.ResponseWriter, chat int64, p map[string]string, call *Call) int {
	if p["chat_id"] == "" {
		return writeErr(w, Fault{Code: 400, Description: "Bad Request: chat_id is empty"})
	}
	s.mu.Lock()
	blocked := s.blocked[chat]
	s.mu.Unlock()
	if blocked {
		return writeErr(w, Fault{Code: 403, Description: "Forbidden: bot was blocked by the user"})
	}
	var f File
	var fileID string
	if up, ok := call.Files["voice"]; ok {
		if !bytes.HasPrefix(up.Data, []byte("OggS")) || !bytes.Contains(up.Data[:min(len(up.Data), 200)], []byte("OpusHead")) {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: VOICE_MESSAGES_FORBIDDEN or wrong type of the web page content: the test server takes Ogg Opus voice files only"})
		}
		f = up
		sum := sha256.Sum256(up.Data)
		fileID = "AwACAgIAAxkBAAI" + base64.RawURLEncoding.EncodeToString(sum[:12]) + strconv.FormatInt(time.Now().UnixNano()%1000, 10)
		s.mu.Lock()
		if s.files == nil {
			s.files = map[string]File{}
		}
		s.files[fileID] = up
		s.mu.Unlock()
	} else {
		fileID = p["voice"]
		s.mu.Lock()
		known, ok := s.files[fileID]
		s.mu.Unlock()
		if fileID == "" || !ok || strings.HasPrefix(fileID, "attach://") {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: wrong file identifier/HTTP URL specified"})
		}
		f = known
	}
	dur, _ := strconv.Atoi(p["duration"])
	s.mu.Lock()
	s.msgID++
	id := s.msgID
	call.MessageID = id
	s.mu.Unlock()
	return writeOK(w, map[string]any{
		"message_id": id, "date": time.Now().Unix(), "chat": map[string]any{"id": chat, "type": "private"},
		"voice": map[string]any{"file_id": fileID, "file_unique_id": "AgAD" + fileID[len(fileID)-8:], "duration": dur,
			"mime_type": "audio/ogg", "file_size": len(f.Data)},
	})
}

// ForgetFiles makes every file_id given so far unknown, as if Telegram had lost them.
func (s *Server) ForgetFiles() {
	s.mu.Lock()
	s.files = nil
	s.mu.Unlock()
}
