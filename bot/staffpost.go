package bot

// StaffPost is a message for the staff chat: bot/handoff writes them, a channel (the Telegram
// staff group) delivers them.
type StaffPost struct {
	// Text and Buttons are what staff see.
	Text    string
	Buttons []Button
	// Ticket is the code of the ticket the post is about ("" for answers to staff commands).
	// Posts about different tickets take turns, so many posts about one ticket hold up no other.
	Ticket string
	// Posted, when set, is called with the reference of each message the post became once it
	// is delivered (Telegram: "<chat id>:<message id>"). A staff reply to that message is for
	// the ticket's user; a reply to anything else reaches nobody.
	Posted func(ref string)
	// Medium, when set, makes the post the medium itself (a user's voice note, photo, ...), with
	// Text as its caption: the channel copies it by reference when it came from the same
	// platform, else streams it from Medium.Open; nothing of it is stored.
	Medium *Medium
	// Card marks the ticket's card: media about the ticket are posted as replies to it.
	Card bool
}
