// Package locales embeds the default texts: one go-i18n JSON file per language.
// RETURNBOT_LOCALES points at a directory that replaces them.
package locales

import "embed"

// FS holds the default locale files.
//
//go:embed *.json examples/*.yaml
var FS embed.FS
