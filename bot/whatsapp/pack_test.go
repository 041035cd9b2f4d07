package whatsapp_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
)

// testPack is small English and Norwegian content with menus of 3, 5 and 12 options and a venue,
// so every WhatsApp rendering (buttons, list, numbered menu, location) is reached.
func testPack(t testing.TB) *flow.Pack {
	t.Helper()
	var many strings.Builder
	msgs := map[string]string{
		"common.menu": "Main menu", "language.self": "English", "language.choose": "Choose a language",
		"main.hello": "Hello! Choose a topic.", "main.info": "Information", "main.more": "More topics",
		"main.office": "Office address", "more.q": "Pick one",
		"more.a": "Support and money", "more.b": "Documents", "more.c": "Family", "more.d": "Health",
		"info.text": "Return is voluntary.", "info.office": "We are at {{.Office.Address}}",
		"kw.office": "address, where is the office", "handoff.call": "Call us", "many.q": "Pick a country",
		"language.words": "the, is, where, what, how, i, you",
	}
	for i := 1; i <= 12; i++ {
		fmt.Fprintf(&many, "      - {id: c%d, label: many.c%d, goto: main.menu}\n", i, i)
		msgs[fmt.Sprintf("many.c%d", i)] = fmt.Sprintf("Country %d", i)
	}
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
      - {id: more, label: main.more, goto: more}
      - {id: office, label: main.office, goto: info.office}
`)},
		"more.yaml": {Data: []byte(`id: more
start: pick
nodes:
  pick:
    say: [more.q]
    options:
      - {id: a, label: more.a, goto: info.office}
      - {id: b, label: more.b, goto: many}
      - {id: c, label: more.c, goto: main.menu}
      - {id: d, label: more.d, goto: main.menu}
      - {id: menu, label: common.menu, goto: main.menu}
  many:
    say: [many.q]
    options:
` + many.String())},
		"info.yaml": {Data: []byte(`id: info
start: start
nodes:
  start:
    say: [info.text]
    options:
      - {id: menu, label: common.menu, goto: main.menu}
  office:
    say: info.office
    venue: hq
    keywords: kw.office
    options:
      - {id: menu, label: common.menu, goto: main.menu}
`)},
		"language.yaml": {Data: []byte("id: language\nstart: pick\nnodes:\n  pick:\n    say: [language.choose]\n    picker: true\n    next: main.menu\n")},
		"handoff.yaml":  {Data: []byte("id: handoff\nstart: start\nnodes:\n  start:\n    say: [handoff.call]\n    handoff: counsellor\n")},
	}
	locale := func(code string) []byte {
		all := map[string]string{}
		for _, id := range bot.EngineMessages {
			all[id] = code + ":" + id
		}
		for k, v := range msgs {
			all[k] = v
		}
		if code == "nb" {
			all["language.self"], all["main.hello"] = "Norsk", "Hei! Velg et tema."
			all["language.words"] = "er, hvor, hva, jeg, du, det, og"
		}
		b, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	pack, err := flow.Load(flows, fstest.MapFS{"en.json": {Data: locale("en")}, "nb.json": {Data: locale("nb")}})
	if err != nil {
		t.Fatalf("test pack: %v", err)
	}
	return pack
}
