package audio

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Limits on a recording. A spoken answer is short: three minutes is already a long one to sit
// through on a phone, and 2 MB is what Opus at 64 kbit/s needs for four minutes, so a file
// larger than that is not speech encoded for a phone.
const (
	MaxDuration = 3 * time.Minute
	MaxBytes    = 2 << 20
)

// opusRate is the rate every Opus granule position counts in, whatever the input rate was.
const opusRate = 48000

// Ogg page header flags (RFC 3533 section 6).
const (
	flagContinued = 0x01
	flagBOS       = 0x02
	flagEOS       = 0x04
)

// pageHeader is the fixed part of an Ogg page, before the segment table.
const pageHeader = 27

// Info is what Inspect learnt from a valid Ogg Opus file.
type Info struct {
	// Duration is the playing time: final granule position less the pre-skip, at 48 kHz.
	Duration time.Duration
	// Channels is 1 for mono (what a phone records), 2 for stereo.
	Channels int
	// Pages is how many Ogg pages the file holds.
	Pages int
}

// Inspect checks that data is one Ogg Opus stream within the limits: the OggS capture pattern
// and a good CRC on every page, an OpusHead then an OpusTags packet, the end-of-stream flag
// on the last page, no more than MaxDuration and MaxBytes. The error says what is wrong in
// words an office can act on ("MP3, not Ogg Opus", "truncated").
func Inspect(data []byte) (Info, error) {
	if len(data) > MaxBytes {
		return Info{}, fmt.Errorf("%d bytes, more than the %d allowed", len(data), MaxBytes)
	}
	if !bytes.HasPrefix(data, []byte("OggS")) {
		return Info{}, notOgg(data)
	}
	var (
		info    Info
		serial  uint32
		packet  []byte // the packet being gathered across segments and pages
		open    bool   // packet continues on the next page
		packets int    // complete packets so far
		preSkip uint64
		granule uint64
		eos     bool
	)
	for off := 0; off < len(data); {
		if eos {
			return Info{}, fmt.Errorf("data after the end of the stream (page %d)", info.Pages)
		}
		p, err := readPage(data[off:], info.Pages)
		if err != nil {
			return Info{}, err
		}
		if info.Pages == 0 {
			if p.flags&flagBOS == 0 {
				return Info{}, errors.New("first page does not begin a stream")
			}
			serial = p.serial
		} else if p.serial != serial || p.flags&flagBOS != 0 {
			return Info{}, errors.New("more than one stream in the file (only one Opus stream is allowed)")
		}
		if cont := p.flags&flagContinued != 0; cont != open {
			if cont {
				return Info{}, fmt.Errorf("page %d continues a packet that did not begin", info.Pages)
			}
			return Info{}, fmt.Errorf("page %d begins before the packet on the page before it ended", info.Pages)
		}
		for _, seg := range p.segments {
			packet = append(packet, seg.data...)
			open = !seg.last
			if open {
				continue
			}
			switch packets {
			case 0:
				ch, skip, err := opusHead(packet)
				if err != nil {
					return Info{}, err
				}
				info.Channels, preSkip = ch, skip
			case 1:
				if !bytes.HasPrefix(packet, []byte("OpusTags")) {
					return Info{}, errors.New("second packet is not OpusTags")
				}
			}
			packets++
			packet = packet[:0]
		}
		if p.granule != ^uint64(0) { // -1: no packet ends on this page
			granule = p.granule
		}
		eos = p.flags&flagEOS != 0
		info.Pages++
		off += p.size
	}
	switch {
	case packets < 2:
		return Info{}, errors.New("truncated: the Opus headers are incomplete")
	case !eos:
		return Info{}, errors.New("truncated: the last page does not end the stream")
	case packets == 2:
		return Info{}, errors.New("no audio: the stream holds headers only")
	case granule < preSkip:
		return Info{}, errors.New("final granule position is before the pre-skip")
	}
	samples := granule - preSkip
	info.Duration = time.Duration(samples) * time.Second / opusRate
	if info.Duration > MaxDuration {
		return Info{}, fmt.Errorf("%s long, more than the %s allowed", info.Duration.Round(time.Second), MaxDuration)
	}
	return info, nil
}

