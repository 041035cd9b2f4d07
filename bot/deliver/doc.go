// Package deliver keeps the replies a channel could not hand to its platform yet, and delivers
// them: per user, in order, with backoff, for hours, across restarts and replicas when its
// Queue is shared (bot/redis). It is the durable end of the one delivery runtime issue 18 asks
// for: a channel (bot/telegram, bot/whatsapp) sends what it can at once and parks here what
// failed; a Channel says how to send one parked item and what became of it.
//
// A user's items are sent one at a time, oldest first, by whichever replica claims the user
// (Queue.Claim leases the user, so two replicas never send the same user's items at once). A
// failed send keeps the item at the head, so nothing behind it overtakes it: the user is due
// again after a backoff doubling from Policy.First to Policy.Max, or after the platform's
// retry-after (capped at Policy.MaxRetryAfter). Only a permanent refusal (Drop, Blocked) or
// Policy.MaxAge drops an item; the Channel counts and logs it.
//
// Items are sealed at rest (AES-256-GCM under a key derived from RETURNBOT_SECRET, bound to the
// user's pseudonym), so the queue holds no chat id, phone number or text in the clear.
package deliver
