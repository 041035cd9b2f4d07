package staff

import (
	"embed"
	"net/http"
)

// assets are the page, its stylesheet and its script; nothing is fetched from anywhere else.
//
//go:embed assets/index.html assets/staff.css assets/staff.js
var assets embed.FS

func (s *Server) asset(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		b, err := assets.ReadFile("assets/" + name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		s.secure(w)
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(b)
	}
}
