package understand

import (
	"sort"

	"github.com/returnbot/returnbot/bot"
)

// Score is a tally of right answers.
type Score struct{ Right, All int }

// Pct is the share right, in percent.
func (s Score) Pct() float64 {
	if s.All == 0 {
		return 0
	}
	return 100 * float64(s.Right) / float64(s.All)
}

func (s *Score) add(ok bool) {
	s.All++
	if ok {
		s.Right++
	}
}

// Report is how well a model did on messages with known answers.
type Report struct {
	// Topic: the best intent's target is the expected one; Lang: the language guess (sure, or
	// the first of the two offered) is right.
	Topic, Lang map[string]*Score
	// PerIntent is topic accuracy by expected target.
	PerIntent map[string]*Score
	// Recall counts crisis messages answered with the safety page, per language; FalseAlarm
	// counts look-alikes (and other non-crisis messages) that were.
	Recall, FalseAlarm, LookAlikeAlarm map[string]*Score
	// Helped counts crisis messages given the help numbers at all: the safety page, or the
	// numbers before the answer (Caution); Calm counts harmless messages (all, and look-alikes
	// alone) given neither.
	Helped, Calm, LookAlikeCalm map[string]*Score
	// Confusions counts expected -> got pairs that went wrong.
	Confusions map[[2]string]int
	// Sure and Maybe count, of the non-crisis answers, those given at once (best score at least
	// bot.SureIntent) and those offered under "Did you mean" (at least bot.MaybeIntent), and how
	// many of them were right: the calibration of the scores.
	Sure, Maybe Score
	// Misses are the cases answered wrongly, in order (for reading the training examples'
	// cross-validation misses; never print an evaluation set's).
	Misses []Miss
	// Danger is every case's danger score, for the trade-off between recall and false alarms
	// (see Curve).
	Danger []Danger
}

// Danger is one case's danger score (on the scale of CrisisFrom) and what the case is.
type Danger struct {
	Lang              string
	Crisis, LookAlike bool
	Score             float64
}

// Miss is one case answered wrongly.
type Miss struct {
	Case
	Got, GotLang string
	// Score is the best intent's score: a miss with a high one is often an example filed
	// under the wrong label.
	Score float64
}

func newReport() *Report {
	return &Report{Topic: map[string]*Score{}, Lang: map[string]*Score{}, PerIntent: map[string]*Score{},
		Recall: map[string]*Score{}, FalseAlarm: map[string]*Score{}, LookAlikeAlarm: map[string]*Score{},
		Helped: map[string]*Score{}, Calm: map[string]*Score{}, LookAlikeCalm: map[string]*Score{}, Confusions: map[[2]string]int{}}
}

func tally(m map[string]*Score, key string, ok bool) {
	s := m[key]
	if s == nil {
		s = &Score{}
		m[key] = s
	}
	s.add(ok)
}

// Case is one message with its expected answer.
type Case struct {
	Lang, Want, Text string
	// Crisis is whether the message is from a person in danger; LookAlike a harmless one that
	// uses the same words.
	Crisis, LookAlike bool
}

// Evaluate runs a model on cases. A crisis case is right when the safety answer is given (Recall),
// or at least the help numbers before the answer (Helped).
func Evaluate(m *Model, cases []Case) *Report {
	r := newReport()
	for _, c := range cases {
		u, danger := m.understand(c.Lang, c.Text)
		r.Danger = append(r.Danger, Danger{Lang: c.Lang, Crisis: c.Crisis, LookAlike: c.LookAlike, Score: danger})
		got := ""
		if u.Crisis {
			got = "crisis"
		} else if len(u.Intents) > 0 {
			got = u.Intents[0].Target
		}
		want := c.Want
		if c.Crisis {
			want = "crisis"
		}
		if got == "" {
			got = NotUnderstood // no intent at all is not understood, as the engine reads it
		}
		if !u.Crisis && len(u.Intents) > 0 {
			switch s := u.Intents[0].Score; {
			case s >= bot.SureIntent:
				r.Sure.add(got == want)
			case s >= bot.MaybeIntent:
				r.Maybe.add(got == want)
			}
		}
		tally(r.Topic, c.Lang, got == want)
		tally(r.PerIntent, want, got == want)
		lg := u.Lang
		if lg == "" && len(u.Langs) > 0 {
			lg = u.Langs[0]
		}
		if got != want {
			r.Confusions[[2]string{want, got}]++
		}
		if got != want || lg != c.Lang {
			ms := Miss{Case: c, Got: got, GotLang: lg}
			if len(u.Intents) > 0 {
				ms.Score = u.Intents[0].Score
			}
			r.Misses = append(r.Misses, ms)
		}
		tally(r.Lang, c.Lang, lg == c.Lang)
		if c.Crisis {
			tally(r.Recall, c.Lang, u.Crisis)
			tally(r.Helped, c.Lang, u.Crisis || u.Caution)
		} else {
			tally(r.FalseAlarm, c.Lang, !u.Crisis)
			tally(r.Calm, c.Lang, !u.Crisis && !u.Caution)
			if c.LookAlike {
				tally(r.LookAlikeAlarm, c.Lang, !u.Crisis)
				tally(r.LookAlikeCalm, c.Lang, !u.Crisis && !u.Caution)
			}
		}
	}
	return r
}

// CrossValidate trains on all but one of k folds of the examples and tests on that fold, for each
// fold: an estimate of how the model does on messages it was not trained on.
func CrossValidate(cfg Config, k int) (*Report, error) {
	total := newReport()
	for fold := 0; fold < k; fold++ {
		trainCfg := cfg
		trainCfg.Examples = nil
		var test []Case
		for i, ex := range cfg.Examples {
			if i%k == fold {
				test = append(test, Case{Lang: ex.Lang, Want: cfg.Intents[ex.Label], Text: ex.Text,
					Crisis: len(ex.Label) > len(CrisisPrefix) && ex.Label[:len(CrisisPrefix)] == CrisisPrefix, LookAlike: ex.LookAlike})
			} else {
				trainCfg.Examples = append(trainCfg.Examples, ex)
			}
		}
		m, err := New(trainCfg)
		if err != nil {
			return nil, err
		}
		total.merge(Evaluate(m, test))
	}
	return total, nil
}

func (r *Report) merge(o *Report) {
	for _, p := range []struct{ a, b map[string]*Score }{{r.Topic, o.Topic}, {r.Lang, o.Lang}, {r.PerIntent, o.PerIntent},
		{r.Recall, o.Recall}, {r.FalseAlarm, o.FalseAlarm}, {r.LookAlikeAlarm, o.LookAlikeAlarm},
		{r.Helped, o.Helped}, {r.Calm, o.Calm}, {r.LookAlikeCalm, o.LookAlikeCalm}} {
		for k, s := range p.b {
			d := p.a[k]
			if d == nil {
				d = &Score{}
				p.a[k] = d
			}
			d.Right += s.Right
			d.All += s.All
		}
	}
	for k, n := range o.Confusions {
		r.Confusions[k] += n
	}
	r.Misses = append(r.Misses, o.Misses...)
	r.Danger = append(r.Danger, o.Danger...)
	r.Sure.Right += o.Sure.Right
	r.Sure.All += o.Sure.All
	r.Maybe.Right += o.Maybe.Right
	r.Maybe.All += o.Maybe.All
}

// Sum adds up a tally over its keys.
func Sum(m map[string]*Score) Score {
	var s Score
	for _, v := range m {
		s.Right += v.Right
		s.All += v.All
	}
	return s
}

// Keys lists a tally's keys in order.
func Keys(m map[string]*Score) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
