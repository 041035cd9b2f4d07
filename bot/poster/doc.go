// Package poster writes printable A4 posters, one HTML page per language, that invite people to
// the bot: a short invitation in the language, "the service is free", the office's hours, and QR
// codes for Telegram, WhatsApp and the web chat that carry the language and the poster's source
// (a deep link, see bot.ParseStart). The browser renders and prints them, so Arabic-script and
// Ethiopic text is shaped by the browser's own fonts.
package poster
