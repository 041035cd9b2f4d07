package flow_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/bot/handoff"
)

const offices = "default: hq\noffices:\n  hq: {name: HQ, address: Street 1, phone: \"1\"}\n"

const mainOK = "id: main\nstart: menu\nnodes:\n  menu:\n    say: [m.hello]\n    options:\n      - {id: a, label: m.a, goto: handoff}\n      - {id: b, label: m.b, goto: language}\n"
const languageOK = "id: language\nstart: pick\nnodes:\n  pick:\n    say: [m.hello]\n    picker: true\n    next: main.menu\n"
const handoffOK = "id: handoff\nstart: start\nnodes:\n  start:\n    say: [m.hello]\n"

func locale(extra map[string]string) string {
	m := map[string]string{"m.hello": "Hello", "m.a": "A", "m.b": "B", "language.words": "the, a"}
	for _, id := range bot.EngineMessages {
		m[id] = id
	}
	for _, id := range handoff.StaffMessages() {
		m[id] = id
	}
	for k, v := range extra {
		m[k] = v
	}
	var b strings.Builder
	b.WriteString("{\n")
	first := true
	for k, v := range m {
		if !first {
			b.WriteString(",\n")
		}
		first = false
		b.WriteString(`  "` + k + `": "` + v + `"`)
	}
	b.WriteString("\n}\n")
	return b.String()
}

func files(over map[string]string) (fstest.MapFS, fstest.MapFS) {
	fl := fstest.MapFS{
		"offices.yaml":  {Data: []byte(offices)},
		"main.yaml":     {Data: []byte(mainOK)},
		"language.yaml": {Data: []byte(languageOK)},
		"handoff.yaml":  {Data: []byte(handoffOK)},
	}
	lo := fstest.MapFS{"en.json": {Data: []byte(locale(nil))}}
	for name, data := range over {
		target := fl
		if strings.HasSuffix(name, ".json") {
			target = lo
		}
		if data == "" {
			delete(target, name)
			continue
		}
		target[name] = &fstest.MapFile{Data: []byte(data)}
	}
	return fl, lo
}

func TestLoadGoodPack(t *testing.T) {
	fl, lo := files(nil)
	p, err := flow.Load(fl, lo)
	if err != nil {
		t.Fatal(err)
	}
	if !p.Report.OK() || p.Engine == nil {
		t.Fatalf("report %+v", p.Report)
	}
}

