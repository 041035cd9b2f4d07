package understand

import (
	"math"
	"slices"
)

// Logistic regression settings: a few passes of stochastic gradient descent over examples whose
// feature vectors have unit length, so that a long message weighs as much as a short one.
const (
	lrEpochs = 4
	lrRate   = 8
	// lrKeep drops weights smaller than this after training: most of the table is noise from
	// the gradient of classes an n-gram has nothing to do with, and dropping it keeps the model small.
	lrKeep = 0.01
	// lrSkip is the smallest gradient a class is updated for.
	lrSkip = 0.002
)

// trainLogistic fits a multinomial logistic regression and stores it in the model's sparse form
// (entries are weights, base the biases).
func trainLogistic(classes []string, docs [][]uint64, labels []int) *model {
	nc := len(classes)
	vocab := map[uint64]int{}
	idx := make([][]int, len(docs))
	for i, d := range docs {
		seen := dedupe(slices.Clone(d))
		for _, f := range seen {
			j, ok := vocab[f]
			if !ok {
				j = len(vocab)
				vocab[f] = j
			}
			idx[i] = append(idx[i], j)
		}
	}
	w := make([]float32, len(vocab)*nc)
	bias := make([]float64, nc)
	p := make([]float64, nc)
	live := make([]int, 0, nc)
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	rnd := uint64(0x9E3779B97F4A7C15)
	for epoch := 0; epoch < lrEpochs; epoch++ {
		// A fixed pseudo-random order: training is the same on every start.
		for i := len(order) - 1; i > 0; i-- {
			rnd ^= rnd << 13
			rnd ^= rnd >> 7
			rnd ^= rnd << 17
			j := int(rnd % uint64(i+1))
			order[i], order[j] = order[j], order[i]
		}
		rate := lrRate / (1 + float64(epoch)*0.3)
		for _, i := range order {
			x := 1 / math.Sqrt(float64(max(1, len(idx[i]))))
			copy(p, bias)
			for _, j := range idx[i] {
				row := w[j*nc : j*nc+nc]
				for c := range p {
					p[c] += float64(row[c]) * x
				}
			}
			softmax(p)
			p[labels[i]] -= 1
			// Only classes with a gradient worth the name are updated: after the first pass
			// most are near zero, and skipping them makes training several times faster.
			live = live[:0]
			for c, g := range p {
				if g > lrSkip || g < -lrSkip {
					live = append(live, c)
					bias[c] -= rate * g * 0.1
				}
			}
			for _, j := range idx[i] {
				row := w[j*nc : j*nc+nc]
				for _, c := range live {
					row[c] -= float32(rate * p[c] * x)
				}
			}
		}
	}
	m := &model{classes: classes, index: map[uint64]span{}, base: bias, logistic: true}
	keys := make([]uint64, 0, len(vocab))
	for f := range vocab {
		keys = append(keys, f)
	}
	slices.Sort(keys)
	for _, f := range keys {
		j := vocab[f]
		from := int32(len(m.entries))
		for c, v := range w[j*nc : j*nc+nc] {
			if v > lrKeep || v < -lrKeep {
				m.entries = append(m.entries, entry{class: uint16(c), bonus: v})
			}
		}
		if int32(len(m.entries)) > from {
			m.index[f] = span{from, int32(len(m.entries))}
		}
	}
	return m
}

func softmax(p []float64) {
	best := math.Inf(-1)
	for _, v := range p {
		best = max(best, v)
	}
	sum := 0.0
	for c := range p {
		p[c] = math.Exp(p[c] - best)
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
}
