package loadgen

import (
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
	"time"
)

// What a synthetic user does next, once it has started the bot. The rest of the time it presses a
// button of the last keyboard it got.
const (
	shareText  = 0.12 // types a question
	shareMenu  = 0.05 // sends /menu
	shareStart = 0.02 // sends /start again
)

// languages are the language_code values users' Telegram apps report: the bot's languages, one
// it does not have (it falls back) and none.
var languages = []string{"en", "nb", "ar", "fa", "ps", "ckb", "ru", "fr", "so", "ti", "uk", ""}

// phrases are questions users type, by the language they are in: topic keywords, a misspelling,
// and words the bot does not know.
var phrases = map[string][]string{
	"en":  {"where is the office?", "how much money do I get", "i lost my passport", "i want to go home", "voluntary retrun", "can I talk to someone", "hello"},
	"nb":  {"hvor er kontoret", "hvor mye penger", "jeg vil reise hjem", "mistet passet"},
	"ar":  {"وين المكتب", "اريد العودة", "جواز السفر", "كم يعطون"},
	"fa":  {"دفتر کجاست", "پاسپورت ندارم", "میخواهم برگردم", "چقدر پول"},
	"ru":  {"где офис", "хочу домой", "потерял паспорт", "сколько денег"},
	"fr":  {"où est le bureau", "retour volontaire", "perdu mon passeport", "combien d'argent"},
	"so":  {"xafiiska", "baasaboor", "lacag intee le'eg", "dib ugu noqo"},
	"":    {"asdf", "?", "ok"},
	"any": {"passport", "iom oslo", "money", "address"},
}

// user is one synthetic Telegram user with its own private chat.
type user struct {
	id        int64 // user id = private chat id
	lang      string
	name      string
	rng       *rand.Rand
	chat      *Chat
	msgID     int64
	started   bool
	updateIDs *atomic.Int64
	// The user and its chat as JSON, for the updates written by hand (press).
	fromJSON, chatJSON []byte
}

func newUser(id int64, n int, api *FakeAPI, seed uint64, updateIDs *atomic.Int64) *user {
	rng := rand.New(rand.NewPCG(seed, uint64(id)))
	u := &user{
		id: id, lang: languages[n%len(languages)], name: "User" + strconv.Itoa(n),
		rng: rng, chat: api.Chat(id), updateIDs: updateIDs,
	}
	u.fromJSON, _ = json.Marshal(u.from())
	u.chatJSON, _ = json.Marshal(u.tgChat())
	return u
}

// next returns the next update the user sends, and the keyboard count it was chosen against (to
// wait for the reply to it).
func (u *user) next() (body []byte, kbSeq int64) {
	kb, msgID, text, markup, seq := u.chat.Keyboard()
	if !u.started {
		u.started = true
		return u.command("/start"), seq
	}
	r := u.rng.Float64()
	switch {
	case len(kb) == 0 || r < shareMenu:
		return u.command("/menu"), seq
	case r < shareMenu+shareStart:
		return u.command("/start"), seq
	case r < shareMenu+shareStart+shareText:
		return u.text(u.phrase(), nil), seq
	}
	b := kb[u.rng.IntN(len(kb))]
	return u.press(b.Data, msgID, text, markup), seq
}

func (u *user) phrase() string {
	ps := phrases[u.lang]
	if len(ps) == 0 || u.rng.IntN(4) == 0 {
		ps = phrases["any"]
	}
	return ps[u.rng.IntN(len(ps))]
}

// The update shapes below follow what Telegram sends (see the payloads in testdata/fixtures).

type tgUser struct {
	ID           int64  `json:"id"`
	IsBot        bool   `json:"is_bot"`
	FirstName    string `json:"first_name"`
	LanguageCode string `json:"language_code,omitempty"`
}

type tgChat struct {
	ID        int64  `json:"id"`
	FirstName string `json:"first_name"`
	Type      string `json:"type"`
}

type tgEntity struct {
	Offset int    `json:"offset"`
	Length int    `json:"length"`
	Type   string `json:"type"`
}

type tgMessage struct {
	MessageID int64      `json:"message_id"`
	From      *tgUser    `json:"from,omitempty"`
	Chat      tgChat     `json:"chat"`
	Date      int64      `json:"date"`
	Text      string     `json:"text,omitempty"`
	Entities  []tgEntity `json:"entities,omitempty"`
}

type tgUpdate struct {
	UpdateID int64      `json:"update_id"`
	Message  *tgMessage `json:"message,omitempty"`
}

func (u *user) from() tgUser {
	return tgUser{ID: u.id, FirstName: u.name, LanguageCode: u.lang}
}

func (u *user) tgChat() tgChat { return tgChat{ID: u.id, FirstName: u.name, Type: "private"} }

func (u *user) command(cmd string) []byte {
	return u.text(cmd, []tgEntity{{Offset: 0, Length: len(cmd), Type: "bot_command"}})
}

func (u *user) text(s string, entities []tgEntity) []byte {
	u.msgID++
	from := u.from()
	return u.marshal(tgUpdate{Message: &tgMessage{
		MessageID: u.msgID, From: &from, Chat: u.tgChat(), Date: time.Now().Unix(), Text: s, Entities: entities,
	}})
}

// press is a button press as Telegram sends it: the callback query carries the whole message the
// button was on, text and keyboard. Written by hand, as it is most of the load: encoding/json
// would check and compact the keyboard again on every press.
func (u *user) press(data string, msgID int64, text, markup string) []byte {
	b := make([]byte, 0, 512+len(text)+len(markup))
	b = append(b, `{"update_id":`...)
	b = strconv.AppendInt(b, u.updateIDs.Add(1), 10)
	b = append(b, `,"callback_query":{"id":"`...)
	b = strconv.AppendUint(b, u.rng.Uint64(), 10)
	b = append(append(b, `","from":`...), u.fromJSON...)
	b = append(b, `,"message":{"message_id":`...)
	b = strconv.AppendInt(b, msgID, 10)
	b = append(append(append(b, `,"from":`+botUser+`,"chat":`...), u.chatJSON...), `,"date":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	if text != "" {
		b = appendQuoted(append(b, `,"text":`...), text)
	}
	if markup != "" {
		b = append(append(b, `,"reply_markup":`...), markup...)
	}
	b = append(b, `},"chat_instance":"`...)
	b = strconv.AppendInt(b, u.id*7919, 10)
	b = appendQuoted(append(b, `","data":`...), data)
	return append(b, "}}"...)
}

func (u *user) marshal(up tgUpdate) []byte {
	up.UpdateID = u.updateIDs.Add(1)
	b, err := json.Marshal(up)
	if err != nil {
		panic("loadgen: update does not marshal: " + err.Error()) // fixed types: cannot happen
	}
	return b
}
