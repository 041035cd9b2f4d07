// Package staff is the staff workspace in the browser, served under /staff: accounts with roles
// (reception, counsellor, admin), sessions, the JSON API the page uses (docs/staff.md), the page
// itself, and anonymous daily statistics. It works on the same tickets as the Telegram staff
// group, through handoff.Service: what one does, the other shows.
//
// What it keeps lives in a Store: bot/redis (shared by every replica) or bot/inmem (this process
// only, lost on restart). Every record has a TTL; what it keeps of a user (the relayed
// conversation and internal notes, under the user's pseudonym) goes with /forget.
package staff
