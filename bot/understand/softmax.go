package understand

import "math"

// softmax turns scores into probabilities, in place.
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