func TestLoadReportsFileAndLine(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string
	}{
		{"yaml syntax", map[string]string{"main.yaml": "id: main\nstart: menu\nnodes:\n  menu: [unclosed\n"}, "main.yaml:3: did not find expected"}, // yaml.v3 names the line the list opens on, counted from 0
		{"unknown field", map[string]string{"main.yaml": strings.Replace(mainOK, "    say:", "    sya:", 1)}, `main.yaml:5: unknown field "sya" in node menu`},
		{"unknown option field", map[string]string{"main.yaml": strings.Replace(mainOK, "goto: handoff", "got: handoff", 1)}, `main.yaml:7: unknown field "got" in option`},
		{"unknown goto", map[string]string{"main.yaml": strings.Replace(mainOK, "goto: handoff}", "goto: nowhere}", 1)}, `main.yaml:7: node "menu": option a goes to "nowhere", which does not exist`},
		{"id mismatch", map[string]string{"main.yaml": strings.Replace(mainOK, "id: main", "id: mian", 1)}, `main.yaml:1: flow id "mian" must match the file name "main"`},
		{"missing start", map[string]string{"handoff.yaml": "id: handoff\nstart: nope\nnodes:\n  start:\n    say: [m.hello]\n"}, `handoff.yaml:1: start node "nope" does not exist`},
		{"unreachable", map[string]string{"extra.yaml": "id: extra\nstart: a\nnodes:\n  a:\n    say: [m.hello]\n"}, `extra.yaml:4: node "a" is unreachable`},
		{"missing engine flow", map[string]string{"handoff.yaml": ""}, `handoff.yaml:0: missing: the engine needs a flow "handoff"`},
		{"label too long", map[string]string{"en.json": locale(map[string]string{"m.a": "A label that is far too long"})}, `button "A label that is far too long" is 28 characters, WhatsApp shows at most 20`},
		{"callback data too long", map[string]string{"main.yaml": strings.Replace(mainOK, "{id: a,", "{id: a_very_long_option_identifier_that_does_not_fit_in_telegram,", 1)}, `main.yaml:7: node "menu": button data`},
		{"json syntax", map[string]string{"en.json": "{\n  \"a\": \"b\",\n  \"c\" \"d\"\n}\n"}, "en.json:3: not JSON"},
		{"json duplicate", map[string]string{"en.json": "{\n  \"a\": \"b\",\n  \"a\": \"d\"\n}\n"}, `en.json:3: message "a" is defined twice`},
		{"unknown template field", map[string]string{"en.json": locale(map[string]string{"m.hello": "Call {{.Office.Fone}}"})}, "unknown template field Fone"},
		{"bad template", map[string]string{"en.json": locale(map[string]string{"m.hello": "Call {{.Office.Phone"})}, "template error"},
		{"venue unknown", map[string]string{"handoff.yaml": "id: handoff\nstart: start\nnodes:\n  start:\n    say: [m.hello]\n    venue: nowhere\n"}, `handoff.yaml:4: node "start": venue "nowhere" is not an office`},
		{"branch without fallback", map[string]string{"handoff.yaml": "id: handoff\nstart: start\nnodes:\n  start:\n    branch:\n      - {when: {a: b}, goto: end}\n  end:\n    say: [m.hello]\n"}, `handoff.yaml:4: node "start": branch needs a last case`},
		{"no offices", map[string]string{"offices.yaml": ""}, "offices.yaml:0: missing"},
		{"empty flow", map[string]string{"extra.yaml": "\n"}, "extra.yaml:1: empty flow file"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fl, lo := files(c.files)
			_, err := flow.Load(fl, lo)
			if err == nil {
				t.Fatal("loaded without error")
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error:\n%v\nwant it to contain %q", err, c.want)
			}
		})
	}
}

func TestMissingTranslationIsReportedNotFatal(t *testing.T) {
	nb := locale(nil)
	nb = strings.Replace(nb, `"m.b": "B"`, `"m.x": "X"`, 1)
	fl, lo := files(map[string]string{"nb.json": nb})
	p, err := flow.Load(fl, lo)
	if err != nil {
		t.Fatal(err)
	}
	if p.Report.OK() || len(p.Report.Missing) != 1 || !strings.Contains(p.Report.Missing[0].Error(), `missing message "m.b"`) {
		t.Fatalf("missing = %v", p.Report.Missing)
	}
	for _, c := range p.Report.Coverage {
		if c.Lang == "nb" && c.Have != c.Want-1 {
			t.Fatalf("nb coverage %+v", c)
		}
	}
	// The default language fills in.
	if got := p.Catalog.Text("nb", "m.b", ""); got != "B" {
		t.Fatalf("fallback text = %q", got)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(mainOK)
	f.Add(languageOK)
	f.Add("id: main\nstart: menu\nnodes:\n  menu:\n    branch:\n      - {when: {a: '*'}, goto: menu}\n    next: menu\n")
	f.Add("id: main\nnodes: {menu: {options: [{id: x}]}}\n")
	f.Add("id: main\nstart: menu\nnodes:\n  menu: &a\n    say: *a\n")
	f.Add("[1, 2")
	f.Fuzz(func(t *testing.T, main string) {
		fl, lo := files(map[string]string{"main.yaml": main})
		p, err := flow.Load(fl, lo)
		if err != nil {
			if !strings.Contains(err.Error(), ".yaml:") && !strings.Contains(err.Error(), ".json:") {
				t.Fatalf("error without file:line: %v", err)
			}
			return
		}
		// Whatever loads must run: a few steps from the menu never panic or loop.
		s := &bot.Session{Lang: "en"}
		for _, in := range []string{"hi", "1", "2", "/back", "x"} {
			p.Engine.Respond(s, bot.Event{Kind: bot.KindText, Text: in})
		}
	})
}
