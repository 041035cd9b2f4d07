package bot

// MsgListen is the label of the button that plays a page's recorded answer.
const MsgListen = "common.listen"

// dataListen is the button data of Listen: a|flow.node, the page whose recordings to send.
const dataListen = "a|"

// Recordings says which messages an office has recorded, per language (bot/audio's Library).
type Recordings interface {
	Has(lang, id string) bool
}

// SetRecordings lets pages offer their recorded answers (a Listen button); nil offers none.
func (e *Engine) SetRecordings(r Recordings) { e.rec = r }

// recorded lists the texts of a page that have a recording in a language, in page order.
func (e *Engine) recorded(n *Node, lang string) []string {
	if e.rec == nil || n == nil {
		return nil
	}
	var ids []string
	for _, id := range n.Say {
		if e.rec.Has(lang, id) {
			ids = append(ids, id)
		}
	}
	return ids
}

// withListen adds Listen after a page's buttons when the page has a recording in the user's
// language. It comes last so that typed numbers keep counting the page's own options.
func (t *turn) withListen(n *Node, b []Button) []Button {
	if len(t.e.recorded(n, t.lang())) == 0 {
		return b
	}
	listen := Button{Label: t.e.lang.Text(t.lang(), MsgListen, ""), Data: dataListen + n.Ref()}
	if len(listen.Data) > MaxDataBytes {
		return b // Telegram would refuse the whole message
	}
	return append(b[:len(b):len(b)], listen)
}

// listen sends the recordings of a page, one audio reply per recorded text, and leaves the user
// where they are: the page's buttons are on the message above.
func (t *turn) listen(ref string) {
	n := t.e.content.Node(ref)
	ids := t.e.recorded(n, t.lang())
	if len(ids) == 0 {
		// Content changed, or another language is chosen now that has no recording.
		t.stale()
		return
	}
	for _, id := range ids {
		t.res.Replies = append(t.res.Replies, Reply{Lang: t.lang(), Flow: n.Flow, Node: n.ID, Audio: id})
	}
}
