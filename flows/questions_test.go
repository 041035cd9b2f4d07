package flows_test

import "testing"

// TestQuestionsAreReachedByTypedWords: each answer of the questions flow is also reached by what
// people type on the main menu, in every language (the button path is checked by
// TestEveryPageIsReachableAndLeadsHome).
func TestQuestionsAreReachedByTypedWords(t *testing.T) {
	p := loadPack(t)
	cases := map[string]map[string][]string{
		"questions.iom": {
			"en": {"who is IOM?", "are you the police?"}, "nb": {"hvem er IOM", "er dere politiet?"},
			"ar": {"من هي IOM؟", "هل أنتم الشرطة؟"}, "fa": {"IOM کیست؟", "آیا شما پولیس هستید؟"},
			"ps": {"IOM څوک دی؟", "ایا تاسو پولیس یاست؟"}, "ckb": {"IOM کێیە؟", "ئێوە پۆلیسن؟"},
			"ru": {"что такое МОМ?", "вы полиция?"}, "fr": {"qui est l'OIM ?", "vous êtes la police ?"},
			"so": {"waa maxay IOM?", "ma booliska baad tihiin?"}, "ti": {"IOM እንታይ እዩ?", "ፖሊስ ዶ ኢኹም?"},
		},
		"questions.asking": {
			"en": {"if i ask do i apply?", "i am just asking"}, "nb": {"søker jeg hvis jeg spør?", "vil bare vite"},
			"ar": {"هل السؤال يعني التقديم؟"}, "fa": {"آیا پرسیدن درخواست است؟"}, "ps": {"ایا پوښتنه غوښتنه ده؟"},
			"ckb": {"پرسیار داواکارییە؟"}, "ru": {"вопрос это заявление?"}, "fr": {"juste une question"},
			"so": {"weydiintu ma codsi baa?"}, "ti": {"ምሕታት ምምልካት ድዩ?"},
		},
		"questions.pending": {
			"en": {"my case is pending, can i apply?", "I have a dublin decision"}, "nb": {"jeg har dublinvedtak", "asylsaken min er ikke avgjort"},
			"ar": {"عندي قرار دبلن"}, "fa": {"تصمیم دوبلین دارم"}, "ps": {"د ډبلن پرېکړه لرم"}, "ckb": {"بڕیاری دەبلن"},
			"ru": {"у меня решение по дублину"}, "fr": {"j'ai une décision dublin"}, "so": {"go'aanka dublin"}, "ti": {"ውሳነ ደብሊን ኣሎኒ"},
		},
		"questions.family": {
			"en": {"can I return with my family?", "I have a wife and children"}, "nb": {"kan jeg reise hjem med familien", "jeg har kone og barn"},
			"ar": {"هل أستطيع العودة مع عائلتي؟"}, "fa": {"با خانواده برگردم"}, "ps": {"له کورنۍ سره راستنېدل"}, "ckb": {"لەگەڵ خێزانەکەم"},
			"ru": {"можно вернуться с семьёй?"}, "fr": {"rentrer avec ma famille"}, "so": {"qoyskayga"}, "ti": {"ምስ ስድራይ"},
		},
		"questions.data": {
			"en": {"what happens to my data if i apply"}, "nb": {"hva skjer med opplysningene mine"},
			"ar": {"ماذا يحدث لبياناتي إذا قدمت؟"}, "fa": {"با معلومات من چه می شود"}, "ps": {"زما معلومات څه کېږي؟"},
			"ckb": {"چی بە زانیارییەکانم دەکرێت؟"}, "ru": {"что будет с моими данными?"}, "fr": {"que deviennent mes données ?"},
			"so": {"maxaa ku dhacaya xogtayda?"}, "ti": {"ሓበሬታይ እንታይ ይኸውን?"},
		},
		"questions.free": {
			"en": {"is it free?", "do I have to pay?"}, "nb": {"er det gratis?", "må jeg betale?"},
			"ar": {"هل الخدمة مجانية؟"}, "fa": {"آیا رایگان است؟"}, "ps": {"ایا وړیا دی؟"}, "ckb": {"ئایا بێبەرامبەرە؟"},
			"ru": {"это бесплатно?"}, "fr": {"est-ce gratuit ?"}, "so": {"ma bilaash baa?"}, "ti": {"ብነጻ ድዩ?"},
		},
	}
	for want, byLang := range cases {
		for _, code := range p.Catalog.Languages() {
			if len(byLang[code]) == 0 {
				t.Errorf("%s: no typed example for %s", code, want)
			}
			for _, text := range byLang[code] {
				if got := route(p, code, text); got != want {
					t.Errorf("%s %q: reached %s, want %s", code, text, got, want)
				}
			}
		}
	}
}
