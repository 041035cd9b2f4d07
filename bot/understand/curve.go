package understand

import "math"

// CurvePoint is how the crisis decision would do with another threshold: recall overall and in
// the weakest language, false alarms on all harmless cases and on the look-alikes alone.
type CurvePoint struct {
	From                      float64
	Recall, WorstRecall       float64
	WorstLang                 string
	FalseAlarm, LookAlikeRate float64
}

// Curve is the trade-off between recall and false alarms over thresholds of the danger score,
// from the cases' scores (a case is an alarm when its score is at least the threshold).
func (r *Report) Curve(from []float64) []CurvePoint {
	out := make([]CurvePoint, 0, len(from))
	for _, t := range from {
		rec := map[string]*Score{}
		var fa, la Score
		for _, d := range r.Danger {
			alarm := d.Score >= t && d.Score > 0
			switch {
			case d.Crisis:
				tally(rec, d.Lang, alarm)
			case d.LookAlike:
				la.add(alarm)
				fa.add(alarm)
			default:
				fa.add(alarm)
			}
		}
		p := CurvePoint{From: t, Recall: Sum(rec).Pct(), WorstRecall: math.Inf(1), FalseAlarm: fa.Pct(), LookAlikeRate: la.Pct()}
		for _, l := range Keys(rec) {
			if v := rec[l].Pct(); v < p.WorstRecall {
				p.WorstRecall, p.WorstLang = v, l
			}
		}
		if len(rec) == 0 {
			p.WorstRecall = 0
		}
		out = append(out, p)
	}
	return out
}
