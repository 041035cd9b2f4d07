// Package understand reads what people type: which language, whether they are in danger, and
// which topic they ask about. Its models are trained at load time from the examples an office
// keeps in locales/examples/<lang>.yaml: per language a logistic regression on TF-IDF weighted
// words, word pairs and letter runs, one crisis detector for all languages, and a naive Bayes
// language model, combined with the topics' keyword lists. It implements bot.Understander.
package understand

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"unicode"

	"github.com/returnbot/returnbot/bot"
)

// Config is what a Model is trained from.
type Config struct {
	// Languages are the shipped language codes.
	Languages []string
	// Intents map labels to answers; every example's label must be listed.
	Intents Intents
	// Examples to learn from.
	Examples []Example
	// Keywords, when set, finds topics by the keyword lists (bot/lang.Catalog.Match); its
	// scores are mixed into the model's; in a language without examples they are all there is.
	Keywords func(lang, text string) []bot.Match
	// Detect, when set, is the rule-based language guess (bot/lang.Catalog.Detect): it names
	// languages without examples, and makes an unsure guess of the model sure when they agree.
	Detect func(text string) string
}

// Settings of the models, measured by cross-validation on the shipped examples (see
// docs/flows.md, "How well it understands").
const (
	// langScale sharpens the language model's naive Bayes posteriors (see model.posterior).
	langScale = 30.0
	// unknownWordsTrust is how far the model is trusted on a text none of whose words it knows.
	unknownWordsTrust = 0.5
	// uncoveredShare is how far the model gives way to a keyword find of a topic no example
	// teaches (a found keyword scoring 1 halves the model's scores).
	uncoveredShare = 0.5
	// uncoveredFrom is the keyword score from which a topic no example teaches counts so.
	uncoveredFrom = 0.95
	// minKeyword is the keyword score from which a keyword find counts.
	minKeyword = 0.5
	// SureLanguage is the share of probability from which a language guess is sure.
	SureLanguage = 0.7
	// SwitchLanguage is the share from which a text in another language than the conversation's
	// switches it, when the rule-based guess does not say so too.
	SwitchLanguage = 0.9
	// CrisisFrom is the danger score (the mean of the two crisis detectors and the topic model's
	// crisis labels) from which a text gets the safety page before anything else. Chosen by
	// cross-validation to keep false alarms on look-alikes ("my father died years ago") near 10%:
	// the safety page takes over the answer (returnbot eval --cv 5 --curve).
	CrisisFrom = 0.32
	// CautionFrom is the danger score from which a text not sure enough for the safety page is
	// answered with the help numbers first, and then its answer: low on purpose, since that
	// costs a harmless message a few lines and never blocks, and a miss costs more.
	CautionFrom = 0.12
	// wordlessDanger scales the danger of a text none of whose words the model knows: letter
	// runs alone ("body" in "nobody") are weak evidence; a person in danger nearly always uses a
	// word the examples have.
	wordlessDanger = 0.15
	// keywordsOutweigh is the danger below which a clear find of a topic's keywords outweighs it.
	keywordsOutweigh = 0.6
)

// dangerSettings train the crisis detector.
var dangerSettings = topicSettings

var (
	// keywordShare is the weight of the keyword lists against the model.
	keywordShare = 0.25
	// lookAlikeWeight is how many times a look-alike counts in training the crisis detectors.
	lookAlikeWeight = 3
	// dangerNBScale sharpens the naive Bayes crisis detector's posteriors (see model.posterior).
	dangerNBScale = 10.0
)

// Model is trained understanding; safe for concurrent use.
type Model struct {
	langs    []string
	langID   *model
	topics   map[string]*topicModel
	keywords func(lang, text string) []bot.Match
	detect   func(text string) string
	pool     sync.Pool
}

type topicModel struct {
	lin *linear
	// danger is the crisis detector: crisis examples against all others, look-alikes included.
	danger *linear
	// dangerNB is a naive Bayes crisis detector on the same examples: it ranks differently
	// from the regression, and their mean separates danger from look-alikes better than either.
	dangerNB *model
	nb       *model
	// target and crisis per class.
	target []string
	crisis []bool
}

