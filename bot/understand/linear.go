package understand

import "math"

// linear is a multinomial logistic regression over TF-IDF weighted, unit-length feature vectors:
// each known feature of a text counts its inverse document frequency times its kind's weight
// (a word says more than one of its letter runs), and the vector is scaled to length one, so a
// long message weighs as much as a short one.
type linear struct {
	nc int
	// index maps a feature to its row in idf and w.
	index map[uint64]int32
	idf   []float32
	// w holds nc weights per row; bias one per class.
	w    []float32
	bias []float32
	// temp divides the logits before the softmax: calibration (see calibrate).
	temp float64
	// kw is the weight of each kind of feature (see kindOf).
	kw [4]float32
}

// linSettings are a logistic regression's training settings.
type linSettings struct {
	epochs int
	rate   float64
	l2     float64
	temp   float64
	// kw weighs each kind of feature: words, word pairs, letter runs (by kindOf).
	kw [4]float32
}

// Logistic regression settings, chosen by cross-validation on the shipped examples.
const (
	linEpochs = 6
	linRate   = 4.0
	// linL2 is the weight decay per example seen: it keeps rare n-grams from deciding alone.
	linL2 = 1e-6
	// linMinDF drops features seen in fewer examples. 1 keeps all: dropping those of one
	// example only cost two points of cross-validated accuracy.
	linMinDF = 1
	// kind weights: words, word pairs, letter runs.
	linWordW   = 1.0
	linBigramW = 0.6
	linCharW   = 1.0
	// linTemp divides the logits: below 1 sharpens the probabilities. Calibration against the
	// engine's bands (bot.SureIntent): at 0.7, cross-validation answers 73% of texts at once
	// and 72% of those are right; at 1, 65% and 73%, with more offered as "Did you mean".
	linTemp = 0.7
	// linSkip is the smallest gradient a class is updated for: after the first passes most
	// classes have next to none for a given example, and skipping them makes training fast.
	linSkip = 3e-3
)

// kindOf reads a feature's kind from its top bits (see hashRunes).
func kindOf(f uint64) uint64 { return f >> 62 }

// topicSettings train the topic models.
var topicSettings = linSettings{epochs: linEpochs, rate: linRate, l2: linL2, temp: linTemp,
	kw: [4]float32{kindWord: linWordW, kindBigram: linBigramW, kindChars: linCharW}}

// trainLinear fits the model on deduplicated feature lists (as dedupe leaves them).
func trainLinear(nc int, docs [][]uint64, labels []int, set linSettings) *linear {
	df := map[uint64]int32{}
	for _, d := range docs {
		for _, f := range d {
			df[f]++
		}
	}
	l := &linear{nc: nc, index: make(map[uint64]int32, len(df)/2), temp: set.temp, kw: set.kw}
	n := float64(len(docs))
	for f, c := range df {
		if int(c) < linMinDF {
			continue
		}
		l.index[f] = int32(len(l.idf))
		l.idf = append(l.idf, float32(math.Log((n+1)/(float64(c)+1))+1)*set.kw[kindOf(f)])
	}
	// Each document as rows and values, in one flat buffer.
	rows := make([]int32, 0, len(docs)*64)
	vals := make([]float32, 0, len(docs)*64)
	starts := make([]int32, len(docs)+1)
	for i, d := range docs {
		starts[i] = int32(len(rows))
		rows, vals = l.vector(d, rows, vals)
	}
	starts[len(docs)] = int32(len(rows))
	l.w = make([]float32, len(l.idf)*nc)
	l.bias = make([]float32, nc)
	p := make([]float32, nc)
	cls := make([]int32, nc)
	order := make([]int, len(docs))
	for i := range order {
		order[i] = i
	}
	rnd := uint64(0x9E3779B97F4A7C15)
	step := 0
	// Weight decay is applied lazily: the true weights are w*decay, so that one example's
	// update costs its own features, not the whole table.
	decay := float32(1)
	skip := float32(linSkip)
	for epoch := 0; epoch < set.epochs; epoch++ {
		// A fixed pseudo-random order: training is the same on every start.
		for i := len(order) - 1; i > 0; i-- {
			rnd ^= rnd << 13
			rnd ^= rnd >> 7
			rnd ^= rnd << 17
			j := int(rnd % uint64(i+1))
			order[i], order[j] = order[j], order[i]
		}
		for _, i := range order {
			step++
			rate := float32(set.rate / (1 + float64(step)*set.rate*set.l2))
			rs, vs := rows[starts[i]:starts[i+1]], vals[starts[i]:starts[i+1]]
			copy(p, l.bias)
			for k, r := range rs {
				x := vs[k] * decay
				row := l.w[int(r)*nc : int(r)*nc+nc]
				pp := p[:len(row)]
				for c, w := range row {
					pp[c] += w * x
				}
			}
			softmax32(p)
			p[labels[i]] -= 1
			decay *= 1 - rate*float32(set.l2)
			if decay < 1e-3 {
				for k := range l.w {
					l.w[k] *= decay
				}
				decay = 1
			}
			live := 0
			for c, g := range p {
				if g > skip || g < -skip {
					l.bias[c] -= rate * g * 0.5
					p[live] = g
					cls[live] = int32(c)
					live++
				}
			}
			for k, r := range rs {
				x := rate * vs[k] / decay
				row := l.w[int(r)*nc : int(r)*nc+nc]
				for q, c := range cls[:live] {
					row[c] -= p[q] * x
				}
			}
		}
	}
	for k := range l.w {
		l.w[k] *= float32(decay)
	}
	return l
}

// vector appends the rows and values of a text's known features, scaled to unit length.
func (l *linear) vector(feats []uint64, rows []int32, vals []float32) ([]int32, []float32) {
	from := len(vals)
	sum := 0.0
	for _, f := range feats {
		if r, ok := l.index[f]; ok {
			rows = append(rows, r)
			v := l.idf[r]
			vals = append(vals, v)
			sum += float64(v * v)
		}
	}
	if sum > 0 {
		s := float32(1 / math.Sqrt(sum))
		for k := from; k < len(vals); k++ {
			vals[k] *= s
		}
	}
	return rows, vals
}

// posterior writes the class probabilities for deduplicated features into p and returns how
// many features the model knew.
func (l *linear) posterior(feats []uint64, p []float64) int {
	for c := range p {
		p[c] = float64(l.bias[c])
	}
	known := 0
	sum := 0.0
	for _, f := range feats {
		r, ok := l.index[f]
		if !ok {
			continue
		}
		known++
		v := float64(l.idf[r])
		sum += v * v
		row := l.w[int(r)*l.nc : int(r)*l.nc+l.nc]
		for c := range p {
			p[c] += float64(row[c]) * v
		}
	}
	if sum > 0 {
		s := 1 / math.Sqrt(sum)
		for c := range p {
			p[c] = (float64(l.bias[c]) + (p[c]-float64(l.bias[c]))*s) / l.temp
		}
	}
	softmax(p)
	return known
}

// softmax32 is softmax in float32, for training.
func softmax32(p []float32) {
	best := float32(math.Inf(-1))
	for _, v := range p {
		best = max(best, v)
	}
	sum := float32(0)
	for c := range p {
		p[c] = float32(math.Exp(float64(p[c] - best)))
		sum += p[c]
	}
	for c := range p {
		p[c] /= sum
	}
}
