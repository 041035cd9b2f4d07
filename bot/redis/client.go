package redis

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"
)

// Timeouts of the clients made by NewClient and NewClusterClient. The bot answers with a static
// "unavailable" message when Redis fails, so a quick failure is worth more than a long wait: a user
// should get that message in about a second, not after go-redis's default 5 s timeouts and retries.
const (
	// DialTimeout bounds connecting to a node.
	DialTimeout = 500 * time.Millisecond
	// IOTimeout bounds each read and write on a connection.
	IOTimeout = 500 * time.Millisecond
	// PoolTimeout bounds the wait for a free connection when all are busy.
	PoolTimeout = time.Second
)

// NewClient returns a client for a redis:// or rediss:// URL (REDIS_URL) with the store's fail-fast
// settings. Timeouts given in the URL's query (dial_timeout, read_timeout, ...) are kept.
func NewClient(rawURL string) (*goredis.Client, error) {
	o, err := goredis.ParseURL(rawURL)
	if err != nil {
		return nil, urlError("REDIS_URL", err)
	}
	o.DialTimeout = or(o.DialTimeout, DialTimeout)
	o.ReadTimeout = or(o.ReadTimeout, IOTimeout)
	o.WriteTimeout = or(o.WriteTimeout, IOTimeout)
	o.PoolTimeout = or(o.PoolTimeout, PoolTimeout)
	// One retry rides out a connection that died while idle; more would only stretch an outage.
	// Re-sending a session write is safe: Update recognises its own stamp.
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	o.MaxRetryBackoff = or(o.MaxRetryBackoff, 50*time.Millisecond)
	// go-redis dials five times per new connection by default; during an outage that multiplies
	// the time each message waits for its failure.
	if o.DialerRetries == 0 {
		o.DialerRetries = 1
	}
	// Let a caller's deadline cut a command short, so a request never outlives its context.
	o.ContextTimeoutEnabled = true
	if o.MaintNotificationsConfig == nil {
		// Only for managed Redis Enterprise; elsewhere it is one more command per connection.
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	}
	return goredis.NewClient(o), nil
}

// NewClusterClient returns a Redis Cluster client (REDIS_CLUSTER_ADDRS) with the store's
// fail-fast settings. Each seed is host:port, or a redis:// or rediss:// URL; the first URL's
// user, password and TLS apply to every node.
func NewClusterClient(seeds []string) (*goredis.ClusterClient, error) {
	var o *goredis.ClusterOptions
	var addrs []string
	for _, s := range seeds {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		if strings.Contains(s, "://") {
			if o == nil {
				co, err := goredis.ParseClusterURL(s)
				if err != nil {
					return nil, urlError("REDIS_CLUSTER_ADDRS", err)
				}
				o = co
				continue
			}
			u, err := url.Parse(s)
			if err != nil {
				return nil, urlError("REDIS_CLUSTER_ADDRS", err)
			}
			s = u.Host
		}
		if _, _, err := net.SplitHostPort(s); err != nil {
			return nil, fmt.Errorf("REDIS_CLUSTER_ADDRS: %q is not host:port", s)
		}
		addrs = append(addrs, s)
	}
	if o == nil {
		o = &goredis.ClusterOptions{}
	}
	o.Addrs = append(o.Addrs, addrs...)
	if len(o.Addrs) == 0 {
		return nil, errors.New("REDIS_CLUSTER_ADDRS: no addresses")
	}
	o.DialTimeout = or(o.DialTimeout, DialTimeout)
	o.ReadTimeout = or(o.ReadTimeout, IOTimeout)
	o.WriteTimeout = or(o.WriteTimeout, IOTimeout)
	o.PoolTimeout = or(o.PoolTimeout, PoolTimeout)
	if o.DialerRetries == 0 {
		o.DialerRetries = 1
	}
	o.ContextTimeoutEnabled = true
	if o.MaintNotificationsConfig == nil {
		o.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	}
	return goredis.NewClusterClient(o), nil
}

// urlError reports a malformed URL without echoing it: it may hold a password.
func urlError(name string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("%s is not a valid redis:// or rediss:// URL: %v", name, err)
}

func or(d, def time.Duration) time.Duration {
	if d == 0 {
		return def
	}
	return d
}