// New trains the models.
func New(cfg Config) (*Model, error) {
	m := &Model{langs: cfg.Languages, topics: map[string]*topicModel{}, keywords: cfg.Keywords, detect: cfg.Detect}
	m.pool.New = func() any { return &scratch{} }
	byLang := map[string][]Example{}
	for _, ex := range cfg.Examples {
		if _, ok := cfg.Intents[ex.Label]; !ok {
			return nil, &Error{File: ex.File, Line: ex.Line, Reason: fmt.Sprintf("label %q is not in %s", ex.Label, IntentsFile)}
		}
		byLang[ex.Lang] = append(byLang[ex.Lang], ex)
	}
	type job struct {
		tm      *topicModel
		classes []string
		docs    [][]uint64
		ys      []int
		look    []bool
	}
	var jobs []job
	var langDocs [][]uint64
	var langLabels []int
	var langClasses []string
	for _, code := range cfg.Languages {
		exs := byLang[code]
		if len(exs) == 0 {
			continue
		}
		ci := len(langClasses)
		langClasses = append(langClasses, code)
		labels := map[string]int{}
		tm := &topicModel{}
		var docs [][]uint64
		var ys []int
		var look []bool
		var classes []string
		for _, ex := range exs {
			c, ok := labels[ex.Label]
			if !ok {
				c = len(classes)
				labels[ex.Label] = c
				classes = append(classes, ex.Label)
				tm.target = append(tm.target, cfg.Intents[ex.Label])
				tm.crisis = append(tm.crisis, strings.HasPrefix(ex.Label, CrisisPrefix))
			}
			// Sorted, each feature once: as the models read a text; shared by all of them.
			f := dedupe(textFeatures(nil, ex.Text, true, true))
			docs = append(docs, f)
			ys = append(ys, c)
			look = append(look, ex.LookAlike)
			langDocs = append(langDocs, f)
			langLabels = append(langLabels, ci)
		}
		m.topics[code] = tm
		jobs = append(jobs, job{tm, classes, docs, ys, look})
	}
	// The languages' models are independent: train them side by side.
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Go(func() { j.tm.lin = trainLinear(len(j.classes), j.docs, j.ys, topicSettings) })
	}
	// One crisis detector for all languages: people in danger use the same words across
	// languages typed in Latin letters, and a language with few crisis examples learns from the others.
	var allDocs [][]uint64
	var bin []int
	for _, j := range jobs {
		for i, d := range j.docs {
			y, n := 0, 1
			if j.tm.crisis[j.ys[i]] {
				y = 1
			} else if j.look[i] {
				// A harmless message with crisis words is what the detector must learn
				// to tell apart: it counts several times.
				n = lookAlikeWeight
			}
			for range n {
				allDocs = append(allDocs, d)
				bin = append(bin, y)
			}
		}
	}
	wg.Go(func() {
		d := trainLinear(2, allDocs, bin, dangerSettings)
		for _, j := range jobs {
			j.tm.danger = d
		}
	})
	wg.Go(func() {
		d := train([]string{"no", "yes"}, allDocs, bin, dangerNBScale)
		for _, j := range jobs {
			j.tm.dangerNB = d
		}
	})
	if len(langClasses) > 0 {
		m.langID = train(langClasses, langDocs, langLabels, langScale)
	}
	wg.Wait()
	return m, nil
}

// scratch is per-call memory, pooled so that understanding a message allocates little.
type scratch struct {
	feats []uint64
	words []uint64
	p, q  []float64
	lp    []float64
	// danger is the last text's danger score (see Model.understand).
	danger float64
}

// Understand implements bot.Understander.
func (m *Model) Understand(sessionLang, text string) bot.Understanding {
	u, _ := m.understand(sessionLang, text)
	return u
}

