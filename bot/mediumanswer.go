package bot

// What the engine does with a voice note, photo or other medium: while staff hold the chat it
// goes to them (the handoff service passes it on); otherwise the user gets a kind answer in
// their language that says the bot itself cannot listen or look, with the ways to people.

// Message IDs of the answers to media.
const (
	// MsgMediaVoice answers a voice note or audio outside a chat with staff.
	MsgMediaVoice = "common.media_voice"
	// MsgMediaTooLarge answers a medium too large to pass to staff (MediumLimit).
	MsgMediaTooLarge = "common.media_too_large"
	// MsgMediaType answers a web chat upload that is not a voice note, photo or PDF.
	MsgMediaType = "common.media_type"
)

// The pages a media answer offers, when the content has them: a counsellor, and the phone.
const (
	counsellorRef = HandoffFlow + ".start"
	phoneRef      = "contact.phone"
)

// Outcomes of a medium for MediumObserver.
const (
	MediumRelayed  = "relayed"
	MediumTooLarge = "too_large"
	MediumAnswered = "answered"
)

// mediaAnswer answers a medium outside a chat with staff: voice and audio get their own words
// (the ones who most need listening), everything else the general ones, each with the phone;
// the buttons offer a counsellor and the phone before the ones the user could press already.
func (t *turn) mediaAnswer() {
	id := MsgMedia
	if k := t.ev.Media; k == MediumVoice || k == MediumAudio {
		id = MsgMediaVoice
	}
	if t.ev.Medium != nil {
		t.res.medium = MediumAnswered
	}
	t.say(id)
	t.showCurrent()
	var ways []Button
	for _, w := range []struct{ ref, label string }{{counsellorRef, "nav.talk"}, {phoneRef, "nav.phone"}} {
		if t.e.content.Node(w.ref) == nil || (t.s.Flow+"."+t.s.Node) == w.ref {
			continue
		}
		ways = append(ways, Button{Label: t.e.lang.Text(t.lang(), w.label, ""), Data: dataGoto + w.ref})
	}
	last := &t.res.Replies[len(t.res.Replies)-1]
	last.Buttons = append(ways, withoutTargets(last.Buttons, ways)...)
}

// withoutTargets drops the buttons that lead where one of ways does already.
func withoutTargets(bs, ways []Button) []Button {
	out := bs[:0:0]
next:
	for _, b := range bs {
		for _, w := range ways {
			if b.Data == w.Data {
				continue next
			}
		}
		out = append(out, b)
	}
	return out
}

// heldMedium passes what the user sent while staff hold the chat: a medium within its limit
// goes to staff as itself, one too large gets the user a kind answer and staff a note of its
// kind and size, and anything else (a location, a contact) a note of its kind.
func (t *turn) heldMedium() {
	m := t.ev.Medium
	if m == nil || !IsMedium(m.Kind) {
		t.res.Relay = "[" + t.ev.Media + "]"
		return
	}
	t.res.Relay = "[" + m.Describe() + "]"
	if m.TooLarge() {
		t.res.medium = MediumTooLarge
		t.res.Relay = "[" + m.Describe() + " ⛔]" // staff see it came and did not pass
		t.say(MsgMediaTooLarge)
		return
	}
	t.res.medium = MediumRelayed
	t.res.RelayMedium = m
}
