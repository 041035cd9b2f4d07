package telegram

import (
	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
)

// buttonsOnly is the text of a message that carries only buttons (Telegram needs some text) and
// has no venue before it to carry them: language-neutral.
const buttonsOnly = "👇"

// Render is how replies look on Telegram: the Bot API messages the channel sends for them to one
// chat, in order. Tests and tools compare what a fake Bot API received against it.
func Render(chatID int64, replies []bot.Reply) []tgbotapi.Chattable { return render(chatID, replies) }

// render turns replies into Bot API messages for one chat, in order. Consecutive texts are merged
// (see merge). Texts are sent as plain text (no parse_mode), so no translated or user-supplied
// character can cause a parse error. Long texts are split (see Split); buttons go on the last
// piece, one per row. A venue becomes sendVenue; buttons with no text of their own ride on the
// venue before them.
func render(chatID int64, replies []bot.Reply) []tgbotapi.Chattable {
	var out []tgbotapi.Chattable
	replies = merge(replies) // a copy: buttons may move to a venue below
	for i, r := range replies {
		kb := keyboard(r.Buttons)
		if r.Audio != "" {
			out = append(out, voice(chatID, r, kb)) // a recorded answer has no text of its own
			continue
		}
		if r.Venue != nil {
			v := venue(chatID, r.Venue)
			// An empty reply with buttons right after the venue: put them on the venue.
			if kb == nil && r.Text == "" && i+1 < len(replies) {
				if n := replies[i+1]; n.Text == "" && n.Venue == nil && len(n.Buttons) > 0 {
					kb = keyboard(n.Buttons)
					replies[i+1].Buttons = nil
				}
			}
			switch v := v.(type) {
			case tgbotapi.VenueConfig:
				if kb != nil {
					v.ReplyMarkup = *kb
				}
				out = append(out, v)
			case tgbotapi.MessageConfig:
				if kb != nil && r.Text == "" {
					v.ReplyMarkup = *kb
					kb = nil
				}
				out = append(out, v)
			}
			if r.Text == "" {
				continue
			}
		}
		if r.Text == "" && kb == nil {
			continue
		}
		text := r.Text
		if text == "" {
			text = buttonsOnly
		}
		pieces := Split(text, MaxTextUnits)
		for j, p := range pieces {
			m := tgbotapi.NewMessage(chatID, p)
			if j == len(pieces)-1 && kb != nil {
				m.ReplyMarkup = *kb
			}
			out = append(out, m)
		}
	}
	return out
}

// paragraph separates texts merged into one message.
const paragraph = "\n\n"

// merge joins the texts of consecutive replies into one message, as paragraphs, while they are
// plain text (no venue, no buttons but on the last) in one language and fit one message. A turn
// then costs one message against Telegram's limits (about one per second per chat, 30 per
// second in all) instead of one per text: the whole answer arrives at once, with one
// notification. It returns a new slice.
func merge(replies []bot.Reply) []bot.Reply {
	out := make([]bot.Reply, 0, len(replies))
	for _, r := range replies {
		if n := len(out); n > 0 && joinable(out[n-1], r) {
			p := &out[n-1]
			if r.Text != "" {
				p.Text += paragraph + r.Text
			}
			p.Buttons, p.Flow, p.Node = r.Buttons, r.Flow, r.Node
			if r.Handoff != "" {
				p.Handoff = r.Handoff
			}
			continue
		}
		out = append(out, r)
	}
	return out
}

func joinable(p, r bot.Reply) bool {
	if p.Venue != nil || r.Venue != nil || p.Audio != "" || r.Audio != "" || len(p.Buttons) > 0 || p.Text == "" {
		return false
	}
	if r.Text == "" {
		return true // buttons alone: onto the text before, not under a placeholder of their own
	}
	return p.Lang == r.Lang && UTF16Len(p.Text)+UTF16Len(paragraph)+UTF16Len(r.Text) <= MaxTextUnits
}

// venue is a map pin, or its name and address as text when the office has no coordinates.
func venue(chatID int64, v *bot.Venue) tgbotapi.Chattable {
	if v.Lat == 0 && v.Lon == 0 {
		return tgbotapi.NewMessage(chatID, nonEmpty(v.Name+"\n"+v.Address))
	}
	title, addr := v.Name, v.Address
	if title == "" {
		title = addr
	}
	if addr == "" {
		addr = title
	}
	return tgbotapi.NewVenue(chatID, nonEmpty(title), nonEmpty(addr), v.Lat, v.Lon)
}

func nonEmpty(s string) string {
	if s == "" || s == "\n" {
		return "📍"
	}
	return s
}

// keyboard lays buttons out one per row (labels can be long, and right-to-left labels read best
// alone); nil when there are none.
func keyboard(bs []bot.Button) *tgbotapi.InlineKeyboardMarkup {
	if len(bs) == 0 {
		return nil
	}
	rows := make([][]tgbotapi.InlineKeyboardButton, len(bs))
	for i, b := range bs {
		if b.Label == "" {
			b.Label = "…"
		}
		rows[i] = tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData(b.Label, b.Data))
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(rows...)
	return &kb
}