// understand reads a text and also returns its danger score (see read): what cross-validation sweeps to draw the trade-off between recall and false alarms.
func (m *Model) understand(sessionLang, text string) (bot.Understanding, float64) {
	var u bot.Understanding
	sc := m.pool.Get().(*scratch)
	defer m.pool.Put(sc)
	sc.danger = 0
	text = clip(text)
	sc.feats = dedupe(textFeatures(sc.feats[:0], text, true, true))
	sc.words = textFeatures(sc.words[:0], text, false, true)
	ranked := m.identify(sc, text)
	rule := ""
	if m.detect != nil {
		rule = m.detect(text)
	}
	if rule != "" && (m.topics[rule] == nil || len(ranked) > 1 && ranked[1].Target == rule && ranked[0].Score < SureLanguage) {
		// A language the model has no examples for, or the rules settle an unsure guess.
		ranked = append([]bot.Guess{{Target: rule, Score: 1}}, ranked...)
	}
	if len(ranked) == 0 {
		return u, 0
	}
	if rule == "" && ranked[0].Score >= SureLanguage && !m.knowsAWord(sc, text) {
		// Letters the model has seen but no word it knows ("Body Text"): not sure.
		ranked[0].Score = min(ranked[0].Score, SureLanguage-0.01)
	}
	code := ranked[0].Target
	if sessionLang != "" && sessionLang != code && (len(strings.Fields(clip(text))) < 2 ||
		rule != code && (ranked[0].Score < SwitchLanguage || m.langID == nil || len(m.langID.classes) < 2)) {
		// One word ("ok", "salam", "telefonnummer") or a guess the rules do not share is no
		// reason to leave the conversation's language.
		code = sessionLang
		u.Lang = code
	} else if ranked[0].Score >= SureLanguage || ranked[0].Target == rule {
		u.Lang = code
	} else {
		u.Langs = []string{ranked[0].Target}
		if len(ranked) > 1 {
			u.Langs = append(u.Langs, ranked[1].Target)
		}
		// Unsure: the conversation's language, when it is one of the likeliest, reads the text.
		for _, g := range ranked[:min(2, len(ranked))] {
			if g.Target == sessionLang {
				code = sessionLang
			}
		}
	}
	m.read(sc, &u, code, text)
	if u.Lang != "" && sessionLang != "" && u.Lang != sessionLang && m.topics[sessionLang] != nil && !u.Crisis &&
		(len(u.Intents) == 0 || u.Intents[0].Target == NotUnderstood) {
		// A switch of language for a text not understood in that language either
		// ("blablabla qwerty"): stay in the conversation's language.
		u = bot.Understanding{Lang: sessionLang}
		sc.danger = 0
		m.read(sc, &u, sessionLang, text)
	}
	return u, sc.danger
}

// read finds danger and intents in a text read as language code.
func (m *Model) read(sc *scratch, u *bot.Understanding, code, text string) {
	tm := m.topics[code]
	if tm == nil {
		u.Intents = m.keywordsOnly(code, text)
		return
	}
	sc.p = grow(sc.p, len(tm.target))
	known := tm.posterior(sc, sc.p)
	mass := tm.dangerOf(sc, sc.p)
	score := 0.0
	if known > 0 {
		score = m.dangerScore(sc, tm, mass)
	}
	if score < CrisisFrom && u.Lang == "" && len(u.Langs) > 1 {
		// Not sure of the language: a person in danger must not be missed for it.
		other := u.Langs[0]
		if other == code {
			other = u.Langs[1]
		}
		if om := m.topics[other]; om != nil {
			op := make([]float64, len(om.target))
			if om.posterior(sc, op) > 0 {
				score = max(score, m.dangerScore(sc, om, om.dangerOf(sc, op)))
			}
		}
	}
	if om := m.borrow(sc, tm); om != nil {
		// None of the text's words is in this language's examples, but they are in another's
		// ("hello" in a Pashto conversation, a Norwegian word in a Somali one): that model reads it.
		sc.q = grow(sc.q, len(om.target))
		k := om.posterior(sc, sc.q)
		u.Intents = m.intents(sc.q, k, om, code, text, true)
		score = max(score, m.dangerScore(sc, om, om.dangerOf(sc, sc.q)))
	} else {
		u.Intents = m.intents(sc.p, known, tm, code, text, m.knowsWordIn(sc, tm))
	}
	if mass < keywordsOutweigh && len(u.Intents) > 0 && u.Intents[0].Score >= 0.9 && !tm.covers(u.Intents[0].Target) {
		// A topic's own keywords, found clearly ("må jeg betale", "wife and children" for a
		// topic the examples do not cover yet), outweigh a middling danger guess.
		score = 0
	}
	sc.danger = score
	u.Crisis = score >= CrisisFrom
	u.Caution = !u.Crisis && score >= CautionFrom
	// The safety page comes by the danger decision alone, measured and tuned as such
	// (returnbot eval --cv 5 --curve): the crisis labels are no topic to answer or offer.
	out := u.Intents[:0]
	for _, g := range u.Intents {
		if !tm.crisisTarget(g.Target) {
			out = append(out, g)
		}
	}
	u.Intents = out
}

