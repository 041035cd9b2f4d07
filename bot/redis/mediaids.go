package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot/audio"
)

var _ audio.IDStore = (*Store)(nil)

// MediaID returns the platform id of an uploaded recording kept under <prefix><key>
// (bot/audio.Uploads: "media:tg:<clip hash>"). The key names a file of the office's content,
// never a user.
func (s *Store) MediaID(ctx context.Context, key string) (string, bool, error) {
	v, err := s.c.Get(ctx, s.Key(key)).Result()
	if errors.Is(err, goredis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("redis: reading a media id: %w", err)
	}
	return v, true, nil
}

// SetMediaID keeps a platform id for ttl (the platform's own limit less a margin).
func (s *Store) SetMediaID(ctx context.Context, key, id string, ttl time.Duration) error {
	if ttl <= 0 {
		return errors.New("redis: a media id needs a TTL")
	}
	if err := s.c.Set(ctx, s.Key(key), id, ttl).Err(); err != nil {
		return fmt.Errorf("redis: keeping a media id: %w", err)
	}
	return nil
}

// DropMediaID forgets a platform id (the platform refused it).
func (s *Store) DropMediaID(ctx context.Context, key string) error {
	if err := s.c.Del(ctx, s.Key(key)).Err(); err != nil {
		return fmt.Errorf("redis: dropping a media id: %w", err)
	}
	return nil
}
