package app

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/telegram"
	"github.com/returnbot/returnbot/bot/telegram/telegramtest"
)

// TestReplicas runs three `returnbot serve` processes in webhook mode on one redis-server and
// one fake Bot API. A driver sends every user's updates round-robin across the replicas, with 5%
// redelivered (to another replica) and bursts of updates of one user sent at once. Afterwards
// each user's replies and session must be exactly what one process produces for the same updates
// in the order they were taken: nothing lost, nothing twice, nothing out of order.
func TestReplicas(t *testing.T) {
	r := newReplicaRun(t, newTelegramReplicas(t), replicasSize(replicaSize{users: 60, updatesPerUser: 20}), false, evalQuestions(t))
	r.drive(nil)
	r.stop()
	r.verify()
}

// TestReplicasFaults is TestReplicas with faults: redis-server is killed (SIGKILL) and restarted
// a second later, and the fake Bot API answers 429 and then 500 for a while. Updates that meet
// the outage are answered 503 and delivered again, as Telegram does, until they get through:
// every update is still acted on exactly once, in order, and every reply delivered, in order per
// chat; users caught by the outage get the outage notice, at most once per replica.
func TestReplicasFaults(t *testing.T) {
	tg := newTelegramReplicas(t)
	r := newReplicaRun(t, tg, replicasSize(replicaSize{users: 40, updatesPerUser: 20}), true, evalQuestions(t))
	r.drive(func(progress float64, once map[string]bool) {
		if progress >= 0.3 && !once["redis"] {
			once["redis"] = true
			r.redis.Kill()
			t.Logf("redis-server killed at %.0f%% of the updates", progress*100)
			time.Sleep(time.Second)
			r.redis.Restart()
			t.Logf("redis-server restarted")
		}
		if progress >= 0.6 && !once["api"] {
			once["api"] = true
			tg.srv.Fail("sendMessage", 0, 40, telegramtest.Fault{Code: 429, RetryAfter: 1})
			tg.srv.Fail("sendMessage", 0, 40, telegramtest.Fault{Code: 500})
			t.Logf("fake Bot API: 40 answers 429, then 40 answers 500")
		}
	})
	r.stop()
	r.verify()
}

// TestReplicasStall freezes redis-server (SIGSTOP) for five seconds in the middle of the run, then
// lets it go on: writes sent to the frozen server time out and are applied when it wakes. Every
// update is still acted on exactly once, in order: one that met the stall is answered 503 and
// delivered again, and one whose write was applied after its answer was lost is settled by the
// replica that sent it (its redelivery elsewhere is a duplicate).
func TestReplicasStall(t *testing.T) {
	r := newReplicaRun(t, newTelegramReplicas(t), replicasSize(replicaSize{users: 40, updatesPerUser: 20}), true, evalQuestions(t))
	var paused, resumed time.Time
	r.drive(func(progress float64, once map[string]bool) {
		if progress >= 0.3 && !once["redis"] {
			once["redis"] = true
			r.redis.Pause()
			paused = time.Now()
			t.Logf("redis-server stopped (SIGSTOP) at %.0f%% of the updates", progress*100)
			time.Sleep(5 * time.Second)
			r.redis.Resume()
			resumed = time.Now()
			t.Logf("redis-server continued (SIGCONT)")
		}
	})
	r.stop()
	r.verify()
	during := 0
	for _, u := range r.users {
		for _, s := range u.steps {
			for _, up := range s {
				if at := up.posted.Load(); at >= paused.UnixNano() && at < resumed.UnixNano() {
					during++
				}
			}
		}
	}
	if !t.Failed() {
		t.Logf("stall: %d updates first delivered during the 5 s SIGSTOP, all acted on exactly once and in order; "+
			"%d deliveries answered other than 200 and delivered again", during, r.retried.Load())
	}
}

// replicaHook is the replicas' Telegram webhook secret.
const replicaHook = "replicas_hook_secret"

// telegramReplicas is the Telegram side of a replicas run: webhooks with the secret header,
// the fake Bot API.
type telegramReplicas struct{ srv *telegramtest.Server }

func newTelegramReplicas(t *testing.T) *telegramReplicas {
	return &telegramReplicas{srv: telegramtest.NewServer(t)}
}

func (*telegramReplicas) name() string { return telegram.Channel }

func (tg *telegramReplicas) env(addr string) (string, []string) {
	hook := "http://" + addr + "/tg/hook"
	return hook, []string{"TELEGRAM_TOKEN=" + telegramtest.Token, "TELEGRAM_API_ENDPOINT=" + tg.srv.Endpoint(),
		"TELEGRAM_WEBHOOK_URL=" + hook, "TELEGRAM_WEBHOOK_SECRET=" + replicaHook,
		"TELEGRAM_RATE_GLOBAL=20000", "TELEGRAM_RATE_CHAT=1000"}
}

