package app

import (
	"fmt"
	"strings"
	"time"

	"github.com/returnbot/returnbot/bot/deliver"
)

// deliveryQueuer is implemented by stores that keep the replies a platform did not take yet
// (bot/redis), so that a restart or another replica delivers them.
type deliveryQueuer interface {
	DeliveryQueue(channel string) deliver.Queue
}

// deliveryQueue is the store's delivery queue for channel, or nil (the channel keeps one in
// process).
func deliveryQueue(d deps, channel string) deliver.Queue {
	if s, ok := d.store.(deliveryQueuer); ok {
		return s.DeliveryQueue(channel)
	}
	return nil
}

// redelivery is the policy for queued replies: RETURNBOT_REDELIVERY_MAX_AGE (default 24h) is
// how long one is tried before it is given up on.
func redelivery(d deps) (deliver.Policy, error) {
	var p deliver.Policy
	if v := strings.TrimSpace(d.cfg.env("RETURNBOT_REDELIVERY_MAX_AGE")); v != "" {
		age, err := time.ParseDuration(v)
		if err != nil || age < time.Minute {
			return p, fmt.Errorf("RETURNBOT_REDELIVERY_MAX_AGE must be a duration of at least 1m, such as 24h")
		}
		p.MaxAge = age
	}
	return p, nil
}
