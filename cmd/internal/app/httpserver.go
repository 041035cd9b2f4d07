package app

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// httpLimits bound what one client can hold of the HTTP server.
type httpLimits struct {
	// ReadHeader bounds reading a request's headers: a client that dribbles them is cut off.
	ReadHeader time.Duration
	// Read bounds reading a whole request, body included, from its first byte.
	Read time.Duration
	// Write bounds a request from the end of its headers to the end of the response: handling
	// and answering. The webhooks answer within seconds (a Telegram update is handled in at most
	// 10 s), so the margin is wide.
	Write time.Duration
	// Idle bounds how long a keep-alive connection may wait for its next request.
	Idle time.Duration
	// MaxConns caps the connections held open (connCap); MaxConnsPerClient those of one client
	// (a public IPv4 address or IPv6 /64), unless it comes from a loopback or private address
	// and CountLocal is false.
	MaxConns, MaxConnsPerClient int
	CountLocal                  bool
}

// DefaultMaxConns is RETURNBOT_MAX_CONNS's default. Telegram opens at most 40 webhook connections
// (max_connections in setWebhook), Meta a handful, and a browser on the web chat one or two,
// mostly idle: 512 serves hundreds of people chatting at once. A held connection costs the
// server a goroutine and its buffers (about 11 KB, measured by BenchmarkSlowloris), so 512 of them
// stay within a few megabytes, and well inside the usual limit of 1,024 open files, which also
// covers Redis and the outgoing API connections.
const DefaultMaxConns = 512

// serveLimits are the limits serve uses; tests of the server shorten them.
var serveLimits = httpLimits{
	ReadHeader: 10 * time.Second,
	Read:       30 * time.Second,
	Write:      45 * time.Second,
	Idle:       2 * time.Minute,
	MaxConns:   DefaultMaxConns, // MaxConnsPerClient: a quarter of it (newHTTPServer)
}

// maxConnsFromEnv reads RETURNBOT_MAX_CONNS (unset: def).
func maxConnsFromEnv(env func(string) string, def int) (int, error) {
	v := strings.TrimSpace(env("RETURNBOT_MAX_CONNS"))
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("RETURNBOT_MAX_CONNS must be a number of connections of at least 1, such as %d", DefaultMaxConns)
	}
	return n, nil
}

// newHTTPServer is the server for h on ln with lim: its timeouts set, and ln wrapped in the
// connection cap, which Serve must be given.
func newHTTPServer(h http.Handler, ln net.Listener, lim httpLimits, log *slog.Logger) (*http.Server, *connCap) {
	// One public address may hold a quarter of the places unless told otherwise: one client
	// dribbling request bodies cannot hold them all, while a reception centre's Wi-Fi (many
	// people behind one address, mostly idle keep-alives, which make room for each other) and
	// Telegram's up to 40 webhook connections fit in 128.
	perClient := lim.MaxConnsPerClient
	if perClient <= 0 {
		perClient = max(1, lim.MaxConns/4)
	}
	capped := newConnCap(ln, lim.MaxConns, perClient, lim.CountLocal, log)
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: lim.ReadHeader,
		ReadTimeout:       lim.Read,
		WriteTimeout:      lim.Write,
		IdleTimeout:       lim.Idle,
		MaxHeaderBytes:    64 << 10, // the webhooks and the web chat send a few hundred bytes
		ConnState:         capped.State,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	return srv, capped
}
