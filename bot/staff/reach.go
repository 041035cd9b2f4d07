package staff

import "github.com/returnbot/returnbot/bot"

// counterHelpful is the daily counter of answers to "Was this helpful?":
// helpful:<flow>:<lang>:<yes|no>, a count of answers, never of who gave them.
const counterHelpful = "helpful:"

// Reached passes a deep-link start on to the next observer (the metrics); the statistics do
// not count sources (the metric does).
func (s *Stats) Reached(source, topic, lang string) {
	if o, ok := s.next.(bot.ReachObserver); ok {
		o.Reached(source, topic, lang)
	}
}

// Helpful counts an answer to "Was this helpful?" by topic, language and answer, and passes it
// on; it implements bot.HelpfulObserver.
func (s *Stats) Helpful(topic, lang string, yes bool) {
	if o, ok := s.next.(bot.HelpfulObserver); ok {
		o.Helpful(topic, lang, yes)
	}
	answer := "no"
	if yes {
		answer = "yes"
	}
	s.add(counterHelpful + topic + ":" + lang + ":" + answer)
}
