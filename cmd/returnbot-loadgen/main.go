// Command returnbot-loadgen drives the real bot (content, Redis store, handoff, Telegram channel
// in webhook mode, built by the same Main as `returnbot serve`) with synthetic users against a
// fake Bot API, all in this process on loopback, and prints what it measured. It is kept out of
// the production binary.
//
//	go run ./cmd/returnbot-loadgen --baseline --rounds 4
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/flow"
	rstore "github.com/returnbot/returnbot/bot/redis"
	"github.com/returnbot/returnbot/cmd/internal/app"
	"github.com/returnbot/returnbot/loadgen"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run parses the flags, runs the rounds and prints the report; --baseline measures the floor
// handler too. It returns the exit code.
func run(args []string, stdout, stderr io.Writer) int {
	fl := flag.NewFlagSet("returnbot-loadgen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	flowsDir := fl.String("flows", os.Getenv("RETURNBOT_FLOWS"), "directory of flow files replacing the built-in ones (RETURNBOT_FLOWS)")
	localesDir := fl.String("locales", os.Getenv("RETURNBOT_LOCALES"), "directory of locale files replacing the built-in ones (RETURNBOT_LOCALES)")
	var lc loadgen.Config
	fl.IntVar(&lc.Users, "users", 500, "synthetic users, each in its own chat")
	fl.Float64Var(&lc.Rate, "rate", 0, "updates per second (open loop); 0 sends as fast as the bot answers (closed loop)")
	fl.DurationVar(&lc.Duration, "duration", 10*time.Second, "measured time")
	fl.DurationVar(&lc.Warmup, "warmup", 2*time.Second, "time run before measuring, left out of the figures")
	fl.IntVar(&lc.Conns, "conns", 40, "concurrent webhook requests at most, as Telegram's max_connections")
	fl.DurationVar(&lc.ReplyWait, "reply-wait", time.Second, "how long a user waits for the bot's reply before acting again")
	var seed int64
	fl.Int64Var(&seed, "seed", 0, "seed for the users' choices (0: random)")
	baseline := fl.Bool("baseline", false, "also measure the floor handler (parse, one Redis GET and SET, one sendMessage) and print returnbot/floor")
	asJSON := fl.Bool("json", false, "print the report as JSON")
	redisURL := fl.String("redis", os.Getenv("REDIS_URL"), "Redis to use (REDIS_URL); empty starts a private redis-server for the run")
	globalRate := fl.Float64("global-rate", 100000, "the bot's Telegram pacing during the run, messages per second overall")
	chatRate := fl.Float64("chat-rate", 1000, "the bot's Telegram pacing during the run, messages per second per chat")
	rounds := fl.Int("rounds", 1, "measure this many times (each for --duration) and report over all; with --baseline, returnbot and the floor alternate which goes first")
	cpuProfile := fl.String("cpuprofile", "", "write a CPU profile of returnbot's (first) run to this file")
	memProfile := fl.String("memprofile", "", "write an allocation profile of returnbot's (first) run to this file")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if fl.NArg() > 0 || lc.Users < 1 || lc.Rate < 0 || lc.Duration <= 0 || lc.Warmup < 0 || lc.Conns < 1 || *globalRate <= 0 || *chatRate <= 0 || *rounds < 1 {
		fmt.Fprintln(stderr, "returnbot-loadgen: --users, --conns and --rounds must be at least 1, --duration, --global-rate and --chat-rate positive, --rate and --warmup not negative")
		return 2
	}
	lc.Seed = uint64(seed)
	level := os.Getenv("RETURNBOT_LOG_LEVEL")
	if level == "" {
		level = "warn" // the figures are the output; info would add start-up lines
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	fail := func(err error) int {
		fmt.Fprintln(stderr, "returnbot-loadgen:", err)
		return 1
	}

	pack, err := app.LoadContent(*flowsDir, *localesDir, bot.DefaultSessionTTL)
	if err != nil {
		fmt.Fprintln(stderr, "returnbot-loadgen: the content has errors:")
		fmt.Fprintln(stderr, err)
		return 1
	}
	measured := fmt.Sprintf("%v measured after %v warm-up", lc.Duration, lc.Warmup)
	if *rounds > 1 {
		measured = fmt.Sprintf("%d rounds of %v measured after %v warm-up each", *rounds, lc.Duration, lc.Warmup)
	}
	setup := []string{fmt.Sprintf("returnbot-loadgen: %d users, %s, %s, at most %d webhook connections; %d CPUs (GOMAXPROCS %d)",
		lc.Users, mode(lc.Rate), measured, lc.Conns, runtime.NumCPU(), runtime.GOMAXPROCS(0))}
	if *redisURL == "" {
		rs, err := loadgen.StartRedis(ctx)
		if err != nil {
			return fail(err)
		}
		defer rs.Stop()
		*redisURL = rs.URL
		setup = append(setup, "Redis: a private redis-server started for this run on "+rs.URL[len("redis://"):]+", stopped at the end ("+rs.Version+")")
	} else {
		client, err := rstore.NewClient(*redisURL)
		if err != nil {
			return fail(err)
		}
		setup = append(setup, "Redis: "+client.Options().Addr+" (shared: other clients' commands count too)")
		client.Close()
	}
	setup = append(setup, fmt.Sprintf("Telegram pacing of the bot: %g messages/s overall, %g per chat; the fake Bot API answers at once",
		*globalRate, *chatRate))
	api, err := loadgen.StartFakeAPI()
	if err != nil {
		return fail(err)
	}
	defer api.Close()
	info, err := rstore.NewClient(*redisURL)
	if err != nil {
		return fail(err)
	}
	defer info.Close()
	lc.Redis = info

	// runBot measures the bot once, on a bot started for this round: a drained channel does not
	// start again. The profiles cover the first round.
	runBot := func(profile bool) (*loadgen.Result, error) {
		target, closeBot, err := startLoadBot(ctx, pack, level, stderr, *redisURL, api, *globalRate, *chatRate)
		if err != nil {
			return nil, err
		}
		defer closeBot()
		if profile && *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return nil, err
			}
			defer pprof.StopCPUProfile()
		}
		if profile && *memProfile != "" {
			prev := runtime.MemProfileRate
			runtime.MemProfileRate = 64 << 10 // finer than the default, for a short run
			defer func() { runtime.MemProfileRate = prev }()
		}
		res, err := loadgen.Run(ctx, lc, api, target)
		if err != nil || !profile || *memProfile == "" {
			return res, err
		}
		f, err := os.Create(*memProfile)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		return res, pprof.Lookup("allocs").WriteTo(f, 0)
	}
	runFloor := func() (*loadgen.Result, error) {
		target, closeFloor, err := startFloor(*redisURL, api)
		if err != nil {
			return nil, err
		}
		defer closeFloor()
		return loadgen.Run(ctx, lc, api, target)
	}
	// Rounds alternate which goes first (returnbot, floor; floor, returnbot; ...), so that a
	// machine getting busier or quieter during the run weighs on both alike.
	var bots, floors []*loadgen.Result
	for i := range *rounds {
		steps := []func() error{func() error {
			res, err := runBot(i == 0)
			bots = append(bots, res)
			return err
		}}
		if *baseline {
			floor := func() error {
				res, err := runFloor()
				floors = append(floors, res)
				return err
			}
			if i%2 == 1 {
				steps = append([]func() error{floor}, steps...)
			} else {
				steps = append(steps, floor)
			}
		}
		for _, step := range steps {
			if err := step(); err != nil {
				return fail(err)
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if ctx.Err() != nil {
		return fail(errors.New("interrupted"))
	}
	rep := loadgen.NewRoundsReport(setup, bots, floors)
	if *asJSON {
		err = rep.WriteJSON(stdout)
	} else {
		err = rep.WriteText(stdout)
	}
	if err != nil {
		return fail(err)
	}
	for _, r := range rep.Results {
		if !r.OK() {
			fmt.Fprintf(stderr, "returnbot-loadgen: %s: not every update was handled or not every reply delivered (see above)\n", r.Name)
			return 1
		}
	}
	return 0
}

func mode(rate float64) string {
	if rate == 0 {
		return "closed loop (as fast as answered)"
	}
	return "open loop at " + strconv.FormatFloat(rate, 'f', -1, 64) + " updates/s"
}

// startLoadBot builds the bot with app.Main, as serve does, with the Telegram channel in webhook
// mode on a loopback port and the fake Bot API as its endpoint, and returns it as a load target
// once it has set its webhook. The returned function stops whatever is still running.
func startLoadBot(ctx context.Context, pack *flow.Pack, logLevel string, stderr io.Writer, redisURL string, api *loadgen.FakeAPI, globalRate, chatRate float64) (loadgen.Target, func(), error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return loadgen.Target{}, nil, err
	}
	// The bot reads only these: nothing from the environment (a staff chat, a real token, the
	// web chat) leaks into a load run. The secret is random: a run's data is thrown away.
	env := map[string]string{
		"REDIS_URL":               redisURL,
		"RETURNBOT_SECRET":        randomHex(32),
		"RETURNBOT_LOG_LEVEL":     logLevel,
		"RETURNBOT_WEBCHAT":       "off",
		"TELEGRAM_TOKEN":          loadgen.Token,
		"TELEGRAM_API_ENDPOINT":   api.Endpoint(),
		"TELEGRAM_WEBHOOK_URL":    "http://" + ln.Addr().String() + "/telegram/webhook",
		"TELEGRAM_WEBHOOK_SECRET": randomHex(16),
		"TELEGRAM_RATE_GLOBAL":    strconv.FormatFloat(globalRate, 'f', -1, 64),
		"TELEGRAM_RATE_CHAT":      strconv.FormatFloat(chatRate, 'f', -1, 64),
	}
	cfg, err := app.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		ln.Close()
		return loadgen.Target{}, nil, err
	}
	m := &app.Main{Config: cfg, Listener: ln, Pack: pack, Stderr: stderr}
	if err := m.Run(ctx); err != nil {
		ln.Close()
		return loadgen.Target{}, nil, err
	}
	// There is no staff chat, so, as in serve, "chat now" is not offered: users who press the
	// handoff's button are offered the phone and a visit (issue 19).
	var calls func() int64
	if c, ok := m.Store().(interface {
		Client() goredis.UniversalClient
	}); ok {
		calls = loadgen.CountCalls(c.Client()).Load
	}
	ad := m.Telegram()
	closeAll := func() { _ = m.Close() }

	wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	url := env["TELEGRAM_WEBHOOK_URL"]
	secret, err := api.Webhook(wctx, url)
	if err != nil {
		closeAll()
		return loadgen.Target{}, nil, err
	}
	drain := func(ctx context.Context) (int64, int64, error) {
		// Closing the bot stops the HTTP server, then the channel's intake, and sends what is
		// queued (within its drain bound); the channel's counters are final once Close returns.
		done := make(chan struct{})
		go func() { closeAll(); close(done) }()
		select {
		case <-done:
		case <-ctx.Done():
			return 0, 0, errors.New("the Telegram channel did not stop in time")
		}
		st := ad.Stats()
		select {
		case err := <-m.Err(): // the HTTP server or the channel failed
			return st.Sent, st.Undeliverable, err
		default:
			return st.Sent, st.Undeliverable, nil
		}
	}
	return loadgen.Target{Name: "returnbot", URL: url, Secret: secret, Drain: drain, Calls: calls}, closeAll, nil
}

// startFloor serves the floor handler on a loopback port, with a Redis client made as the bot's
// is, and returns it as a load target.
func startFloor(redisURL string, api *loadgen.FakeAPI) (loadgen.Target, func(), error) {
	client, err := rstore.NewClient(redisURL)
	if err != nil {
		return loadgen.Target{}, nil, err
	}
	calls := loadgen.CountCalls(client)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		client.Close()
		return loadgen.Target{}, nil, err
	}
	secret := randomHex(16)
	floor := loadgen.NewFloor(client, api.Endpoint(), secret)
	mux := http.NewServeMux()
	mux.Handle("POST /floor/webhook", floor)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	closeAll := func() {
		_ = srv.Close()
		_ = client.Close()
	}
	return loadgen.Target{
		Name: "floor", URL: "http://" + ln.Addr().String() + "/floor/webhook", Secret: secret,
		Drain: floor.Drain, Calls: calls.Load,
	}, closeAll, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
