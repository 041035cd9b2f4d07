package bot

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// Session is what the bot remembers about one user between messages.
// It is kept small: it is read and written once per message and stored for weeks.
type Session struct {
	// Lang is the conversation language ("" until known).
	Lang string
	// Flow and Node are where the user is ("" for a new user).
	Flow, Node string
	// Trail holds earlier positions ("flow.node") for /back, newest last.
	Trail []string
	// Answers are saved option IDs and free answers by key.
	Answers map[string]string
	// Pending is a question the engine asked outside the flows ("forget", "resume"), or "".
	Pending string
	// Seen is the Unix time of the user's last event.
	Seen int64
	// Topics are the flows the user visited, in first-visit order (for staff and reporting).
	Topics []string
	// Mode is "" while the bot talks, ModeWaiting after the user asked to chat with a counsellor
	// and ModeStaff while a staff member holds the chat: in both the bot stays silent and the
	// user's messages go to staff (see bot/handoff).
	Mode string
	// Turn counts the events that changed the session. Replies carry the turn they answer, so
	// that replicas send one user's replies in the order the events were taken (bot/deliver).
	Turn uint64
	// Delivered is the user's turn log (deliver.Turns.DeliveredTurn) as read together with the
	// session, 0 when unknown. Stores that keep a turn log fill it in for Update's fn; it is
	// never stored. It spares a channel the turn log read when the turn before went out already.
	Delivered uint64
}

// MaxTrail bounds the /back history so a session stays small.
const MaxTrail = 8

// ErrBadSession is returned when stored bytes are not a session.
var ErrBadSession = errors.New("bot: stored session cannot be decoded")

// ErrNewerSession is returned for a session written by a newer returnbot. It is left alone, not
// replaced, so a rolling upgrade in which an older replica still runs loses nothing.
var ErrNewerSession = fmt.Errorf("%w: written by a newer version", ErrBadSession)

// sessionFormat is the current encoding; formats 1 (before Mode) and 2 (before Turn) are still
// decoded.
const sessionFormat = 3

// MarshalBinary encodes the session compactly: a format byte, then length-prefixed fields.
// Answers are written in key order so that equal sessions encode to equal bytes.
func (s *Session) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 64)
	b = append(b, sessionFormat)
	b = appendString(b, s.Lang)
	b = appendString(b, s.Flow)
	b = appendString(b, s.Node)
	b = appendString(b, s.Pending)
	b = binary.AppendVarint(b, s.Seen)
	b = appendStrings(b, s.Trail)
	b = appendStrings(b, s.Topics)
	b = appendString(b, s.Mode)
	b = binary.AppendUvarint(b, s.Turn)
	keys := make([]string, 0, len(s.Answers))
	for k := range s.Answers {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b = binary.AppendUvarint(b, uint64(len(keys)))
	for _, k := range keys {
		b = appendString(b, k)
		b = appendString(b, s.Answers[k])
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote.
func (s *Session) UnmarshalBinary(b []byte) error {
	return s.UnmarshalString(string(b))
}

// UnmarshalString decodes what MarshalBinary wrote, held in a string (as a store reads it). The
// session's strings share b's memory rather than each being copied.
func (s *Session) UnmarshalString(b string) error {
	d := decoder{b: b}
	if len(b) > 0 && b[0] > sessionFormat && b[0] < 0x20 {
		return ErrNewerSession
	}
	if len(b) == 0 || b[0] < 1 || b[0] > sessionFormat {
		return ErrBadSession
	}
	format := b[0]
	d.b = d.b[1:]
	*s = Session{}
	s.Lang = d.string()
	s.Flow = d.string()
	s.Node = d.string()
	s.Pending = d.string()
	s.Seen = d.varint()
	s.Trail = d.strings()
	s.Topics = d.strings()
	if format >= 2 {
		s.Mode = d.string()
	}
	if format >= 3 {
		s.Turn = d.uvarint()
	}
	n := d.uvarint()
	if n > 0 && n <= uint64(len(d.b)) {
		s.Answers = make(map[string]string, n)
		for i := uint64(0); i < n && d.err == nil; i++ {
			k := d.string()
			s.Answers[k] = d.string()
		}
	} else if n > 0 {
		d.err = ErrBadSession
	}
	if d.err != nil || len(d.b) != 0 {
		return ErrBadSession
	}
	return nil
}

// Position is the current "flow.node", or "" for a new user.
func (s *Session) Position() string {
	if s.Flow == "" {
		return ""
	}
	return s.Flow + "." + s.Node
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

// decoder reads MarshalBinary's encoding from a string, so that the strings it returns are
// slices of it, not copies.
type decoder struct {
	b   string
	err error
}

func (d *decoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := uvarint(d.b)
	if n <= 0 {
		d.err = ErrBadSession
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) varint() int64 {
	ux := d.uvarint()
	x := int64(ux >> 1)
	if ux&1 != 0 {
		x = ^x
	}
	return x
}

// uvarint is binary.Uvarint for a string: the value and the bytes read, 0 for too short and
// negative for an overflow.
func uvarint(s string) (uint64, int) {
	var x uint64
	var shift uint
	for i := 0; i < len(s); i++ {
		if i == binary.MaxVarintLen64 {
			return 0, -(i + 1)
		}
		c := s[i]
		if c < 0x80 {
			if i == binary.MaxVarintLen64-1 && c > 1 {
				return 0, -(i + 1)
			}
			return x | uint64(c)<<shift, i + 1
		}
		x |= uint64(c&0x7f) << shift
		shift += 7
	}
	return 0, 0
}

func (d *decoder) string() string {
	n := d.uvarint()
	if d.err != nil {
		return ""
	}
	if n > uint64(len(d.b)) {
		d.err = ErrBadSession
		return ""
	}
	s := d.b[:n]
	d.b = d.b[n:]
	return s
}

func (d *decoder) strings() []string {
	n := d.uvarint()
	if d.err != nil || n == 0 {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = ErrBadSession
		return nil
	}
	ss := make([]string, n)
	for i := range ss {
		ss[i] = d.string()
	}
	return ss
}
