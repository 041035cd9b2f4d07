package audio

import (
	"bytes"
	"context"
	"io"

	"github.com/returnbot/returnbot/bot"
)

// Medium is the clip as a medium of the given kind (bot.MediumVoice, bot.MediumAudio), named by
// its hash and read from memory, so that channels upload recordings through the same multipart
// code as the media they relay.
func (c *Clip) Medium(kind string) *bot.Medium {
	return &bot.Medium{
		Kind: kind, MIME: ContentType, Size: int64(len(c.Data)), Name: c.Hash + Ext,
		Open: func(context.Context) (io.ReadCloser, error) {
			return io.NopCloser(bytes.NewReader(c.Data)), nil
		},
	}
}
