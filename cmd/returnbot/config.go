package main

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/returnbot/returnbot/bot"
)

// config is the environment the bot runs in; see README for every variable.
type config struct {
	addr         string
	redisURL     string
	clusterAddrs string
	secret       string
	sessionTTL   time.Duration
	env          func(string) string

	// memorySessions caps the in-process store (RETURNBOT_MEMORY_SESSIONS; 0: its default).
	memorySessions int
}

func configFromEnv() config {
	c := config{
		addr:         os.Getenv("RETURNBOT_ADDR"),
		redisURL:     os.Getenv("REDIS_URL"),
		clusterAddrs: os.Getenv("REDIS_CLUSTER_ADDRS"),
		secret:       os.Getenv("RETURNBOT_SECRET"),
		sessionTTL:   bot.DefaultSessionTTL,
		env:          os.Getenv,
	}
	if c.addr == "" {
		c.addr = "127.0.0.1:8080"
	}
	if v := os.Getenv("RETURNBOT_SESSION_TTL"); v != "" {
		if d, err := time.ParseDuration(v); err == nil && d > 0 {
			c.sessionTTL = d
		}
	}
	if n, err := strconv.Atoi(os.Getenv("RETURNBOT_MEMORY_SESSIONS")); err == nil && n > 0 {
		c.memorySessions = n
	}
	return c
}

// usesRedis reports whether a shared store is configured.
func (c config) usesRedis() bool { return c.redisURL != "" || c.clusterAddrs != "" }

// check refuses configurations that would leak or lose data.
func (c config) check() error {
	if !c.usesRedis() {
		return nil
	}
	// With Redis what the secret keys outlives the process: users' pseudonyms, sealed routes and
	// visit codes. A guessable key would let anyone with the data check a phone number against it.
	if err := checkSecret("RETURNBOT_SECRET", c.secret, minSecretLen); err != nil {
		return fmt.Errorf("%w (with Redis it keys the pseudonyms under which users are stored)", err)
	}
	return nil
}

// secretOrLocal is the pseudonym key; a process with the in-memory store and no secret uses a
// random one, since nothing it stores outlives it.
func (c config) secretOrLocal() []byte {
	if c.secret != "" {
		return []byte(c.secret)
	}
	return processSecret
}
