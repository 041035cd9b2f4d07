package handoff

import (
	"sort"

	"github.com/returnbot/returnbot/bot"
)

// staffTexts are the staff chat's own words, in the two staff languages (STAFF_LANG). Users
// never see them, so they are not in the locale files the translators work on.
var staffTexts = map[string]map[string]string{
	"nb": {
		"lang": "Språk", "channel": "Kanal", "visit": "Besøk", "interpreter": "Tolk", "yes": "ja", "no": "nei",
		"wants_chat": "Vil chatte med en rådgiver nå", "topics": "Emner", "status": "Status",
		"open": "åpen", "taken": "tatt", "closed": "lukket", "take": "Ta", "close": "Lukk",
		"not_allowed": "Ikke tillatt.", "unknown": "Ukjent eller utløpt kode.",
		"taken_by": "tatt av", "already": "er allerede tatt av", "sent": "sendt til brukeren",
		"send_failed": "kunne ikke sendes til brukeren", "handed_back": "gitt tilbake til boten",
		"closed_by": "lukket av", "visit_set": "besøk satt til", "bad_day": "Kontoret er stengt den dagen, eller datoen er ugyldig. Bruk: /visit KODE 2026-11-25 12:00",
		"queue_empty": "Ingen åpne saker.", "user_left": "brukeren gikk tilbake til boten",
		"help":          "Kommandoer: /queue · /take KODE · /reply KODE tekst (eller svar på saken) · /back KODE · /visit KODE dag tid · /close KODE · /code KODE",
		"a.residence":   "Lovlig opphold i Norge",
		"a.application": "Søkt asyl/opphold",
		"a.othereu":     "Beskyttelse i annet EU/EØS-land",
		"a.before":      "Fått returstøtte før",
	},
	"en": {
		"lang": "Language", "channel": "Channel", "visit": "Visit", "interpreter": "Interpreter", "yes": "yes", "no": "no",
		"wants_chat": "Wants to chat with a counsellor now", "topics": "Topics", "status": "Status",
		"open": "open", "taken": "taken", "closed": "closed", "take": "Take", "close": "Close",
		"not_allowed": "Not allowed.", "unknown": "Unknown or expired code.",
		"taken_by": "taken by", "already": "is already taken by", "sent": "sent to the user",
		"send_failed": "could not be sent to the user", "handed_back": "handed back to the bot",
		"closed_by": "closed by", "visit_set": "visit set to", "bad_day": "The office is closed that day, or the date is not valid. Use: /visit CODE 2026-11-25 12:00",
		"queue_empty": "No open tickets.", "user_left": "the user went back to the bot",
		"help":          "Commands: /queue · /take CODE · /reply CODE text (or reply to the ticket) · /back CODE · /visit CODE day time · /close CODE · /code CODE",
		"a.residence":   "Legal residence in Norway",
		"a.application": "Applied for asylum/residence",
		"a.othereu":     "Protection in another EU/EEA country",
		"a.before":      "Had return support before",
	},
}

// st is a staff text in the staff language (English when the language has none).
func (s *Service) st(id string) string {
	if t, ok := staffTexts[s.cfg.StaffLang][id]; ok {
		return t
	}
	if t, ok := staffTexts["en"][id]; ok {
		return t
	}
	return id
}

// answers renders saved answers for staff: the question's short name and the chosen option's
// label in the staff language (answers are stored as option IDs), sorted by key.
func (s *Service) answers(a map[string]string) []string {
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		out = append(out, s.st("a."+k)+": "+s.optionLabel(k, a[k]))
	}
	return out
}

// optionLabel finds the option a saved answer names (the node that saves under key) and returns
// its label in the staff language; a free answer is returned as it is.
func (s *Service) optionLabel(key, id string) string {
	for _, f := range s.cfg.Content.Flows {
		for _, n := range f.Nodes {
			if n.Save != key {
				continue
			}
			for _, o := range n.Options {
				if o.ID == id {
					return s.cfg.Language.Text(s.cfg.StaffLang, o.Label, "")
				}
			}
		}
	}
	return id
}

// topicName is a flow as the main menu names it, in the staff language.
func (s *Service) topicName(flow string) string {
	if m := s.cfg.Content.Node(bot.MainFlow); m != nil {
		for _, o := range m.Options {
			if s.cfg.Content.Resolve(m.Flow, o.Goto) == s.cfg.Content.Resolve(m.Flow, flow) {
				return s.cfg.Language.Text(s.cfg.StaffLang, o.Label, "")
			}
		}
	}
	return flow
}
