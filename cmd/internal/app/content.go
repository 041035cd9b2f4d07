package app

import (
	"io/fs"
	"os"
	"time"

	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/lang"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

// ContentFS is the built-in flows and locales, or the directories that replace them.
func ContentFS(flowsDir, localesDir string) (fs.FS, fs.FS) {
	var f, l fs.FS = flows.FS, locales.FS
	if flowsDir != "" {
		f = os.DirFS(flowsDir)
	}
	if localesDir != "" {
		l = os.DirFS(localesDir)
	}
	return f, l
}

// LoadContent reads and checks the content of flowsDir and localesDir (empty: built in); the
// privacy text states sessionTTL in days. File names in errors are relative to the directory.
func LoadContent(flowsDir, localesDir string, sessionTTL time.Duration) (*flow.Pack, error) {
	f, l := ContentFS(flowsDir, localesDir)
	days := int((sessionTTL + 24*time.Hour - 1) / (24 * time.Hour))
	return flow.LoadWith(f, l, lang.Options{RetentionDays: days})
}
