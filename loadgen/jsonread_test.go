package loadgen

import (
	"encoding/json"
	"testing"
)

// The reader agrees with encoding/json: it fails exactly on what json.Valid rejects, and a
// string decodes to what json.Unmarshal gives.
func FuzzJSONReader(f *testing.F) {
	for _, seed := range []string{
		`{"chat_id":77,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`,
		`"plain"`, `"esc \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00"`, `"lone \ud83d half"`, `"\ud83d\u0041"`,
		`"bad \x"`, `"ctl ` + "\x01" + `"`, `"` + "\xff\xfe invalid" + `"`, `"Добро пожаловать"`,
		`-0.5e+10`, `01`, `1.`, `-`, `[1,2,]`, `{"a":1,}`, `{"a" 1}`, `[true,false,null]`, `tru`, `{}`, `[]`,
		` {"a" : [ {"b":"c"} , 2 ] } `, `{"a":1}x`, ``, `"unterminated`, `"\u12"`, `"\uD800\uDC00"`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		r := &jsonReader{b: in}
		raw := r.skip()
		err := r.end()
		if valid := json.Valid(in); valid != (err == nil) {
			t.Fatalf("%q: json.Valid %v, reader error %v", in, valid, err)
		}
		if err != nil {
			return
		}
		if len(raw) == 0 || raw[0] != '"' {
			return
		}
		var want string
		if err := json.Unmarshal(in, &want); err != nil {
			t.Fatal(err)
		}
		r = &jsonReader{b: in}
		if got := r.str(); got != want || r.end() != nil {
			t.Fatalf("%q: got %q, want %q", in, got, want)
		}
	})
}

// jsonParams reads what the fake API looks at, as Telegram would: strings decoded, other values
// as their JSON text, null as absent; a parameter that must be a string and is not fails.
func TestJSONParams(t *testing.T) {
	p, err := jsonParams([]byte(`{"chat_id":"-100","text":"a\nb","reply_markup":{"inline_keyboard":[]},"latitude":59.9,"title":null,"extra":[1,{"x":"y"}],"method":"sendVenue"}`))
	if err != nil {
		t.Fatal(err)
	}
	want := formValues{"chat_id": "-100", "text": "a\nb", "reply_markup": `{"inline_keyboard":[]}`, "latitude": "59.9", "method": "sendVenue"}
	if len(p) != len(want) {
		t.Errorf("params %q, want %q", p, want)
	}
	for k, v := range want {
		if p[k] != v {
			t.Errorf("%s = %q, want %q", k, p[k], v)
		}
	}
	for _, bad := range []string{`{"text":5}`, `{"text":"a"`, `["text"]`, `{"chat_id":1}{}`} {
		if _, err := jsonParams([]byte(bad)); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// appendQuoted writes a JSON string that encoding/json reads back as the string (invalid UTF-8
// as U+FFFD, as encoding/json would have written it).
func FuzzAppendQuoted(f *testing.F) {
	for _, seed := range []string{"", "plain", "a\"b\\c\n\r\t\x01\x1f", "Добро 👇", "\xff\xfe", "<&>", "\u2028"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out := appendQuoted([]byte("x"), s)[1:]
		var back string
		if err := json.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q: %s is not JSON: %v", s, out, err)
		}
		want, _ := json.Marshal(s)
		var wantBack string
		_ = json.Unmarshal(want, &wantBack)
		if back != wantBack {
			t.Fatalf("%q: read back %q, want %q", s, back, wantBack)
		}
	})
}
