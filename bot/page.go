package bot

// Message IDs of the web chat page's own words: its text field, its buttons and its notices.
// bot/webchat sends them with each answer in the conversation's language, so the page around
// the conversation is in the user's language too (they are in EngineMessages, so every locale
// has them).
const (
	MsgPageInput       = "webchat.input"       // the text field's label, read by screen readers
	MsgPagePlaceholder = "webchat.placeholder" // the hint in the empty text field
	MsgPageSend        = "webchat.send"        // the send button
	MsgPageLanguage    = "webchat.language"    // the language button
	MsgPageRestart     = "webchat.restart"     // the start-over button
	MsgPageOffline     = "webchat.offline"     // the notice when a message could not be sent
	MsgPageWait        = "webchat.wait"        // the notice when too many messages came too fast
)

// PageMessages are the web chat page's own words, in the order of the page.
var PageMessages = []string{
	MsgPageInput, MsgPagePlaceholder, MsgPageSend, MsgPageLanguage, MsgPageRestart, MsgPageOffline, MsgPageWait,
}
