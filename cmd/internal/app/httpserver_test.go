package app

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// quickLimits are the serve limits shortened so the tests of slow clients take a second, not
// minutes; the mechanisms are the same.
var quickLimits = httpLimits{
	ReadHeader: 300 * time.Millisecond,
	Read:       600 * time.Millisecond,
	Write:      2 * time.Second,
	Idle:       500 * time.Millisecond,
	MaxConns:   8,
}

// testServer serves a mux like serve's (GET /healthz; POST /body reads its body; POST /block
// waits until release is called) on a real loopback socket with lim.
func testServer(t testing.TB, lim httpLimits) (addr string, capped *connCap, release func()) {
	t.Helper()
	unblock := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("POST /body", func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadAll(r.Body); err != nil {
			http.Error(w, "cannot read body", http.StatusBadRequest)
			return
		}
		fmt.Fprintln(w, "read")
	})
	mux.HandleFunc("POST /block", func(w http.ResponseWriter, _ *http.Request) {
		<-unblock
		fmt.Fprintln(w, "done")
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv, capped := newHTTPServer(mux, ln, lim, slog.New(slog.NewJSONHandler(io.Discard, nil)))
	go func() { _ = srv.Serve(capped) }()
	var once sync.Once
	release = func() { once.Do(func() { close(unblock) }) }
	t.Cleanup(func() { release(); srv.Close() })
	return ln.Addr().String(), capped, release
}

// dial opens a raw connection to addr.
func dial(t testing.TB, addr string) net.Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// dribble writes s one byte every gap until it is written, the connection fails or stop is closed;
// it returns the write error, if any.
func dribble(c net.Conn, s string, gap time.Duration, stop <-chan struct{}) error {
	for i := 0; i < len(s); i++ {
		if _, err := c.Write([]byte{s[i]}); err != nil {
			return err
		}
		select {
		case <-stop:
			return nil
		case <-time.After(gap):
		}
	}
	return nil
}

// closedWithin reads c until the server closes it and reports how long that took, or fails the
// test when it is still open after limit.
func closedWithin(t *testing.T, c net.Conn, limit time.Duration, what string) time.Duration {
	t.Helper()
	start := time.Now()
	c.SetReadDeadline(start.Add(limit))
	_, err := io.Copy(io.Discard, c)
	took := time.Since(start)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("%s: the connection is still open after %v", what, limit)
	}
	return took
}

// TestSlowHeadersCut: a client that dribbles its request headers is cut off at ReadHeader.
func TestSlowHeadersCut(t *testing.T) {
	addr, _, _ := testServer(t, quickLimits)
	c := dial(t, addr)
	stop := make(chan struct{})
	defer close(stop)
	go dribble(c, "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "+strings.Repeat("a", 1000), 20*time.Millisecond, stop)
	took := closedWithin(t, c, quickLimits.ReadHeader+2*time.Second, "dribbled headers")
	t.Logf("dribbled headers cut after %v (ReadHeader %v)", took, quickLimits.ReadHeader)
}

