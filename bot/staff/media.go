package staff

import "github.com/returnbot/returnbot/bot"

// Medium passes a medium's count on to the next observer (the metrics); it implements
// bot.MediumObserver. The daily statistics do not count media.
func (s *Stats) Medium(channel, kind, outcome string) {
	if o, ok := s.next.(bot.MediumObserver); ok {
		o.Medium(channel, kind, outcome)
	}
}
