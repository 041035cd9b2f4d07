package app

import (
	"fmt"
	"strconv"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// Config is the environment the bot runs in; see README for every variable. ConfigFromEnv reads
// it; the channels read their own variables through Getenv when Main builds them.
type Config struct {
	// Addr is the HTTP listen address (RETURNBOT_ADDR, default 127.0.0.1:8080).
	Addr string
	// RedisURL (REDIS_URL) or RedisClusterAddrs (REDIS_CLUSTER_ADDRS, comma-separated) choose
	// Redis; with neither, sessions live in this process.
	RedisURL, RedisClusterAddrs string
	// Secret keys the pseudonyms, sealed routes and visit codes (RETURNBOT_SECRET).
	Secret string
	// SessionTTL is how long an idle session is kept (RETURNBOT_SESSION_TTL).
	SessionTTL time.Duration
	// MemorySessions caps the in-process store (RETURNBOT_MEMORY_SESSIONS; 0: its default).
	MemorySessions int
	// MaxConns caps the HTTP connections held open (RETURNBOT_MAX_CONNS).
	MaxConns int
	// LogLevel is debug, info, warn or error (RETURNBOT_LOG_LEVEL; default info).
	LogLevel string
	// Flows and Locales are directories replacing the built-in content (RETURNBOT_FLOWS,
	// RETURNBOT_LOCALES; empty: built in).
	Flows, Locales string
	// Audio is a directory of recorded answers replacing the built-in ones (RETURNBOT_AUDIO;
	// empty: built in), audio/<lang>/<message-id>.ogg.
	Audio string
	// Getenv is where the channels read their variables (TELEGRAM_*, WHATSAPP_*, STAFF_*, ...).
	Getenv func(string) string
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in production, a map in tests)
// and refuses one that would leak or lose data, or that names an impossible limit.
func ConfigFromEnv(getenv func(string) string) (Config, error) {
	c := ReadConfig(getenv)
	if err := c.Check(); err != nil {
		return c, err
	}
	var err error
	if c.MaxConns, err = maxConnsFromEnv(getenv, DefaultMaxConns); err != nil {
		return c, err
	}
	return c, nil
}

// ReadConfig reads the configuration without judging it (chat checks only the secret).
func ReadConfig(getenv func(string) string) Config {
	c := Config{
		Addr:              getenv("RETURNBOT_ADDR"),
		RedisURL:          getenv("REDIS_URL"),
		RedisClusterAddrs: getenv("REDIS_CLUSTER_ADDRS"),
		Secret:            getenv("RETURNBOT_SECRET"),
		SessionTTL:        bot.DefaultSessionTTL,
		MaxConns:          DefaultMaxConns,
		LogLevel:          getenv("RETURNBOT_LOG_LEVEL"),
		Flows:             getenv("RETURNBOT_FLOWS"),
		Locales:           getenv("RETURNBOT_LOCALES"),
		Audio:             getenv("RETURNBOT_AUDIO"),
		Getenv:            getenv,
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if v := getenv("RETURNBOT_SESSION_TTL"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			c.SessionTTL = d
		}
	}
	if n, err := strconv.Atoi(getenv("RETURNBOT_MEMORY_SESSIONS")); err == nil && n > 0 {
		c.MemorySessions = n
	}
	return c
}

// env reads a channel's variable; a Config without Getenv has none set.
func (c Config) env(name string) string {
	if c.Getenv == nil {
		return ""
	}
	return c.Getenv(name)
}

// UsesRedis reports whether a shared store is configured.
func (c Config) UsesRedis() bool { return c.RedisURL != "" || c.RedisClusterAddrs != "" }

// Check refuses configurations that would leak or lose data.
func (c Config) Check() error {
	if !c.UsesRedis() {
		return nil
	}
	// With Redis what the secret keys outlives the process: users' pseudonyms, sealed routes and
	// visit codes. A guessable key would let anyone with the data check a phone number against it.
	if err := checkSecret("RETURNBOT_SECRET", c.Secret, minSecretLen); err != nil {
		return fmt.Errorf("%w (with Redis it keys the pseudonyms under which users are stored)", err)
	}
	return nil
}

// UserKey is the pseudonym under which the bot stores channel's user id (bot.UserKey with the
// configured secret).
func (c Config) UserKey(channel, id string) string {
	return bot.UserKey(c.secretOrLocal(), channel, id)
}

// secretOrLocal is the pseudonym key; a process with the in-memory store and no secret uses a
// random one, since nothing it stores outlives it.
func (c Config) secretOrLocal() []byte {
	if c.Secret != "" {
		return []byte(c.Secret)
	}
	return processSecret
}