// TestSlowBodyCut: a client that sends its headers and then dribbles a large body is cut off at
// Read — at 30 s in serve, whatever the body's length.
func TestSlowBodyCut(t *testing.T) {
	addr, _, _ := testServer(t, quickLimits)
	c := dial(t, addr)
	if _, err := io.WriteString(c, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	go dribble(c, strings.Repeat("{", 100000), 20*time.Millisecond, stop)
	took := closedWithin(t, c, quickLimits.Read+2*time.Second, "dribbled body")
	t.Logf("dribbled body cut after %v (Read %v)", took, quickLimits.Read)
}

// TestIdleKeepAliveClosed: a keep-alive connection that sends no second request is closed at Idle.
func TestIdleKeepAliveClosed(t *testing.T) {
	addr, _, _ := testServer(t, quickLimits)
	c := dial(t, addr)
	if _, err := io.WriteString(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.Close {
		t.Fatalf("first request: %d, close %v; want 200 keep-alive", resp.StatusCode, resp.Close)
	}
	start := time.Now()
	c.SetReadDeadline(start.Add(quickLimits.Idle + 2*time.Second))
	if _, err := br.ReadByte(); err == nil {
		t.Fatal("the server sent bytes on an idle connection")
	} else if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the idle keep-alive connection is still open after %v", time.Since(start))
	}
	t.Logf("idle keep-alive closed after %v (Idle %v)", time.Since(start), quickLimits.Idle)
}

// TestConnCapUnderSlowloris: many connections dribbling headers never hold more than MaxConns;
// each newcomer pushes out the longest-waiting slow one, so a health check still answers, and a
// request in progress is never the one closed.
func TestConnCapUnderSlowloris(t *testing.T) {
	addr, capped, release := testServer(t, quickLimits)

	// A healthy request in progress, sent before the attack.
	busy := dial(t, addr)
	if _, err := io.WriteString(busy, "POST /block HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}"); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the blocking request to be in progress", func() bool { return capped.inState(http.StateActive) == 1 })

	stop := make(chan struct{})
	defer close(stop)
	const attackers = 40
	for range attackers {
		c := dial(t, addr)
		go dribble(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "+strings.Repeat("a", 1000), 50*time.Millisecond, stop)
	}
	maxOpen := 0
	for range 20 {
		maxOpen = max(maxOpen, capped.Open())
		time.Sleep(5 * time.Millisecond)
	}
	waitFor(t, "the cap to close slow connections", func() bool { return capped.Evicted() >= int64(attackers-quickLimits.MaxConns+1) })

	// The health check gets in while the attack goes on.
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 5 {
		resp, err := hc.Get("http://" + addr + "/healthz")
		if err != nil {
			t.Fatalf("health check %d during the attack: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("health check %d during the attack: %d", i, resp.StatusCode)
		}
		maxOpen = max(maxOpen, capped.Open())
	}
	if maxOpen > quickLimits.MaxConns {
		t.Errorf("%d connections held at once; the cap is %d", maxOpen, quickLimits.MaxConns)
	}

	// The request in progress was not pushed out.
	release()
	busy.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(busy), nil)
	if err != nil {
		t.Fatalf("the request in progress was cut off by the attack: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the request in progress answered %d", resp.StatusCode)
	}
	t.Logf("%d slow connections against a cap of %d: at most %d held, %d closed to make room",
		attackers, quickLimits.MaxConns, maxOpen, capped.Evicted())
}

// TestConnCapWaitsWhenAllBusy: when every connection is in a request none is closed; the newcomer
// is served as soon as one ends.
func TestConnCapWaitsWhenAllBusy(t *testing.T) {
	lim := quickLimits
	lim.MaxConns = 2
	addr, capped, release := testServer(t, lim)
	for range lim.MaxConns {
		c := dial(t, addr)
		if _, err := io.WriteString(c, "POST /block HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "both requests in progress", func() bool { return capped.inState(http.StateActive) == lim.MaxConns })
	done := make(chan error, 1)
	go func() {
		resp, err := (&http.Client{Timeout: 5 * time.Second}).Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	select {
	case err := <-done:
		t.Fatalf("a third connection was served while both places were in requests (err %v)", err)
	case <-time.After(200 * time.Millisecond):
	}
	if capped.Evicted() != 0 {
		t.Fatalf("%d requests in progress were closed", capped.Evicted())
	}
	release()
	if err := <-done; err != nil {
		t.Fatalf("the waiting connection was not served once the requests ended: %v", err)
	}
}

// TestConnCapPerClient: one client that dribbles request bodies keeps its connections in a
// request, where the cap cannot close them to make room; it holds at most its share of the
// places, so a health check from another address still answers at once. (Loopback counts as a
// client here: CountLocal.)
func TestConnCapPerClient(t *testing.T) {
	lim := quickLimits
	lim.Read = 20 * time.Second // the dribblers are not cut off during the test
	lim.MaxConnsPerClient, lim.CountLocal = 4, true
	addr, capped, _ := testServer(t, lim)
	stop := make(chan struct{})
	defer close(stop)
	for range 20 {
		c := dial(t, addr)
		if _, err := io.WriteString(c, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"); err != nil {
			t.Fatal(err)
		}
		go dribble(c, strings.Repeat("{", 100000), 50*time.Millisecond, stop)
	}
	time.Sleep(200 * time.Millisecond)
	if n := capped.inState(http.StateActive); n > lim.MaxConnsPerClient {
		t.Errorf("one client holds %d places in requests; its share is %d", n, lim.MaxConnsPerClient)
	}
	// Another address (127.0.0.2 is loopback too on Linux).
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}}
	hc := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DialContext: d.DialContext, DisableKeepAlives: true}}
	resp, err := hc.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatalf("health check from another address while one client dribbles bodies: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("health check: %d", resp.StatusCode)
	}
	// On a busy machine the server may not have read the first requests' headers when the later
	// connections arrived (those were not yet refused): newcomers keep coming until one is.
	for deadline := time.Now().Add(10 * time.Second); capped.refusedTo.Load() == 0 && time.Now().Before(deadline); {
		c := dial(t, addr)
		_, _ = io.WriteString(c, "POST /body HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n")
		time.Sleep(50 * time.Millisecond)
	}
	if capped.refusedTo.Load() == 0 {
		t.Error("no newcomer of the dribbling client was refused")
	}
}

// TestMaxConnsFromEnv: RETURNBOT_MAX_CONNS is a positive number; unset is the default.
func TestMaxConnsFromEnv(t *testing.T) {
	for v, want := range map[string]int{"": DefaultMaxConns, "64": 64, " 2048 ": 2048, "0": -1, "-3": -1, "many": -1} {
		got, err := maxConnsFromEnv(func(string) string { return v }, DefaultMaxConns)
		if want < 0 {
			if err == nil || !strings.Contains(err.Error(), "RETURNBOT_MAX_CONNS") {
				t.Errorf("%q: %d, %v; want an error naming RETURNBOT_MAX_CONNS", v, got, err)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", v, got, err, want)
		}
	}
}

// TestServeCapsConnections: serve itself holds at most RETURNBOT_MAX_CONNS connections under a
// slowloris attack, and its health check still answers.
func TestServeCapsConnections(t *testing.T) {
	rb := startMain(t, "RETURNBOT_MAX_CONNS=4")
	base, stderr := rb.base, rb.stderr
	addr := strings.TrimPrefix(base, "http://")
	stop := make(chan struct{})
	defer close(stop)
	var conns []net.Conn
	for range 20 {
		c := dial(t, addr)
		conns = append(conns, c)
		go dribble(c, "GET / HTTP/1.1\r\nHost: x\r\nX-Slow: "+strings.Repeat("a", 1000), 100*time.Millisecond, stop)
	}
	time.Sleep(300 * time.Millisecond)
	if code, body := get(t, base+"/healthz"); code != 200 || !strings.Contains(body, "ok") {
		t.Fatalf("health check during the attack: %d %q", code, body)
	}
	// The server closed all but the newest few attackers' sockets; their next reads see it.
	closed := 0
	for _, c := range conns {
		c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.Read(make([]byte, 1)); err != nil {
			if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
				closed++
			}
		}
	}
	if closed < len(conns)-4 {
		t.Errorf("the server closed %d of %d slow connections; with a cap of 4 it holds at most 4", closed, len(conns))
	}
	for _, c := range conns {
		c.Close() // or shutdown would wait 5 s for them
	}
	rb.stop(t)
	if !strings.Contains(stderr.String(), "connection cap reached") {
		t.Errorf("the log does not say the cap was reached:\n%s", stderr.String())
	}
}

// inState counts the connections in state s.
func (l *connCap) inState(s http.ConnState) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for c := range l.conns {
		if c.state == s {
			n++
		}
	}
	return n
}

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// BenchmarkSlowloris runs serve as its own process, opens 2,000 connections that send a request
// line and one header and then wait, as a slowloris client does, and reports how many sockets the
// server holds ("conns_held", from its own /proc/<pid>/fd) and how much its resident memory grew
// ("MB_rss"). "capped" is serve with its defaults. "uncapped" sets RETURNBOT_MAX_CONNS far above
// the attack: that is the server before the cap, whose only limit was ReadHeaderTimeout (10 s,
// which a client beats by reconnecting) and which held a dribbled body for good.
func BenchmarkSlowloris(b *testing.B) {
	const attackers = 2000
	if n := openFileLimit(); n < attackers+100 {
		b.Skipf("the open-file limit (%d) is below the %d sockets the benchmark needs", n, attackers+100)
	}
	for _, c := range []struct{ name, maxConns string }{
		{"uncapped", "1000000"},
		{"capped", ""},
	} {
		b.Run(c.name, func(b *testing.B) {
			if b.N > 10 {
				// One op is a whole attack on a fresh process (about a second): a figure, not a
				// speed, and the short pass of scripts/test (-benchtime 200x) would take minutes.
				b.Skip("one op is a 2,000-connection attack; run with -benchtime 3x")
			}
			for range b.N {
				base, cmd, _ := startServe(b, "RETURNBOT_MAX_CONNS="+c.maxConns)
				addr := strings.TrimPrefix(base, "http://")
				fdsBefore, rssBefore := procUsage(b, cmd.Process.Pid)
				conns := make([]net.Conn, 0, attackers)
				for range attackers {
					cn, err := net.Dial("tcp", addr)
					if err != nil {
						b.Fatal(err)
					}
					io.WriteString(cn, "GET / HTTP/1.1\r\nHost: x\r\n")
					conns = append(conns, cn)
				}
				time.Sleep(500 * time.Millisecond) // let the server read what came
				fds, rss := procUsage(b, cmd.Process.Pid)
				for _, cn := range conns {
					cn.Close()
				}
				b.ReportMetric(float64(fds-fdsBefore), "conns_held")
				b.ReportMetric(float64(rss-rssBefore)/1024, "MB_rss")
			}
		})
	}
}

// procUsage is the number of open files and the resident memory in KB of process pid.
func procUsage(t testing.TB, pid int) (fds, rssKB int) {
	t.Helper()
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, l := range strings.Split(string(status), "\n") {
		if v, ok := strings.CutPrefix(l, "VmRSS:"); ok {
			fmt.Sscan(v, &rssKB)
		}
	}
	return len(ents), rssKB
}

// openFileLimit is the process's limit of open files, from /proc (0 when unknown).
func openFileLimit() int {
	b, err := os.ReadFile("/proc/self/limits")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if f := strings.Fields(l); len(f) >= 4 && strings.HasPrefix(l, "Max open files") {
			var n int
			fmt.Sscan(f[3], &n)
			return n
		}
	}
	return 0
}
