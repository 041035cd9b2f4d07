// Package telegram is the Telegram channel: it receives updates by webhook or long polling,
// turns them into bot.Events, and sends the bot's replies through bot/deliver, on
// go-telegram-bot-api v5 (with our own contexts, retries and raw calls where the library falls
// short).
//
// # Receiving
//
// Webhook mode (Config.WebhookURL set): Run calls setWebhook with secret_token and
// allowed_updates; the handler (mounted by Routes at the URL's path) answers 401 to a request
// without the right X-Telegram-Bot-Api-Secret-Token (compared in constant time), 413 to a body
// over 1 MiB, 400 to a body that is not JSON (logging only its length), 503 with Retry-After
// when the store could not take a user's message (Telegram delivers it again, for up to a day,
// and it is acted on once the store is back; the user is told of the outage once), and 200 to
// everything else once the update is handled, also when the bot failed inside otherwise (a
// redelivery could not help). Telegram sends one chat's updates one at a time, so handling
// inside the request keeps each chat in order, through an outage too.
//
// Long polling (no webhook URL): Run deletes any webhook and calls getUpdates; a batch is handled
// (chats in parallel, each chat in order) before its offset is confirmed, and the last batch is
// confirmed on stop, so nothing is skipped and a restart does not see it again. An update the
// store could not take stops the offset, and its chat's later updates wait: they are asked for
// again after a pause (up to MaxStoreBackoff).
//
// Both modes drop an update_id seen before (bot.Bot.Duplicate, in the store with a TTL).
//
// # What each update does
//
//   - Text in a private chat, commands included ("/start", "/start@bot", "/cmd args", with or
//     without a bot_command entity): bot.KindText; the engine recognises the commands.
//   - A pressed button (callback_query with data): bot.KindChoice with the button's data; the
//     callback query is always answered (answerCallbackQuery), whatever it leads to.
//   - Voice, audio, photo, video, video note, animation, sticker, document, location, venue,
//     contact, dice, poll, story, game, invoice: bot.KindMedia with Media naming it; the engine
//     says kindly, in the user's language, what the bot can read and offers a counsellor and
//     the office's phone. A voice note, audio, photo, video (note), document (animation) or
//     sticker also carries a bot.Medium (medium.go): while staff hold the chat it is copied to
//     the staff group (copyMessage, relay.go); a caption goes to staff with it.
//   - Edited messages are ignored: the original was answered already, and answering again
//     would repeat the conversation or, worse, contradict it. Users who correct a typo simply
//     write again, which is what they do anyway.
//   - my_chat_member in a private chat with the new status "kicked" (the user blocked the
//     bot): nothing more is sent to that user (queued messages are dropped and counted) and
//     the session is erased, or Config.Blocked runs instead (the handoff keeps a planned
//     visit); "member" (restarted) lifts the block, as does any message.
//   - Group, supergroup and channel posts, other chat member changes, service messages and
//     update kinds the bot did not ask for: ignored. Updates from Config.StaffChatID go to
//     Config.StaffHandler, the hook for staff commands and relay.
//
// from.language_code travels as bot.Event.Lang on every event; the engine uses it on first
// contact (an unsupported language gets the language picker).
//
// # Sending
//
// Replies go out as plain text (no parse_mode, so no translated or typed character can cause a
// parse error), split at paragraph, then line, then word boundaries when longer than 4096 UTF-16
// units; options become an inline keyboard (one button per row, callback_data = bot.Button.Data);
// a venue becomes sendVenue. Sending itself is bot/deliver's: the channel is its
// deliver.Platform (platform.go: render, post one call, classify a failure), and the runtime
// keeps a queue per chat (order kept, no chat holds up another), orders a chat's turns across
// replicas, paces every message with a token from the chat's bucket ("tg:chat:<pseudonym>",
// 1/s, burst 3) and the global one ("tg:global", 30/s), shared across replicas with Redis,
// waits out a 429's parameters.retry_after, retries 5xx, timeouts and network errors with
// jittered exponential backoff up to Config.MaxAttempts and then parks the message in the
// delivery queue; a 403 stops sending to that user. A message given up on is counted
// (Stats.Undeliverable) and logged with the pseudonym. A retry after a timeout may, rarely,
// deliver a message twice: Telegram gives no idempotency key.
//
// The staff chat's posts (PostStaff) have a worker of their own: paced and retried alike, the
// posts of different tickets taking turns, and each delivered message's id handed back
// (bot.StaffPost.Posted), so that a staff reply is matched to a ticket by the message it replies
// to (StaffAction.ReplyTo), never by what that message says.
//
// # Privacy
//
// The user key is bot.UserKey(secret, "telegram", from.id). Logs carry that pseudonym, counts
// and Bot API error codes only: never a message text, a chat or user id, a name or a phone
// number. Raw chat ids live in memory only, in the send queue, and sealed in the delivery queue.
package telegram