// borrow finds, for a text none of whose words the language's model knows, the model of another
// language that knows the most of them (nil if none does, or the text has no words).
func (m *Model) borrow(sc *scratch, tm *topicModel) *topicModel {
	if len(sc.words) == 0 || m.knowsWordIn(sc, tm) {
		return nil
	}
	var best *topicModel
	most := 0
	for _, code := range m.langs {
		om := m.topics[code]
		if om == nil || om == tm {
			continue
		}
		n := 0
		for _, f := range sc.words {
			if _, ok := om.lin.index[f]; ok {
				n++
			}
		}
		if n > most {
			best, most = om, n
		}
	}
	return best
}

// crisisTarget reports whether a crisis label leads to the page.
func (tm *topicModel) crisisTarget(ref string) bool {
	for c, t := range tm.target {
		if t == ref && tm.crisis[c] {
			return true
		}
	}
	return false
}

// dangerScore is a text's danger score: the detectors' probability d, scaled down where the
// model knows none of the text's words.
func (m *Model) dangerScore(sc *scratch, tm *topicModel, d float64) float64 {
	if !m.knowsWordIn(sc, tm) {
		d *= wordlessDanger
	}
	return d
}

// posterior is the topic model's probability of each class.
func (tm *topicModel) posterior(sc *scratch, p []float64) int {
	return tm.lin.posterior(sc.feats, p)
}

// dangerOf is the probability that the text is from a person in danger: the mean of the two
// crisis detectors' and the topic model's crisis labels (probs).
func (tm *topicModel) dangerOf(sc *scratch, probs []float64) float64 {
	var p [2]float64
	tm.danger.posterior(sc.feats, p[:])
	sum := p[1]
	tm.dangerNB.posterior(sc.feats, p[:])
	sum += p[1]
	return (sum + tm.crisisMass(probs)) / 3
}

// covers reports whether an intent leads to the page.
func (tm *topicModel) covers(ref string) bool {
	return slices.Contains(tm.target, ref)
}

// crisisMass is the probability of the crisis labels together.
func (tm *topicModel) crisisMass(p []float64) float64 {
	sum := 0.0
	for c, v := range p {
		if tm.crisis[c] {
			sum += v
		}
	}
	return sum
}

// intents sums the model's probabilities per answer and mixes in the keyword lists.
func (m *Model) intents(probs []float64, known int, tm *topicModel, code, text string, word bool) []bot.Guess {
	score := map[string]float64{}
	if known > 0 {
		// Letter runs alone, without one known word ("qwerty zxcv"), are weak evidence: half
		// of the probability goes to "not understood".
		trust := 1.0
		if !word {
			trust = unknownWordsTrust
		}
		for c, p := range probs {
			score[tm.target[c]] += p * trust
		}
		score[NotUnderstood] += 1 - trust
	}
	if m.keywords != nil {
		var kw []bot.Match
		sum := 0.0
		for _, k := range m.keywords(code, text) {
			if k.Score >= minKeyword {
				kw = append(kw, k)
				sum += k.Score
			}
		}
		if len(kw) > 0 {
			share := keywordShare
			if known == 0 {
				share = 1
			}
			uncovered := 0.0
			model := make(map[string]float64, len(score))
			for t, p := range score {
				model[t] = p
				score[t] *= 1 - share
			}
			for _, k := range kw {
				// Keyword lists name a topic's first page (kw.support: support.overview); when
				// the model finds a page of that topic, it knows better which one ("how much
				// money": support.cash).
				to := k.Ref
				flow, _, _ := strings.Cut(k.Ref, ".")
				if !tm.covers(k.Ref) {
					// A topic no intent leads to (content added without examples): its
					// keywords are all there is, as in a language without examples, and the
					// model, which cannot know the topic, gives way to them in part.
					score[to] = max(score[to], k.Score)
					if k.Score >= uncoveredFrom {
						uncovered = max(uncovered, k.Score)
					}
					continue
				}
				best := 0.1
				for t, p := range model {
					if f, _, _ := strings.Cut(t, "."); f == flow && p > best {
						to, best = t, p
					}
				}
				score[to] += share * k.Score / sum
			}
			if uncovered > 0 {
				for t, p := range model {
					if tm.covers(t) {
						score[t] -= p * (1 - share) * uncovered * uncoveredShare
					}
				}
			}
		}
	}
	out := make([]bot.Guess, 0, len(score))
	for t, s := range score {
		out = append(out, bot.Guess{Target: t, Score: s})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Score != out[j].Score {
			return out[i].Score > out[j].Score
		}
		return out[i].Target < out[j].Target
	})
	if len(out) > 5 {
		out = out[:5]
	}
	return out
}

