// Package loadgen drives a Telegram webhook with synthetic users and measures it: updates per
// second, webhook latency percentiles, replies delivered and Redis commands per update.
//
// It plays Telegram on both sides. Users post real-shaped updates (/start, button presses taken
// from the last keyboard the bot sent them, typed questions, /menu) to the webhook, each user
// waiting for its previous POST and, briefly, for the bot's reply before acting again. FakeAPI is
// the Bot API the bot sends its replies to; it answers with real-shaped JSON and remembers each
// chat's last keyboard for the users to press.
//
// Floor is the bare minimum a webhook bot does per update (parse it, one Redis GET and SET, one
// sendMessage), so that a run can be compared with what the same machine does for the floor.
//
// cmd/returnbot-loadgen wires the real bot to it (app.Main, as serve does). Everything listens
// on loopback only; runs are bounded in time.
package loadgen