// notOgg names what a file that does not begin with OggS seems to be.
func notOgg(data []byte) error {
	kind := "unknown data"
	switch {
	case len(data) == 0:
		kind = "an empty file"
	case bytes.HasPrefix(data, []byte("ID3")), len(data) > 1 && data[0] == 0xff && data[1]&0xe0 == 0xe0:
		kind = "MP3"
	case len(data) >= 12 && bytes.HasPrefix(data, []byte("RIFF")) && string(data[8:12]) == "WAVE":
		kind = "WAV"
	case len(data) >= 8 && string(data[4:8]) == "ftyp":
		kind = "MP4/M4A"
	case bytes.HasPrefix(data, []byte("fLaC")):
		kind = "FLAC"
	case bytes.HasPrefix(data, []byte("#!AMR")):
		kind = "AMR"
	case bytes.HasPrefix(data, []byte{0x1a, 0x45, 0xdf, 0xa3}):
		kind = "WebM/Matroska"
	}
	return fmt.Errorf("%s, not Ogg Opus (no OggS capture pattern)", kind)
}

// opusHead checks the identification header (RFC 7845 section 5.1) and returns the channel
// count and the pre-skip.
func opusHead(p []byte) (channels int, preSkip uint64, err error) {
	switch {
	case bytes.HasPrefix(p, []byte("\x01vorbis")):
		return 0, 0, errors.New("Ogg Vorbis, not Opus")
	case bytes.HasPrefix(p, []byte("Speex")):
		return 0, 0, errors.New("Ogg Speex, not Opus")
	case bytes.HasPrefix(p, []byte("\x7fFLAC")):
		return 0, 0, errors.New("Ogg FLAC, not Opus")
	case !bytes.HasPrefix(p, []byte("OpusHead")):
		return 0, 0, errors.New("Ogg, but the first packet is not OpusHead")
	case len(p) < 19:
		return 0, 0, errors.New("OpusHead is too short")
	case p[8]&0xf0 != 0:
		return 0, 0, fmt.Errorf("OpusHead version %d is not supported", p[8])
	case p[9] == 0:
		return 0, 0, errors.New("OpusHead says zero channels")
	}
	return int(p[9]), uint64(binary.LittleEndian.Uint16(p[10:12])), nil
}

// page is one parsed Ogg page.
type page struct {
	flags    byte
	granule  uint64
	serial   uint32
	segments []segment
	size     int // header, table and body
}

// segment is a run of lacing values that ends a packet (last) or fills a page up to 255.
type segment struct {
	data []byte
	last bool
}

// readPage parses the page at the start of b (number n, for messages) and checks its CRC.
func readPage(b []byte, n int) (page, error) {
	if len(b) < pageHeader || !bytes.HasPrefix(b, []byte("OggS")) {
		if len(b) < 4 || bytes.HasPrefix(b, []byte("OggS")[:min(4, len(b))]) {
			return page{}, fmt.Errorf("truncated in the header of page %d", n)
		}
		return page{}, fmt.Errorf("page %d has no OggS capture pattern", n)
	}
	if b[4] != 0 {
		return page{}, fmt.Errorf("page %d: Ogg version %d is unknown", n, b[4])
	}
	nseg := int(b[26])
	if len(b) < pageHeader+nseg {
		return page{}, fmt.Errorf("truncated in the segment table of page %d", n)
	}
	table := b[pageHeader : pageHeader+nseg]
	body := 0
	for _, l := range table {
		body += int(l)
	}
	size := pageHeader + nseg + body
	if len(b) < size {
		return page{}, fmt.Errorf("truncated in page %d (%d of %d bytes)", n, len(b), size)
	}
	if got, want := pageCRC(b[:size]), binary.LittleEndian.Uint32(b[22:26]); got != want {
		return page{}, fmt.Errorf("page %d: CRC mismatch (damaged file)", n)
	}
	p := page{flags: b[5], granule: binary.LittleEndian.Uint64(b[6:14]), serial: binary.LittleEndian.Uint32(b[14:18]), size: size}
	at := pageHeader + nseg
	start := at
	for i, l := range table {
		at += int(l)
		if l < 255 {
			p.segments = append(p.segments, segment{data: b[start:at], last: true})
			start = at
		} else if i == len(table)-1 {
			p.segments = append(p.segments, segment{data: b[start:at]})
		}
	}
	return p, nil
}

// crcTable is Ogg's CRC-32: polynomial 0x04c11db7, not reflected, initial value and final XOR 0.
var crcTable = func() (t [256]uint32) {
	for i := range t {
		r := uint32(i) << 24
		for range 8 {
			if r&0x80000000 != 0 {
				r = r<<1 ^ 0x04c11db7
			} else {
				r <<= 1
			}
		}
		t[i] = r
	}
	return t
}()

// pageCRC is the checksum of a whole page with its CRC field counted as zero.
func pageCRC(p []byte) uint32 {
	var crc uint32
	for i, c := range p {
		if i >= 22 && i < 26 {
			c = 0
		}
		crc = crc<<8 ^ crcTable[byte(crc>>24)^c]
	}
	return crc
}
