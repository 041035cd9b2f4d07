// Package bot is the domain of returnbot: what a user did (Event), what the bot says (Reply),
// what it remembers (Session), the conversation content (Content, Flow, Node) and the Engine that
// turns a session and an event into a new session and replies without any I/O.
//
// Everything that talks to the outside world lives in a subpackage named after that world
// (redis, telegram, whatsapp, webchat); bot imports none of them.
package bot
