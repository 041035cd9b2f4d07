package app

import (
	"context"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

// shutdownGrace bounds how long in-flight work may take after SIGTERM.
const shutdownGrace = 10 * time.Second

// Serve runs the bot built from cfg until SIGINT or SIGTERM, or until the HTTP server or a
// channel fails, and returns the exit code: Main.Run, the signal, Main.Close. What stops the
// start is printed to stderr as "returnbot: ...".
func Serve(cfg Config, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Config: cfg, Stdout: stdout, Stderr: stderr}
	if err := m.Run(ctx); err != nil {
		io.WriteString(stderr, "returnbot: "+err.Error()+"\n")
		return 1
	}
	code := 0
	select {
	case <-ctx.Done():
	case err := <-m.Err():
		m.Log().Error("stopping after a fatal error", "err", err)
		code = 1
		stop()
	}
	_ = m.Close()
	return code
}

// NewLogger logs JSON at the level named by RETURNBOT_LOG_LEVEL (debug, info, warn, error).
func NewLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		l = slog.LevelInfo
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

// staffChatConfigured reports whether staff can answer chats: today only through the Telegram
// staff group, which needs the bot token and the group's id.
func staffChatConfigured(cfg Config) bool {
	return strings.TrimSpace(cfg.env("TELEGRAM_TOKEN")) != "" && strings.TrimSpace(cfg.env("TELEGRAM_STAFF_CHAT_ID")) != ""
}
