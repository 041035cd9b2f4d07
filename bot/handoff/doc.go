// Package handoff moves a user from the bot to people: office visits planned on open days with
// an anonymous code, and (to come) tickets for staff, relay and reminders.
package handoff
