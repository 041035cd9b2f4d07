package bot_test

import (
	"testing"
	"testing/fstest"
	"time"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
)

// testPack is a small content pack in two languages that exercises every node feature.
func testPack(t testing.TB) *flow.Pack {
	t.Helper()
	flows := fstest.MapFS{
		"offices.yaml": {Data: []byte(`default: hq
offices:
  hq: {name: Test Office, address: Main Street 1, postcode: "0001", city: Town, phone: "+47 11 22 33 44", lat: 59.9, lon: 10.7, no_appointment: true, hours: {mon: "10-15"}}
`)},
		"main.yaml": {Data: []byte(`id: main
start: menu
nodes:
  menu:
    say: [main.hello]
    options:
      - {id: info, label: main.info, goto: info}
      - {id: quiz, label: main.quiz, goto: quiz}
      - {id: office, label: main.office, goto: info.office}
      - {id: ask, label: main.ask, goto: info.country}
`)},
		"info.yaml": {Data: []byte(`id: info
start: start
nodes:
  start:
    say: [info.text]
  office:
    say: info.office
    venue: hq
    keywords: kw.office
    options:
      - {id: menu, label: common.menu, goto: main.menu}
  country:
    say: [info.country_q]
    ask: country
    next: thanks
  thanks:
    say: [info.thanks]
    next: main.menu
`)},
		"quiz.yaml": {Data: []byte(`id: quiz
start: q1
nodes:
  q1:
    say: [quiz.q1]
    save: legal
    keywords: kw.quiz
    options:
      - {id: "yes", label: common.yes, goto: check}
      - {id: "no", label: common.no, goto: check}
  check:
    branch:
      - {when: {legal: "yes"}, goto: cannot}
      - {goto: may}
  may:
    say: [quiz.may]
    handoff: counsellor
  cannot:
    say: [quiz.cannot]
`)},
		"language.yaml": {Data: []byte("id: language\nstart: pick\nnodes:\n  pick:\n    say: [language.choose]\n    picker: true\n    next: main.menu\n")},
		"handoff.yaml":  {Data: []byte("id: handoff\nstart: start\nnodes:\n  start:\n    say: [handoff.call]\n    handoff: counsellor\n")},
	}
	common := func(lang string, m map[string]string) string {
		base := map[string]string{}
		for _, id := range bot.EngineMessages {
			base[id] = lang + ":" + id
		}
		for k, v := range m {
			base[k] = v
		}
		out := "{"
		first := true
		for k, v := range base {
			if !first {
				out += ","
			}
			first = false
			out += `"` + k + `":"` + v + `"`
		}
		return out + "}"
	}
	locales := fstest.MapFS{
		"en.json": {Data: []byte(common("en", map[string]string{
			"common.menu": "Main menu", "common.back": "Back", "common.yes": "Yes", "common.no": "No",
			"language.self": "English", "language.choose": "Choose a language",
			"main.hello": "Hello", "main.info": "Information", "main.quiz": "Can I apply?", "main.office": "Office address",
			"main.ask":  "Tell us your country",
			"info.text": "Some information", "info.office": "We are at {{.Office.Address}}, phone {{.Office.Phone}}",
			"info.country_q": "Which country?", "info.thanks": "Thank you",
			"kw.office": "address, where is the office, opening hours", "kw.quiz": "can i apply, who can apply, eligible",
			"quiz.q1": "Do you have legal residence?", "quiz.may": "You may be able to apply. Talk to us.",
			"quiz.cannot": "You may not be able to apply, but talk to us.", "handoff.call": "Call us",
			"language.words": "the, is, where, what, how, i, you",
		}))},
		"nb.json": {Data: []byte(common("nb", map[string]string{
			"common.menu": "Hovedmeny", "common.back": "Tilbake", "common.yes": "Ja", "common.no": "Nei",
			"language.self": "Norsk", "language.choose": "Velg språk",
			"main.hello": "Hei", "main.info": "Informasjon", "main.quiz": "Kan jeg søke?", "main.office": "Kontoradresse",
			"main.ask":  "Fortell oss landet",
			"info.text": "Litt informasjon", "info.office": "Vi er i {{.Office.Address}}, telefon {{.Office.Phone}}",
			"info.country_q": "Hvilket land?", "info.thanks": "Takk",
			"kw.office": "adresse, hvor er kontoret, åpningstider", "kw.quiz": "kan jeg søke, hvem kan søke",
			"quiz.q1": "Har du lovlig opphold?", "quiz.may": "Du kan kanskje søke.", "quiz.cannot": "Du kan kanskje ikke søke.",
			"handoff.call": "Ring oss", "language.words": "er, hvor, hva, jeg, du, det, og",
		}))},
	}
	pack, err := flow.Load(flows, locales)
	if err != nil {
		t.Fatalf("test pack: %v", err)
	}
	return pack
}

// at is a fixed clock for events.
var at = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

func text(s string) bot.Event {
	return bot.Event{Channel: "test", User: "u", Kind: bot.KindText, Text: s, Time: at}
}

func press(data string) bot.Event {
	return bot.Event{Channel: "test", User: "u", Kind: bot.KindChoice, Data: data, Time: at}
}
