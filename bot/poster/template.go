package poster

import "html/template"

// pageTmpl is one A4 poster. Everything is inline (no fonts, scripts or images to fetch): the
// codes are SVG, the fonts the printing machine's own (Noto covers Arabic script and Ethiopic).
var pageTmpl = template.Must(template.New("poster").Parse(`<!DOCTYPE html>
<html lang="{{.Lang}}" dir="{{.Dir}}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} ({{.Name}})</title>
<style>
@page { size: A4; margin: 14mm; }
* { box-sizing: border-box; }
html, body { margin: 0; }
body { font-family: "Noto Sans", "Noto Naskh Arabic", "Noto Sans Arabic", "Noto Sans Ethiopic", "DejaVu Sans", sans-serif;
  color: #111; width: 182mm; height: 268mm; display: flex; flex-direction: column; overflow: hidden; }
h1 { font-size: 30pt; line-height: 1.25; margin: 0 0 6mm; }
.invite { font-size: 17pt; line-height: 1.5; margin: 0 0 5mm; }
.free { font-size: 20pt; font-weight: bold; margin: 0 0 8mm; padding: 3mm 5mm; border: 1mm solid #111; border-radius: 3mm; align-self: flex-start; }
.codes { display: flex; justify-content: space-between; gap: 6mm; margin: 0 0 6mm; }
figure { margin: 0; flex: 1; text-align: center; }
figcaption { font-size: 15pt; font-weight: bold; margin-bottom: 2mm; }
figure svg { width: 52mm; height: 52mm; display: block; margin: 0 auto; }
.url { font-family: "DejaVu Sans Mono", monospace; font-size: 10pt; margin-top: 2mm; word-break: break-all; }
.scan { font-size: 14pt; margin: 0 0 6mm; }
.hours { font-size: 13pt; line-height: 1.5; margin-top: auto; border-top: 0.5mm solid #888; padding-top: 4mm; }
.lang { font-size: 11pt; color: #555; margin-top: 2mm; }
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="invite">{{.Invite}}</p>
<p class="free">{{.Free}}</p>
<p class="scan">{{.Scan}}</p>
<div class="codes">
{{- range .Codes}}
<figure data-channel="{{.Channel}}" data-url="{{.URL}}">
<figcaption>{{.Label}}</figcaption>
{{.SVG}}
<div class="url" dir="ltr">{{.Short}}</div>
</figure>
{{- end}}
</div>
<p class="hours">{{.Hours}}</p>
<p class="lang">{{.Name}}</p>
</body>
</html>
`))

// indexTmpl lists the posters, each language by its own name.
var indexTmpl = template.Must(template.New("index").Parse(`<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Posters</title>
<style>body { font-family: "Noto Sans", "Noto Naskh Arabic", "Noto Sans Ethiopic", sans-serif; font-size: 14pt; margin: 2em; } li { margin: .4em 0; }</style>
</head>
<body>
<h1>Posters</h1>
<p>One A4 page per language: open one and print it (no margins to set; the page says A4).</p>
<ul>
{{- range .}}
<li><a href="poster-{{.Lang}}.html" lang="{{.Lang}}" dir="{{.Dir}}">{{.Name}}</a> ({{.Lang}})</li>
{{- end}}
</ul>
</body>
</html>
`))
