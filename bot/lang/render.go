package lang

import (
	"fmt"
	"strings"

	"github.com/nicksnyder/go-i18n/v2/i18n"

	"github.com/returnbot/returnbot/bot"
)

// TemplateData is what a text's template can refer to.
type TemplateData struct {
	Office OfficeData
	// Retention is how long an idle conversation is kept, as words ("30 days"), rendered from
	// the plural message common.days with the language's CLDR plural rules.
	Retention string
}

// MsgDays is the plural message for a number of days ({{.Count}}).
const MsgDays = "common.days"

// OfficeData is an office as texts see it. In right-to-left languages every value is wrapped in
// Unicode isolates (FSI…PDI) so numbers and Latin names keep their order inside Arabic-script text.
type OfficeData struct {
	Name, Address, Floor, Postcode, City, Phone, TimeZone string
	Hours                                                 HoursData
	NoAppointment                                         bool
}

// HoursData are opening hours per weekday, empty when closed.
type HoursData struct {
	Mon, Tue, Wed, Thu, Fri, Sat, Sun string
}

const (
	fsi = "\u2068" // first strong isolate
	pdi = "\u2069" // pop directional isolate
)

// Isolate wraps a value in Unicode isolates when it is shown inside right-to-left text.
func Isolate(lang, v string) string {
	if v == "" || !RightToLeft[lang] {
		return v
	}
	return fsi + v + pdi
}

// officeData prepares an office for the templates of one language.
func officeData(lang string, o *bot.Office) OfficeData {
	if o == nil {
		return OfficeData{}
	}
	iso := func(v string) string { return Isolate(lang, v) }
	return OfficeData{
		Name: iso(o.Name), Address: iso(o.Address), Floor: iso(o.Floor), Postcode: iso(o.Postcode),
		City: iso(o.City), Phone: iso(o.Phone), TimeZone: o.TimeZone, NoAppointment: o.NoAppointment,
		Hours: HoursData{
			Mon: iso(o.Hours.Mon), Tue: iso(o.Hours.Tue), Wed: iso(o.Hours.Wed), Thu: iso(o.Hours.Thu),
			Fri: iso(o.Hours.Fri), Sat: iso(o.Hours.Sat), Sun: iso(o.Hours.Sun),
		},
	}
}

// render fills in every message of every language for the default office and each named office.
// Texts depend only on content, so doing it once keeps the per-message cost to a map lookup.
func (c *Catalog) render(content *bot.Content, opts Options) error {
	offices := map[string]*bot.Office{"": nil}
	if content != nil {
		offices[""] = content.Offices[content.DefaultOffice]
		for id, o := range content.Offices {
			offices[id] = o
		}
	}
	for _, code := range c.codes {
		f := c.files[code]
		loc := i18n.NewLocalizer(c.bundle, code, c.codes[0])
		retention, err := c.days(code, opts.RetentionDays)
		if err != nil {
			return err
		}
		for officeID, o := range offices {
			data := TemplateData{Office: officeData(code, o), Retention: retention}
			for id := range f.IDs {
				if f.Plural[id] {
					continue // rendered per count by Plural
				}
				s, err := loc.Localize(&i18n.LocalizeConfig{MessageID: id, TemplateData: data})
				if err != nil {
					return &Error{File: f.Name, Line: f.IDs[id], Reason: fmt.Sprintf("message %q: %s", id, templateReason(err))}
				}
				c.rendered[code+"\x00"+officeID+"\x00"+id] = s
			}
		}
	}
	return nil
}

func templateReason(err error) string {
	s := err.Error()
	if i := strings.Index(s, "can't evaluate field "); i >= 0 {
		field := strings.Fields(s[i+len("can't evaluate field "):])[0]
		return "unknown template field " + field + " (see docs/flows.md for the fields)"
	}
	return "template error: " + s
}

// days renders a number of days in a language through its plural forms; a language without
// common.days uses the default language's.
func (c *Catalog) days(code string, n int) (string, error) {
	file := c.files[code]
	if !file.Plural[MsgDays] && c.files[c.codes[0]].Plural[MsgDays] {
		code, file = c.codes[0], c.files[c.codes[0]]
	}
	if _, ok := file.IDs[MsgDays]; !ok {
		return fmt.Sprint(n), nil
	}
	loc := i18n.NewLocalizer(c.bundle, code)
	lc := &i18n.LocalizeConfig{MessageID: MsgDays, TemplateData: map[string]int{"Count": n}}
	if file.Plural[MsgDays] {
		lc.PluralCount = n // a plain text ("{{.Count}} d") needs no plural choice
	}
	s, err := loc.Localize(lc)
	if err != nil {
		return "", &Error{File: file.Name, Line: file.IDs[MsgDays], Reason: fmt.Sprintf("message %q for %d: %s", MsgDays, n, templateReason(err))}
	}
	return s, nil
}
