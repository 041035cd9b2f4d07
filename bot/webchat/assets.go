package webchat

import (
	"embed"
	"net/http"
)

// assets are the page, its stylesheet, its script and the embedding loader; nothing is fetched
// from anywhere else.
//
//go:embed assets/index.html assets/app.css assets/app.js assets/embed.js
var assets embed.FS

// Asset returns an embedded file by name (index.html, app.css, app.js, embed.js).
func Asset(name string) ([]byte, error) { return assets.ReadFile("assets/" + name) }

// page serves the chat page.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	h.serveAsset(w, "index.html", "text/html; charset=utf-8", false)
}

// asset returns a handler for one embedded file.
func (h *Handler) asset(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.serveAsset(w, name, contentType, name == "embed.js")
	}
}

func (h *Handler) serveAsset(w http.ResponseWriter, name, contentType string, crossOrigin bool) {
	b, err := Asset(name)
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	h.secure(w, crossOrigin)
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Cache-Control", "no-cache")
	_, _ = w.Write(b)
}
