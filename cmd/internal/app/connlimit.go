package app

import (
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// connCap is a listener that holds at most max connections open. When a new connection comes
// while all are taken, it closes the one that has waited longest without a request in
// progress — a client still sending its headers (http.StateNew) or an idle keep-alive
// (http.StateIdle) — instead of refusing the newcomer. A slowloris client that opens many
// connections and dribbles its headers therefore only pushes out its own oldest sockets, and a
// health check or webhook delivery gets in. Only when every connection is in a request (bodies
// are bounded by the server's ReadTimeout, handlers by WriteTimeout) does Accept wait for one to
// end, as netutil.LimitListener would.
//
// One client (a public IPv4 address, or an IPv6 /64) holds at most perClient of the places: a
// client that dribbles request bodies keeps its connections in a request, where they cannot be
// closed to make room, and without this bound could hold every place for the 30 s a request may
// take, again and again. Past its bound the client's own longest-waiting idle connection is
// closed, or, when all of them are in requests, the newcomer. Loopback and private addresses (a
// reverse proxy, the office's own network) count towards the overall cap only, unless
// countLocal is set (tests, which all come from loopback).
//
// The server must report connection states to State (http.Server.ConnState).
type connCap struct {
	net.Listener
	max        int
	perClient  int
	countLocal bool
	log        *slog.Logger

	mu        sync.Mutex
	cond      *sync.Cond
	conns     map[*capConn]struct{}
	perKey    map[string]int // places held per client
	closed    bool
	refusedTo atomic.Int64 // newcomers closed because their client's places were all in requests

	evicted     atomic.Int64 // connections closed to make room, in all
	logLast     atomic.Int64 // when the last eviction was logged, Unix ns
	evictedLogd atomic.Int64 // evicted at that time
}

// capLogEvery is how often at most the cap logs that it closed connections: under an attack it
// would otherwise log once per connection.
const capLogEvery = 10 * time.Second

// capConn is one accepted connection with the state the server last reported for it.
type capConn struct {
	net.Conn
	l      *connCap
	once   sync.Once
	state  http.ConnState // guarded by l.mu
	since  time.Time      // when state was entered; guarded by l.mu
	client string         // the client's key, "" when only the overall cap counts it
}

// newConnCap caps ln at max connections, perClient of them per client (both > 0).
func newConnCap(ln net.Listener, max, perClient int, countLocal bool, log *slog.Logger) *connCap {
	l := &connCap{Listener: ln, max: max, perClient: perClient, countLocal: countLocal, log: log,
		conns: map[*capConn]struct{}{}, perKey: map[string]int{}}
	l.cond = sync.NewCond(&l.mu)
	return l
}

// Accept implements net.Listener.
func (l *connCap) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := l.clientKey(c.RemoteAddr())
		l.mu.Lock()
		if key != "" && l.perKey[key] >= l.perClient {
			v := l.victimLocked(key)
			if v == nil {
				// All of this client's places are in requests: the newcomer goes, not another
				// client's request.
				l.mu.Unlock()
				c.Close()
				l.refusedTo.Add(1)
				l.logEvictions()
				continue
			}
			l.removeLocked(v)
			l.mu.Unlock()
			v.closeConn()
			l.evicted.Add(1)
			l.mu.Lock()
		}
		for len(l.conns) >= l.max && !l.closed {
			if v := l.victimLocked(""); v != nil {
				l.removeLocked(v)
				l.mu.Unlock()
				v.closeConn()
				l.evicted.Add(1)
				l.mu.Lock()
				continue
			}
			l.cond.Wait() // every connection is in a request: wait for one to end
		}
		if l.closed {
			l.mu.Unlock()
			c.Close()
			return nil, net.ErrClosed
		}
		cc := &capConn{Conn: c, l: l, state: http.StateNew, since: time.Now(), client: key}
		l.conns[cc] = struct{}{}
		if key != "" {
			l.perKey[key]++
		}
		l.mu.Unlock()
		l.logEvictions()
		return cc, nil
	}
}

// clientKey is what perClient counts a connection from addr by: a public IPv4 address, or the /64
// of a public IPv6 address (one subscriber's network); "" for loopback and private addresses
// unless countLocal is set.
func (l *connCap) clientKey(addr net.Addr) string {
	tcp, ok := addr.(*net.TCPAddr)
	if !ok {
		return ""
	}
	a, ok := netip.AddrFromSlice(tcp.IP)
	if !ok {
		return ""
	}
	a = a.Unmap()
	if !l.countLocal && (a.IsLoopback() || a.IsPrivate()) {
		return ""
	}
	if a.Is4() {
		return a.String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}

// removeLocked takes c off the lists.
func (l *connCap) removeLocked(c *capConn) {
	if _, ok := l.conns[c]; !ok {
		return
	}
	delete(l.conns, c)
	if c.client != "" {
		if l.perKey[c.client]--; l.perKey[c.client] <= 0 {
			delete(l.perKey, c.client)
		}
	}
}

// victimLocked is the connection (of client, when not "") that has waited longest without a
// request in progress, or nil.
func (l *connCap) victimLocked(client string) *capConn {
	var v *capConn
	for c := range l.conns {
		if c.state != http.StateNew && c.state != http.StateIdle || client != "" && c.client != client {
			continue
		}
		if v == nil || c.since.Before(v.since) {
			v = c
		}
	}
	return v
}

// State records a connection's state; pass it as http.Server.ConnState.
func (l *connCap) State(c net.Conn, s http.ConnState) {
	cc, ok := c.(*capConn)
	if !ok {
		return
	}
	if s == http.StateClosed || s == http.StateHijacked {
		cc.forget()
		return
	}
	l.mu.Lock()
	cc.state, cc.since = s, time.Now()
	l.mu.Unlock()
}

// Close implements net.Listener and wakes an Accept waiting for room.
func (l *connCap) Close() error {
	l.mu.Lock()
	l.closed = true
	l.cond.Broadcast()
	l.mu.Unlock()
	return l.Listener.Close()
}

// Open counts the connections held now.
func (l *connCap) Open() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.conns)
}

// Evicted counts the connections closed to make room.
func (l *connCap) Evicted() int64 { return l.evicted.Load() }

// logEvictions says, at most once per capLogEvery, how many connections were closed to make room.
func (l *connCap) logEvictions() {
	n := l.evicted.Load() + l.refusedTo.Load()
	if n == l.evictedLogd.Load() || l.log == nil {
		return
	}
	now, last := time.Now().UnixNano(), l.logLast.Load()
	if now-last < int64(capLogEvery) || !l.logLast.CompareAndSwap(last, now) {
		return
	}
	since := n - l.evictedLogd.Swap(n)
	l.log.Warn("http: connection cap reached; closed the longest-waiting idle or slow connections to make room (slow clients or an attack; see RETURNBOT_MAX_CONNS)",
		"max_conns", l.max, "max_conns_per_client", l.perClient, "closed", since)
}

// Close implements net.Conn and frees the connection's place.
func (c *capConn) Close() error {
	c.forget()
	return c.Conn.Close()
}

// closeConn closes the connection for the cap, which has already taken it off the list.
func (c *capConn) closeConn() {
	c.once.Do(func() {})
	_ = c.Conn.Close()
}

// forget takes the connection off the list once.
func (c *capConn) forget() {
	c.once.Do(func() {
		c.l.mu.Lock()
		c.l.removeLocked(c)
		c.l.cond.Broadcast()
		c.l.mu.Unlock()
	})
}
