package flows_test

import (
	"strings"
	"testing"
)

// todayWords is "today" in each shipped language, as the stories used to say it.
var todayWords = map[string][]string{
	"en": {"today"}, "nb": {"i dag"}, "fr": {"aujourd'hui"}, "ru": {"сегодня"}, "ar": {"اليوم"},
	"fa": {"امروز"}, "ps": {"نن ورځ", "نن"}, "ckb": {"ئەمڕۆ"}, "so": {"maanta"}, "ti": {"ሎሚ"},
}

// TestStoriesAreToldAsPublished: the stories are about ten years old (FACTS.md, how to tell the
// stories): they never say "today", and the ended IRRANA programme is named as ended.
func TestStoriesAreToldAsPublished(t *testing.T) {
	p := loadPack(t)
	for _, code := range p.Catalog.Languages() {
		words, ok := todayWords[code]
		if !ok {
			t.Errorf("%s: no word for 'today' in this test: add one", code)
		}
		for _, id := range []string{"stories.list", "stories.babur", "stories.atiq", "stories.ahmed", "stories.jovid"} {
			text := strings.ToLower(p.Catalog.Text(code, id, ""))
			for _, w := range words {
				for _, f := range strings.FieldsFunc(text, func(r rune) bool { return strings.ContainsRune(" \n.,:;!?«»“”\"()،؛", r) }) {
					if f == w {
						t.Errorf("%s %s says %q", code, id, w)
					}
				}
				if strings.Contains(w, " ") && strings.Contains(text, w) {
					t.Errorf("%s %s says %q", code, id, w)
				}
			}
		}
		if !strings.Contains(p.Catalog.Text(code, "stories.atiq", ""), "IRRANA") {
			t.Errorf("%s stories.atiq does not say that his support came from IRRANA, a programme that has ended", code)
		}
	}
}

// TestCounsellorChatPromisesNoOwnLanguage: FACTS.md says the staff together speak more than 20
// languages, not that every person is answered in their own language.
func TestCounsellorChatPromisesNoOwnLanguage(t *testing.T) {
	p := loadPack(t)
	for _, code := range p.Catalog.Languages() {
		text := p.Catalog.Text(code, "handoff.chat_wait", "")
		if !strings.Contains(text, "20") && !strings.Contains(text, "۲۰") {
			t.Errorf("%s handoff.chat_wait does not say that the staff together speak more than 20 languages:\n%s", code, text)
		}
	}
	for code, bad := range map[string]string{"en": "own language", "nb": "eget språk", "fr": "dans votre langue", "ru": "на своём языке"} {
		if text := p.Catalog.Text(code, "handoff.chat_wait", ""); strings.Contains(text, bad) {
			t.Errorf("%s handoff.chat_wait promises an answer %q", code, bad)
		}
	}
}

// TestMenuSaysFreeEarly: many people fear that asking means being registered or costs money, so
// the first page (the main menu) says that the service is free (FACTS.md, how we write).
func TestMenuSaysFreeEarly(t *testing.T) {
	p := loadPack(t)
	free := map[string]string{"en": "service is free", "nb": "gratis", "ar": "مجانية", "fa": "رایگان", "ps": "وړیا",
		"ckb": "بێبەرامبەر", "ru": "бесплат", "fr": "gratuit", "so": "bilaash", "ti": "ብነጻ"}
	for _, code := range p.Catalog.Languages() {
		if w, text := free[code], p.Catalog.Text(code, "main.menu", ""); w == "" || !strings.Contains(text, w) {
			t.Errorf("%s main.menu does not say that the service is free (%q):\n%s", code, w, text)
		}
	}
}
