package bot

// Language is what the engine needs from the locale catalogue (implemented by bot/lang).
type Language interface {
	// Text returns a message rendered in a language with the data of an office ("" for the
	// default office). A message missing in that language falls back to the catalogue's
	// default language; an unknown ID returns the ID itself so a mistake shows instead of silence.
	Text(lang, id, office string) string
	// Languages lists the shipped language codes in picker order.
	Languages() []string
	// Negotiate picks the shipped language that best fits a platform hint (an IETF tag), or "".
	Negotiate(hint string) string
	// Normalize folds text for comparison: case, digit scripts, letter variants, accents, spaces.
	Normalize(text string) string
	// Match finds the topics (node references) a free text is about, best first.
	Match(lang, text string) []Match
	// Detect guesses the language of a free text from its script and words; "" when unsure.
	Detect(text string) string
	// Display prepares a text for showing in a language: in right-to-left languages Latin
	// words, commands, codes, URLs, numbers and times are isolated so they keep their order.
	Display(lang, text string) string
}

// ForDisplay prepares replies for showing (Language.Display on texts and button labels). Every
// reply leaves the bot through it, so texts built by code (a day and its hours, a visit code)
// are as safe to show right to left as the translated ones. It copies what it changes.
func ForDisplay(l Language, replies []Reply) []Reply {
	var out []Reply
	for i, r := range replies {
		text := l.Display(r.Lang, r.Text)
		var buttons []Button
		for j, b := range r.Buttons {
			if label := l.Display(r.Lang, b.Label); label != b.Label {
				if buttons == nil {
					buttons = append([]Button(nil), r.Buttons...)
				}
				buttons[j].Label = label
			}
		}
		if text == r.Text && buttons == nil {
			continue
		}
		if out == nil {
			out = append([]Reply(nil), replies...)
		}
		out[i].Text = text
		if buttons != nil {
			out[i].Buttons = buttons
		}
	}
	if out == nil {
		return replies
	}
	return out
}

// Match is a topic a free text may be about.
type Match struct {
	// Ref is the topic node, "flow.node".
	Ref string
	// Score is the match strength from 0 to 1.
	Score float64
}

// Well-known flows the engine jumps to for global commands.
const (
	MainFlow     = "main"
	LanguageFlow = "language"
	HandoffFlow  = "handoff"
)

// EngineMessages are the message IDs the engine uses outside the flows; every locale needs them.
var EngineMessages = []string{
	MsgMenu, MsgBack, MsgNotUnderstood, MsgTooLong, MsgUnreadable, MsgMedia, MsgMediaVoice, MsgMediaTooLarge, MsgMediaType, MsgUnavailable,
	MsgWelcomeBack, MsgContinue, MsgStartOver, MsgForgetConfirm, MsgForgetYes, MsgForgetNo,
	MsgForgotten, MsgKept, MsgOldButton, MsgDidYouMean, MsgLanguageSelf, MsgLanguageChange, MsgSafetyBrief, MsgSafetyTalk,
	"common.days", // the plural days of {{.Retention}} (bot/lang)
	// and the handoff texts (handoffpages.go)
	MsgClosedNow, MsgNextOpen, MsgDayClosed, MsgCardWhen, MsgCardInterp, MsgCardReminder, MsgFromStaff, MsgVisitCode,
	MsgReminder, MsgBackWithBot, MsgNotAllowed, MsgStaffDone, MsgHandoffLimited, MsgVisitPlanned, MsgVisitChange,
	"day.sun", "day.mon", "day.tue", "day.wed", "day.thu", "day.fri", "day.sat",
	// and the answers of free-text understanding (understanding.go)
	MsgGreeting, MsgThanks, MsgWho, MsgBotOrHuman, MsgBye, MsgWhichLang, MsgAskedAgain,
	// and the web chat page's own words (page.go)
	MsgPageInput, MsgPagePlaceholder, MsgPageSend, MsgPageLanguage, MsgPageRestart, MsgPageOffline, MsgPageWait,
	MsgPageQueued, MsgPageSent, MsgPagePending, MsgPageFailed, MsgPageDirections, MsgPageKeepInfo, MsgPageKeepYes,
	MsgPageKeepNo, MsgPageKept, MsgPageCard, MsgPageRestartAsk, MsgPageCancel, MsgPageTyping, MsgPageNewMessage,
	MsgPageClose, MsgPageLog, MsgPageOpen, MsgPageNoScript, MsgPageAttach, MsgPageUploading, MsgPageUploadFailed, MsgPageRetry,
	// and the button that plays a recorded answer (listen.go)
	MsgListen,
}

// Message IDs used by the engine.
const (
	MsgMenu          = "common.menu"
	MsgBack          = "common.back"
	MsgNotUnderstood = "common.not_understood"
	MsgTooLong       = "common.too_long"
	MsgUnreadable    = "common.unreadable"
	MsgMedia         = "common.media"
	MsgUnavailable   = "common.unavailable"
	MsgWelcomeBack   = "common.welcome_back"
	MsgContinue      = "common.continue"
	MsgStartOver     = "common.start_over"
	MsgForgetConfirm = "common.forget_confirm"
	MsgForgetYes     = "common.forget_yes"
	MsgForgetNo      = "common.forget_no"
	MsgForgotten     = "common.forgotten"
	MsgKept          = "common.kept"
	MsgOldButton     = "common.old_button"
	MsgDidYouMean    = "common.did_you_mean"
	// MsgSafetyBrief is the help numbers alone, given before the answer to a text that may be
	// from a person in danger (Understanding.Caution).
	MsgSafetyBrief = "safety.brief"
	// MsgSafetyTalk labels the counsellor button of the safety page and of the help numbers.
	MsgSafetyTalk     = "safety.opt_talk"
	MsgLanguageSelf   = "language.self"
	MsgLanguageChange = "language.change"
)

// Understander reads a free text: its language, whether the writer is in danger, and what they
// ask about (implemented by bot/understand, trained on examples at load time).
type Understander interface {
	// Understand reads text written by a user whose conversation is in lang ("" when unknown).
	Understand(lang, text string) Understanding
}

// Understanding is what an Understander made of one text.
type Understanding struct {
	// Lang is the text's language when the guess is sure, else "".
	Lang string
	// Langs are the two likeliest languages when the guess is not sure (empty for a text
	// without letters).
	Langs []string
	// Crisis reports a person who may be in danger: the safety page comes before anything else.
	Crisis bool
	// Caution reports a text that may be from a person in danger, though not surely (it uses
	// words of danger, "I am afraid", "it is killing me"): the help numbers come first, then
	// the answer as usual. Never set with Crisis.
	Caution bool
	// Intents are the likeliest answers, best first, with calibrated scores (0 to 1, summing to at
	// most 1): a node reference ("flow.node") or a built-in answer ("@greeting", "@none", …).
	Intents []Guess
}

// Guess is one possible answer to a text.
type Guess struct {
	Target string
	Score  float64
}
