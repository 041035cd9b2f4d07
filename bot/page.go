package bot

// Message IDs of the web chat page's own words: its text field, its buttons and its notices.
// bot/webchat sends them with each answer in the conversation's language, so the page around
// the conversation is in the user's language too (they are in EngineMessages, so every locale
// has them).
const (
	MsgPageInput        = "webchat.input"           // the text field's label, read by screen readers
	MsgPagePlaceholder  = "webchat.placeholder"     // the hint in the empty text field
	MsgPageSend         = "webchat.send"            // the send button
	MsgPageLanguage     = "webchat.language"        // the language button
	MsgPageRestart      = "webchat.restart"         // the start-over button
	MsgPageOffline      = "webchat.offline"         // the notice when a message could not be sent
	MsgPageWait         = "webchat.wait"            // the notice when too many messages came too fast
	MsgPageQueued       = "webchat.queued"          // the notice while a message waits for the connection
	MsgPageSent         = "webchat.sent"            // the accessible name of a sent message's mark
	MsgPagePending      = "webchat.pending"         // the accessible name of a waiting message's mark
	MsgPageFailed       = "webchat.failed"          // the accessible name of a message the server refused
	MsgPageDirections   = "webchat.directions"      // the directions link of a map pin
	MsgPageKeepInfo     = "webchat.keep_info"       // the question whether to keep the conversation on the device
	MsgPageKeepYes      = "webchat.keep_yes"        // its yes
	MsgPageKeepNo       = "webchat.keep_no"         // its no
	MsgPageKept         = "webchat.kept"            // the notice once it is kept
	MsgPageCard         = "webchat.card"            // the button that shows the visit card again
	MsgPageRestartAsk   = "webchat.restart_confirm" // asks before starting over wipes the screen
	MsgPageCancel       = "webchat.cancel"          // cancels starting over
	MsgPageTyping       = "webchat.typing"          // the accessible name of the typing indicator
	MsgPageNewMessage   = "webchat.new_message"     // the notification when a counsellor writes
	MsgPageClose        = "webchat.close"           // the close button of the embedded chat
	MsgPageLog          = "webchat.conversation"    // the accessible name of the conversation
	MsgPageOpen         = "webchat.open"            // the embed's open button
	MsgPageNoScript     = "webchat.noscript"        // the notice of a browser without JavaScript
	MsgPageAttach       = "webchat.attach"          // the button that sends a voice note, photo or PDF
	MsgPageUploading    = "webchat.uploading"       // the notice while a file is on its way
	MsgPageUploadFailed = "webchat.upload_failed"   // the notice when a file did not arrive
	MsgPageRetry        = "webchat.retry"           // the button that sends that file again
)

// PageMessages are the web chat page's own words, in the order of the page.
var PageMessages = []string{
	MsgPageInput, MsgPagePlaceholder, MsgPageSend, MsgPageLanguage, MsgPageRestart, MsgPageOffline, MsgPageWait,
	MsgPageQueued, MsgPageSent, MsgPagePending, MsgPageFailed, MsgPageDirections, MsgPageKeepInfo, MsgPageKeepYes,
	MsgPageKeepNo, MsgPageKept, MsgPageCard, MsgPageRestartAsk, MsgPageCancel, MsgPageTyping, MsgPageNewMessage,
	MsgPageClose, MsgPageLog, MsgPageOpen, MsgPageNoScript, MsgPageAttach, MsgPageUploading, MsgPageUploadFailed,
	MsgPageRetry,
}
