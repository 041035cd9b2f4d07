// Package deliver is the delivery runtime every channel sends through (issue 18): channels
// translate, deliver delivers. A channel implements Platform, three small things:
//
//   - Render turns the bot's replies into the platform's calls (Message: a method and a JSON
//     body addressed to the chat), in order;
//   - Post makes one call;
//   - Classify says what a failed call means: Retry (after the platform's retry-after when it
//     gives one), Drop (refused for good) or Blocked (the user blocked the bot).
//
// Sender does the rest, the same for every channel:
//
//   - per-user queues in the process, one worker per chat with something to send, so a chat's
//     messages go out in order and a slow or throttled chat holds up no other (Enqueue); or, for
//     a channel that already runs each user's work one at a time, the same in the caller's
//     goroutine (Deliver);
//   - order per chat across replicas: the replies of the user's turn n (bot.Turn) wait until
//     turn n-1 is out, here or on another replica (Turns, bot/redis's rb:{<user>}:turn, with the
//     session's TTL), for at most Config.TurnWait;
//   - pacing, per chat and global, from the channel's limits (Config.Chat, Config.Global), drawn
//     from the shared limiter (bot/redis, both tokens in one script) or in the process while it
//     fails;
//   - retries with jittered backoff (Config.MaxAttempts), a 429's retry-after waited out;
//   - the durable queue of what could not be sent (Runtime over a Queue): a message that still
//     fails is parked, with everything after it for the chat, and delivered for hours, across
//     restarts and replicas when the Queue is shared (bot/redis);
//   - the blocked set (bounded: a day, 65,536 users): nothing is sent to a user who blocked the
//     bot until they write again.
//
// # The durable queue
//
// A user's parked items are sent one at a time, oldest first, by whichever replica claims the
// user (Queue.Claim leases the user, so two replicas never send the same user's items at once).
// A failed send keeps the item at the head, so nothing behind it overtakes it: the user is due
// again after a backoff doubling from Policy.First to Policy.Max, or after the platform's
// retry-after (capped at Policy.MaxRetryAfter). Only a permanent refusal (Drop, Blocked) or
// Policy.MaxAge drops an item; it is counted and logged (pseudonym, reason, code, no content).
//
// Items are sealed at rest (AES-256-GCM under a key derived from RETURNBOT_SECRET, bound to the
// user's pseudonym), so the queue holds no chat id, phone number or text in the clear.
package deliver
