package handoff_test

import (
	"context"
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/inmem"
	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

// TestStaffTextsResolve checks that every staff text, and the name of every answer the default
// content puts on the staff card, is written in both staff languages, with today's wording.
func TestStaffTextsResolve(t *testing.T) {
	p, err := flow.Load(flows.FS, locales.FS)
	if p == nil || p.Engine == nil {
		t.Fatalf("content: %v", err)
	}
	ids := flow.StaffMessages(p.Content)
	if len(ids) != len(handoff.StaffMessages())+3 {
		t.Fatalf("staff messages of the default content: %v", ids)
	}
	for _, lang := range []string{"nb", "en"} {
		for _, id := range ids {
			t.Run(lang+"/"+id, func(t *testing.T) {
				if !p.Catalog.Has(lang, id) {
					t.Fatalf("%s.json lacks %q", lang, id)
				}
				if s := p.Catalog.Text(lang, id, ""); strings.TrimSpace(s) == "" || s == id {
					t.Fatalf("%q renders as %q", id, s)
				}
			})
		}
	}
	for _, c := range []struct{ lang, id, want string }{
		{"nb", "staff.take", "Ta"},
		{"en", "staff.take", "Take"},
		{"nb", "staff.queue_empty", "Ingen åpne saker."},
		{"en", "staff.wants_chat", "Wants to chat with a counsellor now"},
		{"nb", "staff.answer.situation", "Situasjon i Norge"},
		{"en", "staff.answer.othereu", "Protection in another EU/EEA country"},
		{"nb", "staff.help", "Kommandoer: /queue · /take KODE · /reply KODE tekst (eller svar på sakskortet 🎫 eller en melding ✉ fra brukeren) · /back KODE · /visit KODE dag tid · /close KODE · /code KODE"},
	} {
		if got := p.Catalog.Text(c.lang, c.id, ""); got != c.want {
			t.Errorf("%s %s = %q, want %q", c.lang, c.id, got, c.want)
		}
	}
}

// TestStaffTextIDsInCode reads the package source: every staff text the code asks for by name
// (s.st("…")) must be listed in StaffMessages, or the validator would not require it.
func TestStaffTextIDsInCode(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	listed := handoff.StaffMessages()
	fset := token.NewFileSet()
	calls := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || sel.Sel.Name != "st" || len(call.Args) != 1 {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok {
				return true // st(t.Status): the statuses are checked below
			}
			calls++
			id, _ := strconv.Unquote(lit.Value)
			if !slices.Contains(listed, handoff.StaffPrefix+id) {
				t.Errorf("%s: st(%q) is not in StaffMessages", fset.Position(lit.Pos()), id)
			}
			return true
		})
	}
	if calls < 20 {
		t.Fatalf("found only %d st calls: is the check still reading the code?", calls)
	}
	for _, st := range []string{handoff.StatusOpen, handoff.StatusTaken, handoff.StatusClosed} {
		if !slices.Contains(listed, handoff.StaffPrefix+st) {
			t.Errorf("status %q is not in StaffMessages", st)
		}
	}
}

// A small content pack an office might write: a question saved under "bike", which the shipped
// locales know nothing about.
var bikeFlows = fstest.MapFS{
	"offices.yaml":  {Data: []byte("default: hq\noffices:\n  hq: {name: HQ, address: Street 1, phone: \"1\"}\n")},
	"main.yaml":     {Data: []byte("id: main\nstart: menu\nnodes:\n  menu:\n    say: [m.hello]\n    options:\n      - {id: a, label: m.a, goto: bike}\n      - {id: b, label: m.b, goto: language}\n      - {id: c, label: m.c, goto: handoff}\n")},
	"language.yaml": {Data: []byte("id: language\nstart: pick\nnodes:\n  pick:\n    say: [m.hello]\n    picker: true\n    next: main.menu\n")},
	"handoff.yaml":  {Data: []byte("id: handoff\nstart: start\nnodes:\n  start:\n    say: [m.hello]\n")},
	"bike.yaml":     {Data: []byte("id: bike\nstart: ask\nnodes:\n  ask:\n    say: [q.intro, q.bike]\n    save: bike\n    options:\n      - {id: y, label: m.yes, goto: main.menu}\n      - {id: n, label: m.no, goto: main.menu}\n")},
}

// bikeLocale is a locale file: the engine's messages, the texts given, and (staff) the staff
// texts marked with the language so the test sees which language each came from.
func bikeLocale(code string, staff bool, texts map[string]string) *fstest.MapFile {
	m := map[string]string{"language.words": "the, a"}
	for _, id := range bot.EngineMessages {
		m[id] = id
	}
	if staff {
		for _, id := range handoff.StaffMessages() {
			m[id] = code + ":" + strings.TrimPrefix(id, handoff.StaffPrefix)
		}
	}
	for k, v := range texts {
		m[k] = v
	}
	b, _ := json.Marshal(m)
	return &fstest.MapFile{Data: b}
}

var bikeEN = map[string]string{
	"m.hello": "Hello", "m.a": "Bikes", "m.b": "Language", "m.c": "Talk", "m.yes": "Yes", "m.no": "No",
	"q.intro": "A question about how you travel.",
	"q.bike":  "Do you own a bicycle, or any other vehicle that you use to get around the city every day? Tell us.",
}

// staffCard is the card for a user who answered "y" to the bike question (and has an answer
// the content no longer saves).
func staffCard(t *testing.T, loc fstest.MapFS, staffLang string) string {
	t.Helper()
	return cardFor(t, bikeFlows, loc, staffLang, map[string]string{"bike": "y", "gone": "x"})
}

