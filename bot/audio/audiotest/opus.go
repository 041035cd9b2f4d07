// Package audiotest makes small real audio files for tests: Ogg Opus streams of silence that
// any Opus decoder plays (Chromium's included), and the wrong kinds of file an office might
// send instead (MP3, WAV, Ogg Vorbis). It writes Ogg itself, with its own CRC, so the checks in
// package audio are tested against an independent writer. The committed fixtures in
// bot/audio/testdata are its output (go test ./bot/audio -run Fixtures -update).
package audiotest

import (
	"bytes"
	"encoding/binary"
	"time"
)

// silentFrame is one 20 ms Opus packet of silence: TOC 0xf8 (configuration 31, CELT-only
// fullband 20 ms, mono, one frame) and the two bytes of a CELT frame whose silence flag is set.
var silentFrame = []byte{0xf8, 0xff, 0xfe}

// frameSamples is what one 20 ms packet adds to the granule position (48 kHz).
const frameSamples = 960

// PreSkip is the pre-skip the streams declare, the one libopus encoders write.
const PreSkip = 312

// Opus returns a mono Ogg Opus file that plays d of silence (to the sample), with the given
// serial number. Pages carry one second (50 packets) each. The packets decode to the pre-skip
// and d, rounded up to whole 20 ms frames; the last page's granule position trims the rest.
func Opus(d time.Duration, serial uint32) []byte {
	total := int(d*48000/time.Second) + PreSkip
	frames := (total + frameSamples - 1) / frameSamples
	var w writer
	w.serial = serial
	w.page(flagBOS, 0, [][]byte{opusHead(1)})
	w.page(0, 0, [][]byte{opusTags("returnbot audiotest")})
	for done := 0; done < frames; {
		n := min(50, frames-done)
		pkts := make([][]byte, n)
		for i := range pkts {
			pkts[i] = silentFrame
		}
		done += n
		flags := byte(0)
		if done == frames {
			flags = flagEOS
		}
		w.page(flags, uint64(min(done*frameSamples, total)), pkts)
	}
	return w.buf.Bytes()
}

// Vorbis returns the headers of an Ogg Vorbis stream (identification, comment, setup), what a
// recorder app that says "OGG" often writes: Ogg, but not Opus.
func Vorbis() []byte {
	ident := new(bytes.Buffer)
	ident.WriteString("\x01vorbis")
	binary.Write(ident, binary.LittleEndian, uint32(0))     // version
	ident.WriteByte(1)                                      // channels
	binary.Write(ident, binary.LittleEndian, uint32(44100)) // rate
	binary.Write(ident, binary.LittleEndian, int32(0))      // bitrate maximum
	binary.Write(ident, binary.LittleEndian, int32(96000))  // nominal
	binary.Write(ident, binary.LittleEndian, int32(0))      // minimum
	ident.WriteByte(0xb8)                                   // block sizes 256/2048
	ident.WriteByte(1)                                      // framing
	comment := []byte("\x03vorbis\x00\x00\x00\x00\x00\x00\x00\x00\x01")
	var w writer
	w.serial = 0x766f7262
	w.page(flagBOS, 0, [][]byte{ident.Bytes()})
	w.page(flagEOS, 0, [][]byte{comment})
	return w.buf.Bytes()
}

// WAV returns 100 ms of 16-bit 8 kHz mono PCM silence in a RIFF/WAVE file.
func WAV() []byte {
	const rate, samples = 8000, 800
	var b bytes.Buffer
	le := func(v any) { binary.Write(&b, binary.LittleEndian, v) }
	b.WriteString("RIFF")
	le(uint32(36 + samples*2))
	b.WriteString("WAVEfmt ")
	le(uint32(16))
	le(uint16(1)) // PCM
	le(uint16(1)) // mono
	le(uint32(rate))
	le(uint32(rate * 2))
	le(uint16(2))
	le(uint16(16))
	b.WriteString("data")
	le(uint32(samples * 2))
	b.Write(make([]byte, samples*2))
	return b.Bytes()
}

// MP3 returns an ID3v2 tag and three silent MPEG-1 Layer III frames (128 kbit/s, 44.1 kHz).
func MP3() []byte {
	var b bytes.Buffer
	b.Write([]byte{'I', 'D', '3', 3, 0, 0, 0, 0, 0, 0}) // ID3v2.3, no frames
	for range 3 {
		frame := make([]byte, 417) // 144 * 128000 / 44100
		copy(frame, []byte{0xff, 0xfb, 0x90, 0x64})
		b.Write(frame)
	}
	return b.Bytes()
}

func opusHead(channels byte) []byte {
	var b bytes.Buffer
	b.WriteString("OpusHead")
	b.WriteByte(1) // version
	b.WriteByte(channels)
	binary.Write(&b, binary.LittleEndian, uint16(PreSkip))
	binary.Write(&b, binary.LittleEndian, uint32(48000)) // input rate, informational
	binary.Write(&b, binary.LittleEndian, int16(0))      // output gain
	b.WriteByte(0)                                       // mapping family 0: mono or stereo
	return b.Bytes()
}

func opusTags(vendor string) []byte {
	var b bytes.Buffer
	b.WriteString("OpusTags")
	binary.Write(&b, binary.LittleEndian, uint32(len(vendor)))
	b.WriteString(vendor)
	binary.Write(&b, binary.LittleEndian, uint32(0)) // no user comments
	return b.Bytes()
}

// Ogg header flags.
const (
	flagBOS = 0x02
	flagEOS = 0x04
)

// writer lays packets out in Ogg pages (RFC 3533); every packet given to page ends on it.
type writer struct {
	buf    bytes.Buffer
	serial uint32
	seq    uint32
}

func (w *writer) page(flags byte, granule uint64, packets [][]byte) {
	var table []byte
	var body []byte
	for _, p := range packets {
		n := len(p)
		for n >= 255 {
			table = append(table, 255)
			n -= 255
		}
		table = append(table, byte(n))
		body = append(body, p...)
	}
	h := make([]byte, 27, 27+len(table)+len(body))
	copy(h, "OggS")
	h[5] = flags
	binary.LittleEndian.PutUint64(h[6:], granule)
	binary.LittleEndian.PutUint32(h[14:], w.serial)
	binary.LittleEndian.PutUint32(h[18:], w.seq)
	h[26] = byte(len(table))
	pg := append(append(h, table...), body...)
	binary.LittleEndian.PutUint32(pg[22:], crc(pg))
	w.buf.Write(pg)
	w.seq++
}

// crc is Ogg's CRC-32 (polynomial 0x04c11db7, MSB first, no reflection, no final XOR),
// bit by bit: slow and plain, unlike the table in package audio.
func crc(p []byte) uint32 {
	var r uint32
	for _, c := range p {
		r ^= uint32(c) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
	}
	return r
}