// started waits for every replica's setWebhook.
func (tg *telegramReplicas) started(t *testing.T, n int) {
	tg.srv.WaitFor(20*time.Second, "every replica's webhook", func(calls []telegramtest.Call) bool {
		k := 0
		for _, c := range calls {
			if c.Method == "setWebhook" {
				k++
			}
		}
		return k >= n
	})
}

func (*telegramReplicas) userID(i int, _ string) string { return strconv.Itoa(7_000_000 + i) }

func chatOf(u *simUser) int64 { n, _ := strconv.ParseInt(u.id, 10, 64); return n }

func (*telegramReplicas) message(id int64, u *simUser, text string) []byte {
	return simMessage(id, chatOf(u), u.lang, text)
}

func (*telegramReplicas) press(id int64, u *simUser, data string) []byte {
	return simPress(id, chatOf(u), u.lang, "q"+strconv.FormatInt(id, 10), data)
}

func (*telegramReplicas) authorize(req *http.Request, _ []byte) {
	req.Header.Set(telegram.SecretHeader, replicaHook)
}

// accepted runs the method in a webhook's answer, as Telegram does.
func (tg *telegramReplicas) accepted(answer []byte) { tg.srv.Respond(answer) }

func (*telegramReplicas) event(u *simUser, up *simUpdate) bot.Event {
	ev := bot.Event{Channel: telegram.Channel, Lang: u.lang}
	if up.data != "" {
		ev.Kind, ev.Data = bot.KindChoice, up.data
	} else {
		ev.Kind, ev.Text = bot.KindText, up.text
	}
	return ev
}

func (*telegramReplicas) rendered(u *simUser, replies []bot.Reply) []sentMsg {
	var out []sentMsg
	for _, m := range telegram.Render(chatOf(u), replies) {
		switch v := m.(type) {
		case tgbotapi.MessageConfig:
			out = append(out, sentMsg{"sendMessage", v.Text})
		case tgbotapi.VenueConfig:
			out = append(out, sentMsg{"sendVenue", v.Title})
		default:
			out = append(out, sentMsg{fmt.Sprintf("%T", m), ""})
		}
	}
	return out
}

func (tg *telegramReplicas) sent(u *simUser) []sentMsg {
	var out []sentMsg
	for _, c := range tg.srv.Sent(chatOf(u)) {
		text := c.Params["text"]
		if c.Method == "sendVenue" {
			text = c.Params["title"]
		}
		out = append(out, sentMsg{c.Method, text})
	}
	return out
}

func (tg *telegramReplicas) calls() int { return len(tg.srv.Calls()) }

// check: every callback query answered once.
func (tg *telegramReplicas) check(r *replicaRun) {
	// Every callback query answered once (with faults, a press may go unanswered: the answer
	// gave up on 500s); never twice, redelivered or not.
	answers := map[string]int{}
	for _, c := range tg.srv.Calls("answerCallbackQuery") {
		if c.Status == http.StatusOK {
			answers[c.Params["callback_query_id"]]++
		}
	}
	pressed, twice := 0, 0
	for _, u := range r.users {
		for _, s := range u.steps {
			for _, up := range s {
				if up.data == "" {
					continue
				}
				pressed++
				if k := answers["q"+strconv.FormatInt(up.id, 10)]; k > 1 || !r.faults && k != 1 {
					twice++
				}
			}
		}
	}
	if twice > 0 {
		r.t.Errorf("%d of %d button presses were answered other than once", twice, pressed)
	}
}

func simMessage(id, chat int64, lang, text string) []byte {
	b, _ := json.Marshal(map[string]any{
		"update_id": id,
		"message": map[string]any{
			"message_id": id, "date": time.Now().Unix(), "text": text,
			"from": map[string]any{"id": chat, "is_bot": false, "first_name": "Sim", "language_code": lang},
			"chat": map[string]any{"id": chat, "first_name": "Sim", "type": "private"},
		},
	})
	return b
}

func simPress(id, chat int64, lang, query, data string) []byte {
	b, _ := json.Marshal(map[string]any{
		"update_id": id,
		"callback_query": map[string]any{
			"id": query, "chat_instance": "1", "data": data,
			"from": map[string]any{"id": chat, "is_bot": false, "first_name": "Sim", "language_code": lang},
			"message": map[string]any{
				"message_id": 1, "date": time.Now().Unix(), "text": "menu",
				"chat": map[string]any{"id": chat, "first_name": "Sim", "type": "private"},
			},
		},
	})
	return b
}
