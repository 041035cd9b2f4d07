package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// probeTTL keeps the readiness probe keys (rb:ready…) short-lived: every key has a TTL.
const probeTTL = 30 * time.Second

// WritesRefused is Ready's error when Redis answers but refuses writes. The bot can then save no
// session and every user gets "temporarily unavailable" although Redis answers every ping.
type WritesRefused struct {
	// Reason is Redis's error code: OOM (maxmemory reached under noeviction), READONLY (a
	// replica, for instance after a failover) or MISCONF (saving to disk failed, and Redis
	// stops writes until it works again).
	Reason string
	err    error
}

func (e *WritesRefused) Error() string {
	switch e.Reason {
	case "OOM":
		return "Redis refuses writes: maxmemory reached (" + e.err.Error() + ")"
	case "READONLY":
		return "Redis refuses writes: it is a read-only replica (" + e.err.Error() + ")"
	case "MISCONF":
		return "Redis refuses writes: it cannot save to disk (" + e.err.Error() + ")"
	}
	return "Redis refuses writes: " + e.err.Error()
}

func (e *WritesRefused) Unwrap() error { return e.err }

// refusal is the WritesRefused for err, or nil when err is not a refused write.
func refusal(err error) *WritesRefused {
	var answer goredis.Error
	if !errors.As(err, &answer) {
		return nil
	}
	code, _, _ := strings.Cut(answer.Error(), " ")
	switch code {
	case "OOM", "READONLY", "MISCONF":
		return &WritesRefused{Reason: code, err: err}
	}
	return nil
}

// Ready checks that Redis answers and takes writes: it writes a small probe key (TTL probeTTL)
// on every master — with the "noeviction" policy Redis answers writes with OOM once maxmemory is
// reached, while PING and reads go on working. The error is a *WritesRefused when Redis answered
// but refused the write.
func (s *Store) Ready(ctx context.Context) error {
	keys := []string{s.prefix + "ready"}
	if cc, ok := s.c.(*goredis.ClusterClient); ok {
		var err error
		if keys, err = s.probeKeys(ctx, cc); err != nil {
			return err
		}
	}
	for _, k := range keys {
		err := s.c.Set(ctx, k, "1", probeTTL).Err()
		if r := refusal(err); r != nil {
			return r
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// probeKeys returns one probe key per master of the cluster, in a slot that master serves, so
// that a master that is full cannot hide behind one that is not.
func (s *Store) probeKeys(ctx context.Context, cc *goredis.ClusterClient) ([]string, error) {
	slots, err := cc.ClusterSlots(ctx).Result()
	if err != nil {
		return nil, err
	}
	var keys []string
	done := map[string]bool{}
	for _, r := range slots {
		if len(r.Nodes) == 0 || done[r.Nodes[0].Addr] {
			continue
		}
		done[r.Nodes[0].Addr] = true
		// A hash tag whose slot falls in the range: ranges are hundreds of slots or more, so a
		// few dozen tries find one.
		for n := 0; n < 1<<16; n++ {
			tag := strconv.Itoa(n)
			if slot := int(keySlot(tag)); slot >= r.Start && slot <= r.End {
				keys = append(keys, s.prefix+"ready:{"+tag+"}")
				break
			}
		}
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("redis: the cluster reports no slots")
	}
	return keys, nil
}

// keySlot is the cluster slot of a hash tag: CRC16 (XMODEM) mod 16384, as Redis computes it.
func keySlot(tag string) uint16 {
	var crc uint16
	for i := 0; i < len(tag); i++ {
		crc ^= uint16(tag[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc % 16384
}