// cardFor opens a chat ticket for a user with the given answers and returns the card staff see.
func cardFor(t *testing.T, fl, loc fs.FS, staffLang string, answers map[string]string) string {
	t.Helper()
	p, err := flow.Load(fl, loc)
	if p == nil || p.Engine == nil {
		t.Fatalf("content: %v", err)
	}
	cal, err := handoff.NewCalendar(p.Content.Offices[p.Content.DefaultOffice])
	if err != nil {
		t.Fatal(err)
	}
	sealer, _ := handoff.NewSealer(secret)
	svc, err := handoff.NewService(handoff.Config{
		Store: inmem.NewHandoff(), Sessions: inmem.New(0), Language: p.Catalog, Content: p.Content,
		Calendar: cal, Codes: handoff.NewCodes(secret), Sealer: sealer, Secret: secret, StaffLang: staffLang,
	})
	if err != nil {
		t.Fatal(err)
	}
	posts := &handofftest.StaffPosts{}
	svc.SetStaff(posts)
	sess := bot.Session{Lang: "en", Answers: answers}
	res := bot.Result{Replies: []bot.Reply{{Lang: "en", Handoff: bot.HandoffChat}}}
	if _, err := svc.AfterHandle(context.Background(), bot.Event{User: "u1", Channel: "telegram"}, sess, res); err != nil {
		t.Fatal(err)
	}
	got := posts.Posts()
	if len(got) != 1 {
		t.Fatalf("staff posts: %q", got)
	}
	return got[0]
}

func with(base map[string]string, extra ...string) map[string]string {
	m := map[string]string{}
	for k, v := range base {
		m[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		m[extra[i]] = extra[i+1]
	}
	return m
}

func TestStaffCardNamesAnswersFromContent(t *testing.T) {
	bikeNB := with(bikeEN, "m.yes", "Ja", "m.no", "Nei", "q.bike", "Har du sykkel? Si fra.")
	for _, c := range []struct {
		name      string
		locales   fstest.MapFS
		staffLang string
		want      []string
	}{
		{"en: the question, shortened", fstest.MapFS{"en.json": bikeLocale("en", true, bikeEN)}, "en",
			[]string{"• Do you own a bicycle, or any other vehicle that you use to…: Yes\n", "en:status: en:open"}},
		{"nb: the question in the staff language", fstest.MapFS{"en.json": bikeLocale("en", true, bikeEN), "nb.json": bikeLocale("nb", true, bikeNB)}, "nb",
			[]string{"• Har du sykkel?: Ja\n", "nb:status: nb:open"}},
		{"nb: its own question before the English name", fstest.MapFS{"en.json": bikeLocale("en", true, with(bikeEN, "staff.answer.bike", "Bicycle")), "nb.json": bikeLocale("nb", true, bikeNB)}, "nb",
			[]string{"• Har du sykkel?: Ja\n"}},
		{"nb: staff.answer in the staff language", fstest.MapFS{"en.json": bikeLocale("en", true, bikeEN), "nb.json": bikeLocale("nb", true, with(bikeNB, "staff.answer.bike", "Sykkel"))}, "nb",
			[]string{"• Sykkel: Ja\n"}},
		{"fr: no staff texts, English fills in", fstest.MapFS{"en.json": bikeLocale("en", true, bikeEN), "fr.json": bikeLocale("fr", false, with(bikeEN, "m.yes", "Oui", "q.bike", "Avez-vous un vélo ?"))}, "fr",
			[]string{"• Avez-vous un vélo ?: Oui\n", "en:status: en:open", "en:wants_chat"}},
		{"fr without the question: the English name", fstest.MapFS{"en.json": bikeLocale("en", true, with(bikeEN, "staff.answer.bike", "Bicycle")), "fr.json": bikeLocale("fr", false, map[string]string{"m.yes": "Oui"})}, "fr",
			[]string{"• Bicycle: Oui\n"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			card := staffCard(t, c.locales, c.staffLang)
			for _, w := range append(c.want, "• gone: x\n") {
				if !strings.Contains(card, w) {
					t.Errorf("card lacks %q:\n%s", w, card)
				}
			}
			for _, bad := range []string{"a.bike", "staff.answer", "q.bike"} {
				if strings.Contains(card, bad) {
					t.Errorf("card shows %q:\n%s", bad, card)
				}
			}
		})
	}
}

func TestStaffCardOfDefaultContent(t *testing.T) {
	answers := map[string]string{"situation": "rejected", "othereu": "no", bot.AnswerInterpreter: "yes"}
	for lang, want := range map[string]string{
		"nb": "• Beskyttelse i annet EU/EØS-land: Nei\n• Situasjon i Norge: Søknaden fikk avslag\n",
		"en": "• Protection in another EU/EEA country: No\n• Situation in Norway: Application rejected\n",
	} {
		card := cardFor(t, flows.FS, locales.FS, lang, answers)
		if !strings.Contains(card, want) || strings.Contains(card, "interpreter") || strings.Contains(card, "Tolk") {
			t.Errorf("%s card:\n%s\nwant the answers\n%s", lang, card, want)
		}
	}
}

func TestCheckStaffLang(t *testing.T) {
	p, err := flow.Load(bikeFlows, fstest.MapFS{"en.json": bikeLocale("en", true, bikeEN), "nb.json": bikeLocale("nb", true, bikeEN), "fr.json": bikeLocale("fr", false, bikeEN)})
	if p == nil || p.Engine == nil {
		t.Fatalf("content: %v", err)
	}
	for lang, ok := range map[string]bool{"en": true, "nb": true, "fr": false, "de": false} {
		if err := handoff.CheckStaffLang(p.Catalog, lang); (err == nil) != ok {
			t.Errorf("CheckStaffLang(%q) = %v", lang, err)
		}
	}
}
