package understand

import (
	"math"
	"slices"
)

// model is a multinomial naive Bayes classifier over hashed features, stored sparsely: per
// feature only the classes that saw it. Training is one counting pass over the examples.
type model struct {
	classes []string
	// index maps a feature to its run in entries.
	index   map[uint64]span
	entries []entry
	// base is each class's score for a known feature it never saw: log(α / (total+αV)).
	base []float64
	// scale turns summed log-likelihoods per feature into the softmax's logits (see posterior).
	scale float64
}

type span struct{ from, to int32 }

// entry is how much more likely a feature makes one class than an unseen feature would.
type entry struct {
	class uint16
	bonus float32
}

// alpha is the additive smoothing of naive Bayes; small, because character n-grams are many
// and most of them are rare.
const alpha = 0.1

// train counts features per class. Each example's features are counted once each (binary
// features): a word repeated in a long message should not outvote the rest.
func train(classes []string, docs [][]uint64, labels []int, scale float64) *model {
	m := &model{classes: classes, index: map[uint64]span{}, scale: scale}
	nc := len(classes)
	// Docs are deduplicated (as dedupe leaves them): each feature counts once per example.
	// A first pass numbers the features, so that the counts are allocated once.
	slot := map[uint64]int32{}
	for _, d := range docs {
		for _, f := range d {
			if _, ok := slot[f]; !ok {
				slot[f] = int32(len(slot))
			}
		}
	}
	counts := make([]uint16, len(slot)*nc) // per feature slot, nc counts
	total := make([]float64, nc)
	for i, d := range docs {
		c := labels[i]
		for _, f := range d {
			j := slot[f]
			if n := &counts[int(j)*nc+c]; *n < 65535 {
				*n++
			}
			total[c]++
		}
	}
	v := float64(len(slot))
	m.base = make([]float64, nc)
	for c := range classes {
		m.base[c] = math.Log(alpha / (total[c] + alpha*v))
	}
	m.index = make(map[uint64]span, len(slot))
	m.entries = make([]entry, 0, len(slot)*2)
	keys := make([]uint64, 0, len(slot))
	for f := range slot {
		keys = append(keys, f)
	}
	slices.Sort(keys) // a deterministic layout
	for _, f := range keys {
		from := int32(len(m.entries))
		row := counts[int(slot[f])*nc : int(slot[f])*nc+nc]
		for c, n := range row {
			if n > 0 {
				m.entries = append(m.entries, entry{class: uint16(c), bonus: float32(math.Log((float64(n) + alpha) / alpha))})
			}
		}
		m.index[f] = span{from, int32(len(m.entries))}
	}
	return m
}

// posterior writes the probability of each class given the features (sorted, each once, as
// dedupe leaves them) into p (len(classes)) and returns how many features the model knew. Log-likelihoods are averaged per known feature and
// multiplied by scale before the softmax: naive Bayes counts overlapping n-grams as independent
// evidence and would otherwise be sure of everything.
func (m *model) posterior(feats []uint64, p []float64) int {
	for c := range p {
		p[c] = 0
	}
	known := 0
	for _, f := range feats {
		sp, ok := m.index[f]
		if !ok {
			continue
		}
		known++
		for _, e := range m.entries[sp.from:sp.to] {
			p[e.class] += float64(e.bonus)
		}
	}
	if known == 0 {
		u := 1 / float64(len(p))
		for c := range p {
			p[c] = u
		}
		return 0
	}
	best := math.Inf(-1)
	for c := range p {
		p[c] = (p[c]/float64(known) + m.base[c]) * m.scale
		best = max(best, p[c])
	}
	sum := 0.0
	for c := range p {
		p[c] = math.Exp(p[c] - best)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
	return known
}

// dedupe sorts features and drops repeats, in place: each feature counts once, as in training.
func dedupe(feats []uint64) []uint64 {
	slices.Sort(feats)
	return slices.Compact(feats)
}
