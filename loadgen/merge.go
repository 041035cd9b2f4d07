package loadgen

// Merge combines runs of one target (rounds of the same load) into one result, as if they were
// one run of their total measured time: counts add up, rates are over the total time, and the
// latency percentiles are those of every sample together, not an average of percentiles.
// It returns nil for no runs.
func Merge(runs ...*Result) *Result {
	if len(runs) == 0 {
		return nil
	}
	if len(runs) == 1 {
		return runs[0]
	}
	first := runs[0]
	m := &Result{Name: first.Name, Users: first.Users, Rate: first.Rate}
	for _, r := range runs {
		m.Seconds += r.Seconds
		m.Updates += r.Updates
		m.AllUpdates += r.AllUpdates
		m.Errors += r.Errors
		if m.LastError == "" {
			m.LastError = r.LastError
		}
		m.Missed += r.Missed
		m.NoReply += r.NoReply
		m.API = m.API.add(r.API)
		if r.Delivery != nil {
			if m.Delivery == nil {
				m.Delivery = &Delivery{}
			}
			m.Delivery.Sent += r.Delivery.Sent
			m.Delivery.Undeliverable += r.Delivery.Undeliverable
			m.Delivery.Received += r.Delivery.Received
			m.Delivery.Mismatch += r.Delivery.Mismatch
		}
		if r.Redis != nil {
			if m.Redis == nil {
				m.Redis = &RedisStats{ByCommand: map[string]int64{}}
			}
			m.Redis.Commands += r.Redis.Commands
			m.Redis.Calls += r.Redis.Calls
			m.Redis.cpu += r.Redis.cpu
			for k, v := range r.Redis.ByCommand {
				m.Redis.ByCommand[k] += v
			}
		}
		m.Problems = append(m.Problems, r.Problems...)
		m.latencies = append(m.latencies, r.latencies...)
		m.replies = append(m.replies, r.replies...)
		m.wall += r.wall
		m.cpu += r.cpu
	}
	if m.Seconds > 0 {
		m.UpdatesPerSec = float64(m.Updates) / m.Seconds
	}
	if m.wall > 0 {
		m.RepliesPerSec = float64(m.API.Messages) / m.wall.Seconds()
	}
	m.Latency = percentiles(m.latencies)
	m.ReplyLatency = percentiles(m.replies)
	m.CPUPerUpdate = perUpdate(m.cpu, m.AllUpdates)
	if m.Redis != nil {
		m.Redis.perUpdate(m.AllUpdates)
	}
	return m
}

func (c APICounts) add(d APICounts) APICounts {
	return APICounts{c.Messages + d.Messages, c.Callbacks + d.Callbacks, c.Rejected + d.Rejected, c.Other + d.Other, c.InResponse + d.InResponse}
}
