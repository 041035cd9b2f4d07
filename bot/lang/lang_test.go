package lang_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
)

func TestNormalize(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"  Hello,   WORLD!! ", "hello world"},
		{"١٢٣ ۴۵۶ 789 ١٠", "123 456 789 10"},
		{"२ ੩ ๔", "2 3 4"},
		{"Åpningstider på kontoret", "apningstider pa kontoret"},
		{"Føre, Ærlig", "fore aerlig"},
		{"Où est le bureau ?", "ou est le bureau"},
		{"Ёлка", "елка"},
		// Arabic script: yeh and kaf variants, teh marbuta, hamza carriers, harakat, tatweel, ZWNJ.
		{"عنوان مكتب", "عنوان مکتب"},
		{"دفتر شما كجاست؟", "دفتر شما کجاست"},
		{"السَّلَامُ عَلَيْكُمْ", "السلام علیکم"},
		{"مدرسة", "مدرسه"},
		{"أين", "این"},
		{"إسلام آباد", "اسلام اباد"},
		{"مــكــتــب", "مکتب"},
		{"می‌خواهم", "میخواهم"},
		{"مسؤول", "مسوول"},
		{"\u2068+47 23\u2069", "47 23"},
		// Ethiopic: letters that sound alike fold together; the Ethiopic full stop is punctuation.
		{"ኣድራሻ ሐገር ፀሓይ ሠናይ ዓዲ።", "አድራሻ ሀገር ጸሃይ ሰናይ አዲ"},
		{"", ""},
	} {
		if got := lang.Normalize(c.in); got != c.want {
			t.Errorf("Normalize(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func testCatalog(t *testing.T, codes ...string) *lang.Catalog {
	t.Helper()
	fs := fstest.MapFS{}
	for _, code := range codes {
		fs[code+".json"] = &fstest.MapFile{Data: []byte(`{
  "phone": "Call {{.Office.Phone}} at {{.Office.Address}}",
  "language.self": "` + code + `",
  "language.words": "the, is, and"
}`)}
	}
	c := &bot.Content{DefaultOffice: "oslo", Offices: map[string]*bot.Office{
		"oslo": {ID: "oslo", Name: "IOM Norway", Address: "Skippergata 33", Phone: "+47 23 10 53 20"},
	}}
	cat, err := lang.Load(fs, c)
	if err != nil {
		t.Fatal(err)
	}
	return cat
}

func TestNegotiate(t *testing.T) {
	cat := testCatalog(t, "en", "nb", "ar", "fa", "ps", "ckb", "ru", "fr", "so", "ti")
	for _, c := range []struct{ hint, want string }{
		{"en", "en"}, {"en-US", "en"}, {"fa-IR", "fa"}, {"fa", "fa"}, {"prs", "fa"}, {"prs-AF", "fa"},
		{"no", "nb"}, {"nn", "nb"}, {"nb-NO", "nb"}, {"ar-EG", "ar"}, {"ru-RU", "ru"}, {"fr-CA", "fr"},
		{"ckb", "ckb"}, {"ckb-IQ", "ckb"}, {"ps-AF", "ps"}, {"so", "so"}, {"ti-ER", "ti"},
		{"de", ""}, {"zh-Hans", ""}, {"", ""}, {"not a tag!", ""},
	} {
		if got := cat.Negotiate(c.hint); got != c.want {
			t.Errorf("Negotiate(%q) = %q, want %q", c.hint, got, c.want)
		}
	}
}

func TestRightToLeftValuesAreIsolated(t *testing.T) {
	cat := testCatalog(t, "en", "ar", "fa", "ps", "ckb", "ru")
	for _, code := range []string{"ar", "fa", "ps", "ckb"} {
		got := cat.Text(code, "phone", "")
		want := "Call \u2068+47 23 10 53 20\u2069 at \u2068Skippergata 33\u2069"
		if got != want {
			t.Errorf("%s: %q, want %q", code, got, want)
		}
	}
	for _, code := range []string{"en", "ru"} {
		if got := cat.Text(code, "phone", ""); strings.ContainsAny(got, "\u2068\u2069") {
			t.Errorf("%s is left-to-right but got isolates: %q", code, got)
		}
	}
}

func TestTextFallsBackAndShowsUnknownIDs(t *testing.T) {
	cat := testCatalog(t, "en", "nb")
	if got := cat.Text("xx", "phone", ""); !strings.HasPrefix(got, "Call") {
		t.Errorf("unknown language: %q", got)
	}
	if got := cat.Text("en", "no.such.id", ""); got != "no.such.id" {
		t.Errorf("unknown id: %q", got)
	}
}

func TestDetectScripts(t *testing.T) {
	cat := testCatalog(t, "en", "nb", "ar", "fa", "ps", "ckb", "ru", "fr", "so", "ti")
	for _, c := range []struct{ text, want string }{
		{"сколько денег дают?", "ru"},
		{"ሰላም ከመይ ኣለኹም", "ti"},
		{"سلام، دفتر شما کجاست؟", "fa"},         // Persian letters and words
		{"ستاسو دفتر چیرته دی؟ زه غواړم", "ps"}, // Pashto letters ړ
		{"ئۆفیسەکەتان لە کوێیە؟", "ckb"},        // Sorani letters ۆ ە ێ
		{"أين يقع المكتب؟ شكرا", "ar"},
		{"12345", ""},
	} {
		if got := cat.Detect(c.text); got != c.want {
			t.Errorf("Detect(%q) = %q, want %q", c.text, got, c.want)
		}
	}
}

func TestRetentionUsesCLDRPlurals(t *testing.T) {
	fs := fstest.MapFS{
		"en.json": {Data: []byte(`{"kept": "Deleted after {{.Retention}}.", "common.days": {"one": "{{.Count}} day", "other": "{{.Count}} days"}}`)},
		"ru.json": {Data: []byte(`{"kept": "Удаляются через {{.Retention}}.", "common.days": {"one": "{{.Count}} день", "few": "{{.Count}} дня", "many": "{{.Count}} дней", "other": "{{.Count}} дня"}}`)},
		"ar.json": {Data: []byte(`{"kept": "تُحذف بعد {{.Retention}}.", "common.days": {"zero": "{{.Count}} يوم", "one": "يوم واحد", "two": "يومين", "few": "{{.Count}} أيام", "many": "{{.Count}} يومًا", "other": "{{.Count}} يوم"}}`)},
		"fr.json": {Data: []byte(`{"kept": "Supprimées après {{.Retention}}."}`)}, // no common.days: English fills in
	}
	for _, c := range []struct {
		days       int
		lang, want string
	}{
		{1, "en", "Deleted after 1 day."}, {30, "en", "Deleted after 30 days."},
		{1, "ru", "Удаляются через 1 день."}, {3, "ru", "Удаляются через 3 дня."}, {30, "ru", "Удаляются через 30 дней."}, {21, "ru", "Удаляются через 21 день."},
		{1, "ar", "تُحذف بعد يوم واحد."}, {2, "ar", "تُحذف بعد يومين."}, {7, "ar", "تُحذف بعد 7 أيام."}, {30, "ar", "تُحذف بعد 30 يومًا."}, {100, "ar", "تُحذف بعد 100 يوم."},
		{30, "fr", "Supprimées après 30 days."},
	} {
		cat, err := lang.LoadWith(fs, &bot.Content{}, lang.Options{RetentionDays: c.days})
		if err != nil {
			t.Fatal(err)
		}
		if got := cat.Text(c.lang, "kept", ""); got != c.want {
			t.Errorf("%s, %d days: %q, want %q", c.lang, c.days, got, c.want)
		}
	}
}
