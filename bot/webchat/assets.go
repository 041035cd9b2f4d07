package webchat

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/json"
	"html/template"
	"net/http"
	"strings"
	"sync"
)

// assets are the page, its stylesheet, its script, the embedding loader, the built-in logo and
// the Ethiopic font (a subset of Noto Sans Ethiopic, SIL Open Font License: assets/OFL.txt);
// nothing is fetched from anywhere else.
//
//go:embed assets/index.html assets/app.css assets/app.js assets/embed.js assets/logo.svg assets/ethiopic.woff2 assets/OFL.txt
var assets embed.FS

// Asset returns an embedded file by name (index.html, app.css, app.js, embed.js, logo.svg,
// ethiopic.woff2).
func Asset(name string) ([]byte, error) { return assets.ReadFile("assets/" + name) }

// pageTemplate is index.html: the page's own words and the office's name are filled in on the
// server, in the browser's language, so that even the first paint before any answer (and a
// page whose script failed to load) speaks it.
var pageTemplate = template.Must(template.ParseFS(assets, "assets/index.html"))

// pageData is what index.html is filled with: UI goes into the markup and, as JSON, into a
// <script type="application/json"> (data, never run) for app.js.
type pageData struct {
	UI *UI
}

// page serves the chat page in the language the browser asks for (Accept-Language).
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	ui := h.pageUI(h.negotiate(r.Header.Get("Accept-Language")))
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, pageData{UI: ui}); err != nil {
		h.cfg.Log.Error("webchat: rendering the page failed", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h.secure(w, false)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Vary", "Accept-Language, Accept-Encoding")
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		_, _ = w.Write(gzipped(buf.Bytes()))
		return
	}
	_, _ = w.Write(buf.Bytes())
}

// acceptsGzip reports whether the client takes gzip: a slow connection gets the page in about
// a third of its bytes.
func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		enc, q, _ := strings.Cut(strings.TrimSpace(part), ";")
		if strings.EqualFold(strings.TrimSpace(enc), "gzip") && strings.ReplaceAll(q, " ", "") != "q=0" {
			return true
		}
	}
	return false
}

func gzipped(b []byte) []byte {
	var out bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&out, gzip.BestCompression)
	_, _ = zw.Write(b)
	_ = zw.Close()
	return out.Bytes()
}

// gzAssets are the embedded files gzipped once, on first use.
var (
	gzOnce   sync.Once
	gzAssets map[string][]byte
)

func gzAsset(name string) []byte {
	gzOnce.Do(func() {
		gzAssets = map[string][]byte{}
		for _, n := range []string{"app.css", "app.js", "logo.svg"} {
			if b, err := Asset(n); err == nil {
				gzAssets[n] = gzipped(b)
			}
		}
	})
	return gzAssets[name]
}

// negotiate picks the shipped language for an Accept-Language header: the first of its tags the
// content has, else the content's first language.
func (h *Handler) negotiate(accept string) string {
	if h.cfg.Bot == nil {
		return "en"
	}
	l := h.cfg.Bot.Engine().Language()
	for _, part := range strings.Split(accept, ",") {
		tag, _, _ := strings.Cut(strings.TrimSpace(part), ";")
		if tag == "" || tag == "*" || len(tag) > 35 {
			continue
		}
		if code := l.Negotiate(tag); code != "" {
			return code
		}
	}
	if codes := l.Languages(); len(codes) > 0 {
		return codes[0]
	}
	return "en"
}

// pageUI is PageUI with the office's name from the content.
func (h *Handler) pageUI(code string) *UI {
	if h.cfg.Bot == nil {
		return &UI{Lang: code, Dir: Dir(code)}
	}
	e := h.cfg.Bot.Engine()
	ui := PageUI(e.Language(), code)
	if c := e.Content(); c != nil {
		if o := c.Offices[c.DefaultOffice]; o != nil {
			ui.Office = o.Name
		}
	}
	return ui
}

// embedLabel is where embed.js takes its button's default label.
const embedLabel = `/*open*/"Chat"`

// embed serves the embedding loader with its button's label ("Open the chat") in the
// visitor's language; an office's data-label on the script tag still wins.
func (h *Handler) embed(w http.ResponseWriter, r *http.Request) {
	b, _ := Asset("embed.js")
	if ui := h.pageUI(h.negotiate(r.Header.Get("Accept-Language"))); ui.Open != "" {
		label, _ := json.Marshal(ui.Open) // a JSON string is a JavaScript string, U+2028 escaped too
		b = bytes.Replace(b, []byte(embedLabel), append([]byte("/*open*/"), label...), 1)
	}
	h.secure(w, true)
	w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
	w.Header().Set("Cache-Control", "no-cache")
	w.Header().Set("Vary", "Accept-Language, Accept-Encoding")
	if acceptsGzip(r) {
		w.Header().Set("Content-Encoding", "gzip")
		b = gzipped(b)
	}
	_, _ = w.Write(b)
}

// logo serves Config.Logo, or the built-in logo.
func (h *Handler) logo(w http.ResponseWriter, r *http.Request) {
	b, ct := h.cfg.Logo, ""
	if len(b) == 0 {
		b, _ = Asset("logo.svg")
	}
	ct = http.DetectContentType(b)
	if bytes.Contains(b[:min(len(b), 512)], []byte("<svg")) {
		ct = "image/svg+xml"
	}
	h.secure(w, false)
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=86400")
	if len(h.cfg.Logo) == 0 {
		w.Header().Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			w.Header().Set("Content-Encoding", "gzip")
			b = gzAsset("logo.svg")
		}
	}
	_, _ = w.Write(b)
}

// asset returns a handler for one embedded file.
func (h *Handler) asset(name, contentType string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		h.serveAsset(w, r, name, contentType, name == "embed.js")
	}
}

func (h *Handler) serveAsset(w http.ResponseWriter, r *http.Request, name, contentType string, crossOrigin bool) {
	b, err := Asset(name)
	if err != nil {
		http.NotFound(w, nil)
		return
	}
	h.secure(w, crossOrigin)
	w.Header().Set("Content-Type", contentType)
	if strings.HasSuffix(name, ".woff2") {
		// The font never changes within a release and is the heaviest file.
		w.Header().Set("Cache-Control", "public, max-age=604800")
	} else {
		w.Header().Set("Cache-Control", "no-cache")
	}
	if gz := gzAsset(name); gz != nil {
		// The font is compressed already (WOFF2); the rest shrinks to about a third.
		w.Header().Set("Vary", "Accept-Encoding")
		if acceptsGzip(r) {
			w.Header().Set("Content-Encoding", "gzip")
			b = gz
		}
	}
	_, _ = w.Write(b)
}
