package bot

// Reply is one message the bot sends.
type Reply struct {
	// Lang is the language the text is in.
	Lang string `json:"lang"`
	// Flow and Node say where in the content the reply comes from.
	Flow string `json:"flow"`
	Node string `json:"node"`
	// Text is the message text (plain text; adapters escape it for their platform).
	Text string `json:"text,omitempty"`
	// Buttons are the options the user can pick, in order.
	Buttons []Button `json:"buttons,omitempty"`
	// Venue is set when the reply is a map pin instead of text.
	Venue *Venue `json:"venue,omitempty"`
	// Audio names a recorded text (a message id, in Lang) to send as audio instead of Text:
	// the answer to Listen (listen.go). Channels find the file in bot/audio's Library.
	Audio string `json:"audio,omitempty"`
	// Handoff names a handoff the user asked for ("counsellor", "visit"); the handoff package acts on it.
	Handoff string `json:"handoff,omitempty"`
}

// Button is one option offered to the user.
type Button struct {
	// Label is the text on the button, in the reply's language.
	Label string `json:"label"`
	// Data comes back in Event.Data when the button is pressed; at most 64 bytes (Telegram's limit).
	Data string `json:"data"`
}

// Venue is an office location sent as a map pin.
type Venue struct {
	Name    string  `json:"name"`
	Address string  `json:"address"`
	Lat     float64 `json:"lat"`
	Lon     float64 `json:"lon"`
}