// knowsAWord reports whether the language model saw one of the text's words in the examples.
func (m *Model) knowsAWord(sc *scratch, text string) bool {
	for _, f := range sc.words {
		if _, ok := m.langID.index[f]; ok {
			return true
		}
	}
	return false
}

// knowsWordIn reports whether a topic model knows one of the text's words.
func (m *Model) knowsWordIn(sc *scratch, tm *topicModel) bool {
	if len(sc.words) == 0 {
		return false
	}
	for _, f := range sc.words {
		if _, ok := tm.lin.index[f]; ok {
			return true
		}
	}
	return false
}

// keywordsOnly is the understanding of a language without examples: the keyword lists.
func (m *Model) keywordsOnly(code, text string) []bot.Guess {
	if m.keywords == nil {
		return nil
	}
	var out []bot.Guess
	for _, k := range m.keywords(code, text) {
		out = append(out, bot.Guess{Target: k.Ref, Score: k.Score})
	}
	return out
}

// identify ranks the languages a text may be in: its script decides which are possible (Ethiopic
// is Tigrinya, Cyrillic Russian; Arabic script one of Arabic, Dari, Pashto and Sorani; Latin
// letters any, since people type Dari, Arabic, Pashto, Sorani, Russian and Tigrinya in Latin letters too),
// the model trained on all examples decides among those.
func (m *Model) identify(sc *scratch, text string) []bot.Guess {
	if m.langID == nil {
		return nil
	}
	var arabic, cyrillic, ethiopic, latin int
	for i, r := range text {
		if i > 8*MaxRunes {
			break
		}
		switch {
		case r < 0x80:
			if 'a' <= r|0x20 && r|0x20 <= 'z' {
				latin++
			}
		case unicode.Is(unicode.Arabic, r):
			arabic++
		case unicode.Is(unicode.Cyrillic, r):
			cyrillic++
		case unicode.Is(unicode.Ethiopic, r):
			ethiopic++
		case unicode.Is(unicode.Latin, r):
			latin++
		}
	}
	// Loanwords in Latin letters ("laissez passer", "UDI", "skippergata") are common in texts
	// written in another script, rarely the other way round; and an Ethiopic letter is a
	// syllable, an Arabic word often lacks its vowels. So the other scripts count more.
	ethiopic *= 3
	arabic *= 2
	cyrillic *= 2
	var allowed func(string) bool
	switch max(arabic, cyrillic, ethiopic, latin) {
	case 0:
		return nil
	case ethiopic:
		allowed = func(c string) bool { return c == "ti" }
	case cyrillic:
		allowed = func(c string) bool { return c == "ru" }
	case arabic:
		allowed = func(c string) bool { return c == "ar" || c == "fa" || c == "ps" || c == "ckb" }
	default:
		allowed = func(string) bool { return true }
	}
	sc.lp = grow(sc.lp, len(m.langID.classes))
	m.langID.posterior(sc.feats, sc.lp)
	var out []bot.Guess
	sum := 0.0
	for c, code := range m.langID.classes {
		if allowed(code) {
			out = append(out, bot.Guess{Target: code, Score: sc.lp[c]})
			sum += sc.lp[c]
		}
	}
	if len(out) == 0 {
		return nil
	}
	for i := range out {
		if sum > 0 {
			out[i].Score /= sum
		} else {
			out[i].Score = 1 / float64(len(out))
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Score > out[j].Score })
	return out
}

func grow(p []float64, n int) []float64 {
	if cap(p) < n {
		return make([]float64, n)
	}
	return p[:n]
}
