package webchat_test

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/locales"
)

// testPack is a small content pack in English and Arabic, so the web chat is tested without
// depending on the default content.
func testPack(t testing.TB) *flow.Pack {
	t.Helper()
	flows := fstest.MapFS{
		"offices.yaml": {Data: []byte(`default: hq
offices:
  hq: {name: Test Office, address: Main Street 1, postcode: "0001", city: Town, phone: "+47 11 22 33 44", lat: 59.91273, lon: 10.74609, no_appointment: true, hours: {mon: "10-15"}}
`)},
		"main.yaml": {Data: []byte(`id: main
start: menu
nodes:
  menu:
    say: [main.hello]
    options:
      - {id: info, label: main.info, goto: info}
      - {id: office, label: main.office, goto: info.office}
      - {id: ask, label: main.ask, goto: info.country}
`)},
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
  country:
    say: [info.country_q]
    ask: country
    next: thanks
  thanks:
    say: [info.thanks]
    next: main.menu
`)},
		"language.yaml": {Data: []byte("id: language\nstart: pick\nnodes:\n  pick:\n    say: [language.choose]\n    picker: true\n    next: main.menu\n")},
		"handoff.yaml":  {Data: []byte("id: handoff\nstart: start\nnodes:\n  start:\n    say: [handoff.call]\n    handoff: counsellor\n")},
	}
	locale := func(code string, m map[string]string) []byte {
		all := map[string]string{}
		for _, id := range bot.EngineMessages {
			all[id] = code + ":" + id
		}
		// The page's own words are the shipped ones, so the tests check the real translations.
		real, err := locales.FS.ReadFile(code + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var shipped map[string]json.RawMessage // some messages are plural objects
		if err := json.Unmarshal(real, &shipped); err != nil {
			t.Fatal(err)
		}
		for k, v := range shipped {
			var text string
			if strings.HasPrefix(k, "webchat.") && json.Unmarshal(v, &text) == nil {
				all[k] = text
			}
		}
		for k, v := range m {
			all[k] = v
		}
		b, err := json.Marshal(all)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	locales := fstest.MapFS{
		"en.json": {Data: locale("en", map[string]string{
			"common.menu": "Main menu", "common.back": "Back", "common.not_understood": "Sorry, I did not understand.",
			"language.self": "English", "language.choose": "Choose a language",
			"main.hello": "Hello! What would you like to know?", "main.info": "Information", "main.office": "Office address",
			"main.ask":       "Tell us your country",
			"info.text":      "Return is voluntary. We explain what support exists. The form: https://apply.example.org/form.",
			"info.office":    "We are at {{.Office.Address}}, phone {{.Office.Phone}}",
			"info.country_q": "Which country do you want to return to?", "info.thanks": "Thank you",
			"kw.office": "address, where is the office, opening hours", "handoff.call": "Call us",
			"language.words": "the, is, where, what, how, i, you",
		})},
		"ar.json": {Data: locale("ar", map[string]string{
			"common.menu": "القائمة الرئيسية", "common.back": "رجوع", "common.not_understood": "عذرًا، لم أفهم.",
			"language.self": "العربية", "language.choose": "اختر لغة",
			"main.hello": "مرحبًا! ماذا تريد أن تعرف؟", "main.info": "معلومات", "main.office": "عنوان المكتب",
			"main.ask":       "أخبرنا ببلدك",
			"info.text":      "العودة طوعية. نشرح لك الدعم المتاح. الاستمارة: https://apply.example.org/form.",
			"info.office":    "نحن في {{.Office.Address}}، هاتف {{.Office.Phone}}",
			"info.country_q": "إلى أي بلد تريد العودة؟", "info.thanks": "شكرًا لك",
			"kw.office": "عنوان, أين المكتب, ساعات العمل", "handoff.call": "اتصل بنا",
			"language.words": "في, من, على, أين, ماذا, أنا, أنت",
		})},
	}
	pack, err := flow.Load(flows, locales)
	if err != nil {
		t.Fatalf("test pack: %v", err)
	}
	return pack
}
