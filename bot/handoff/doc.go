// Package handoff moves a user from the bot to people: office visits planned on open days with
// an anonymous code, tickets for staff (at most one open per user, limited per user and
// overall), the relay between users and the staff chat (a staff reply reaches a user only
// through a message posted about their ticket, or /reply CODE), reminders, and code look-ups at
// reception limited per staff member.
package handoff
