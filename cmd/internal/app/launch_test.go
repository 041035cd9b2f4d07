package app

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/returnbot/returnbot/bot/flow"
	"github.com/returnbot/returnbot/internal/syncbuf"
)

// testBot is a Main running in the test process, with its output kept whole.
type testBot struct {
	*Main
	// base is the server's URL, http://127.0.0.1:port.
	base           string
	stdout, stderr *syncbuf.Buffer
}

// startMain runs the bot in this process as serve does (ConfigFromEnv, Main.Run) with env, a
// list of NAME=value, and nothing else from the environment: channels not named are off. With no
// RETURNBOT_ADDR it listens on a free loopback port. The bot is closed at the end of the test.
func startMain(t testing.TB, env ...string) *testBot {
	t.Helper()
	b, err := launch(t, nil, env...)
	if err != nil {
		t.Fatalf("the bot did not start: %v; stderr:\n%s", err, b.stderr.String())
	}
	return b
}

// launchMain is startMain for tests of start-up errors: it returns what Run (or ConfigFromEnv)
// refused, with the output so far.
func launchMain(t testing.TB, env ...string) (*testBot, error) {
	t.Helper()
	return launch(t, nil, env...)
}

// launch is launchMain with the content already loaded (pack; nil: loaded as serve loads it),
// for tests that time what comes after.
func launch(t testing.TB, pack *flow.Pack, env ...string) (*testBot, error) {
	t.Helper()
	vars := map[string]string{"RETURNBOT_ADDR": "127.0.0.1:0"}
	for _, kv := range env {
		k, v, _ := strings.Cut(kv, "=")
		vars[k] = v
	}
	b := &testBot{Main: &Main{}, stdout: &syncbuf.Buffer{}, stderr: &syncbuf.Buffer{}}
	cfg, err := ConfigFromEnv(func(k string) string { return vars[k] })
	if err != nil {
		return b, err
	}
	// Anything logged past the bot's own logger (slog.Default, the log package) lands in its
	// stderr as text, not JSON, as it did when serve ran as a process: the log tests catch it.
	prev := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(b.stderr, nil)))
	t.Cleanup(func() { slog.SetDefault(prev) })
	b.Main = &Main{Config: cfg, Stdout: b.stdout, Stderr: b.stderr, Pack: pack}
	// No deadline of its own: Run bounds the wait for Redis (redisStartupWait), and loading the
	// content takes seconds more on a busy machine.
	if err := b.Run(context.Background()); err != nil {
		return b, err
	}
	b.base = "http://" + b.Addr()
	t.Cleanup(func() { _ = b.Close() })
	return b, nil
}

// stop closes the bot as serve does on SIGTERM, within the 15 s the process tests allowed.
func (b *testBot) stop(t testing.TB) {
	t.Helper()
	done := make(chan struct{})
	go func() { _ = b.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatalf("the bot did not stop within 15s; stderr:\n%s", b.stderr.String())
	}
}
