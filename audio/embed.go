// Package audio embeds the default recorded answers: audio/<lang>/<message-id>.ogg, Ogg Opus
// (see docs/translating.md). The default pack ships none; an office adds its own here before
// building, or points RETURNBOT_AUDIO at a directory of the same layout, which replaces these.
package audio

import "embed"

// FS holds the default recordings. The pattern is the whole directory so that a recording
// added under audio/<lang>/ is embedded without editing this file; package bot/audio reads
// only <lang>/*.ogg and ignores the rest (this file, the README).
//
//go:embed *
var FS embed.FS
