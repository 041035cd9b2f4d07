package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/flows"
	"github.com/returnbot/returnbot/locales"
)

func runCmd(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("REDIS_URL", "")
	t.Setenv("REDIS_CLUSTER_ADDRS", "")
	var out, errOut bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestChatJSON(t *testing.T) {
	code, out, errOut := runCmd(t, "hello\n\n4\n", "chat", "--lang", "en", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var lines []chatLine
	for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
		var cl chatLine
		if err := json.Unmarshal([]byte(l), &cl); err != nil {
			t.Fatalf("not one JSON object per line: %q: %v", l, err)
		}
		lines = append(lines, cl)
	}
	first := lines[0]
	if first.Lang != "en" || first.Flow != "main" || first.Node != "menu" || len(first.Buttons) < 4 {
		t.Fatalf("first message = %+v", first)
	}
	var sawVenue bool
	for _, l := range lines[1:] {
		if l.Venue != nil {
			sawVenue = l.Flow == "contact" && l.Venue.Address != ""
		}
	}
	if !sawVenue {
		t.Fatalf("option 4 (address) did not send a venue: %s", out)
	}
}

func TestChatPlainNumbersButtons(t *testing.T) {
	code, out, _ := runCmd(t, "hei\n", "chat", "--lang", "nb")
	if code != 0 || !strings.Contains(out, "  1. ") {
		t.Fatalf("exit %d, output:\n%s", code, out)
	}
}

func TestChatReadsLongAndBrokenLines(t *testing.T) {
	in := strings.Repeat("x", 5000) + "\n" + "abc\xff\n"
	code, out, errOut := runCmd(t, in, "chat", "--lang", "en", "--json")
	if code != 0 || strings.Count(out, "\n") < 2 {
		t.Fatalf("exit %d: out %q err %q", code, out, errOut)
	}
}

func copyDir(t *testing.T, fsys interface {
	ReadDir(string) ([]os.DirEntry, error)
	ReadFile(string) ([]byte, error)
}, dir string) {
	t.Helper()
	entries, err := fsys.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue // locales/examples: the tests that copy a directory do not need them
		}
		b, err := fsys.ReadFile(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestValidate(t *testing.T) {
	code, out, errOut := runCmd(t, "", "validate")
	if code != 0 || !strings.Contains(out, "100%") {
		t.Fatalf("default content: exit %d\n%s%s", code, out, errOut)
	}
	// A broken copy: an unknown goto target and an unknown field, reported as file:line.
	fdir, ldir := t.TempDir(), t.TempDir()
	copyDir(t, flows.FS, fdir)
	copyDir(t, locales.FS, ldir)
	main, _ := os.ReadFile(filepath.Join(fdir, "main.yaml"))
	broken := strings.Replace(string(main), "goto: stories}", "goto: storiez}", 1)
	if broken == string(main) {
		t.Fatal("test expects main.yaml to link to stories")
	}
	os.WriteFile(filepath.Join(fdir, "main.yaml"), []byte(broken), 0o644)
	code, _, errOut = runCmd(t, "", "validate", "--flows", fdir, "--locales", ldir)
	if code == 0 || !strings.Contains(errOut, `main.yaml:`) || !strings.Contains(errOut, `"storiez", which does not exist`) {
		t.Fatalf("broken goto: exit %d, stderr:\n%s", code, errOut)
	}
	// The same broken content stops `chat` (and serve) at start-up.
	code, _, errOut = runCmd(t, "hi\n", "chat", "--flows", fdir, "--locales", ldir)
	if code == 0 || !strings.Contains(errOut, "main.yaml:") {
		t.Fatalf("chat with broken content: exit %d\n%s", code, errOut)
	}
}

func TestGraph(t *testing.T) {
	code, out, errOut := runCmd(t, "", "graph", "--flow", "eligibility")
	if code != 0 || !strings.HasPrefix(out, "flowchart TD\n") || !strings.Contains(out, "eligibility__start") || strings.Contains(out, "subgraph main") {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
	if code, _, _ := runCmd(t, "", "graph", "--flow", "nope"); code == 0 {
		t.Fatal("graph of an unknown flow succeeded")
	}
}

func TestI18nMissing(t *testing.T) {
	ldir := t.TempDir()
	copyDir(t, locales.FS, ldir)
	// A new language with one message translated.
	os.WriteFile(filepath.Join(ldir, "de.json"), []byte(`{"common.menu": "Hauptmenü"}`), 0o644)
	code, out, errOut := runCmd(t, "", "i18n", "missing", "--lang", "de", "--locales", ldir)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var missing map[string]string
	if err := json.Unmarshal([]byte(out), &missing); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if _, ok := missing["common.menu"]; ok {
		t.Fatal("a translated message is listed as missing")
	}
	if missing["common.back"] == "" || missing["main.menu"] == "" {
		t.Fatalf("untranslated messages missing from the list: %d listed", len(missing))
	}
	if !strings.Contains(missing["contact.office"], "{{.Office.Address}}") {
		t.Fatalf("source text should keep its template: %q", missing["contact.office"])
	}
}

func TestUnknownCommand(t *testing.T) {
	if code, _, errOut := runCmd(t, "", "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Fatalf("exit %d: %s", code, errOut)
	}
}

// TestChatFindsLanguageAndTopic: without --lang, the first typed question picks the language and
// the topic, in every script the bot reads.
func TestChatFindsLanguageAndTopic(t *testing.T) {
	for _, c := range []struct{ text, lang, flow, node, contains string }{
		{"سلام، دفتر شما کجاست؟", "fa", "contact", "office", "Skippergata 33"},
		{"какую помощь дают при возвращении?", "ru", "support", "overview", ""},
		{"where is your office?", "en", "contact", "office", "Skippergata 33"},
		{"hvor mye penger får jeg?", "nb", "support", "cash", ""},
	} {
		code, out, errOut := runCmd(t, c.text+"\n", "chat", "--json")
		if code != 0 {
			t.Fatalf("%q: exit %d: %s", c.text, code, errOut)
		}
		var lines []chatLine
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var cl chatLine
			if err := json.Unmarshal([]byte(l), &cl); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, cl)
		}
		last := lines[len(lines)-1]
		if last.Lang != c.lang || last.Flow != c.flow || last.Node != c.node {
			t.Errorf("%q answered in %s at %s.%s, want %s at %s.%s", c.text, last.Lang, last.Flow, last.Node, c.lang, c.flow, c.node)
		}
		if c.contains != "" && !strings.Contains(out, c.contains) {
			t.Errorf("%q: reply lacks %q", c.text, c.contains)
		}
	}
}
