package whatsapp

// CountryLang maps international calling codes to the language hint given to the engine for a
// sender whose number starts with that code. It is only a first guess (a Syrian number in Norway
// may belong to a Kurdish speaker): the engine negotiates it against the shipped languages and
// the user can always change language. Codes absent here, or mapped to "", give no hint —
// Ethiopia (251), for example, where Amharic, Oromo and Tigrinya are all common.
var CountryLang = map[string]string{
	"93":  "fa-AF", // Afghanistan: Dari
	"98":  "fa",    // Iran
	"964": "ar",    // Iraq
	"963": "ar",    // Syria
	"249": "ar",    // Sudan
	"212": "ar",    // Morocco
	"213": "ar",    // Algeria
	"216": "ar",    // Tunisia
	"218": "ar",    // Libya
	"20":  "ar",    // Egypt
	"962": "ar",    // Jordan
	"961": "ar",    // Lebanon
	"967": "ar",    // Yemen
	"7":   "ru",    // Russia, Kazakhstan
	"252": "so",    // Somalia
	"291": "ti",    // Eritrea
	"251": "",      // Ethiopia: no single language
	"33":  "fr",    // France
	"47":  "nb",    // Norway
	"44":  "en",    // United Kingdom
}

// LangHint returns the language hint for a WhatsApp number (digits, country code first, as in
// wa_id), by the longest calling code in CountryLang; "" when none matches.
func LangHint(number string) string {
	for n := 3; n >= 1; n-- {
		if len(number) < n {
			continue
		}
		if l, ok := CountryLang[number[:n]]; ok {
			return l
		}
	}
	return ""
}
