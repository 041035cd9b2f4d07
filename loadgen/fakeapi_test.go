package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

func startAPI(t *testing.T) *FakeAPI {
	t.Helper()
	api, err := StartFakeAPI()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { api.Close() })
	return api
}

// The bot library the channel uses must read FakeAPI's answers as Telegram's.
func TestFakeAPISpeaksTheBotAPI(t *testing.T) {
	api := startAPI(t)
	b, err := tgbotapi.NewBotAPIWithAPIEndpoint(Token, api.Endpoint())
	if err != nil {
		t.Fatalf("getMe: %v", err)
	}
	if b.Self.UserName != "returnbot_loadgen_bot" || !b.Self.IsBot {
		t.Errorf("getMe gave %+v", b.Self)
	}

	m := tgbotapi.NewMessage(4242, "Hello — مرحبا")
	m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Office", "contact")),
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Money", "support")),
	)
	sent, err := b.Send(m)
	if err != nil {
		t.Fatalf("sendMessage: %v", err)
	}
	if sent.Chat.ID != 4242 || sent.Text != "Hello — مرحبا" || sent.MessageID == 0 || sent.From == nil || !sent.From.IsBot {
		t.Errorf("sendMessage result %+v", sent)
	}
	if sent.ReplyMarkup == nil || len(sent.ReplyMarkup.InlineKeyboard) != 2 {
		t.Errorf("reply_markup not echoed: %+v", sent.ReplyMarkup)
	}
	kb, msgID, text, markup, seq := api.Chat(4242).Keyboard()
	if len(kb) != 2 || kb[0] != (Button{"Office", "contact"}) || kb[1].Data != "support" {
		t.Errorf("keyboard kept %+v", kb)
	}
	if msgID != int64(sent.MessageID) || text != "Hello — مرحبا" || seq != 1 || !json.Valid([]byte(markup)) {
		t.Errorf("keyboard message: id %d (sent %d), text %q, seq %d, markup %q", msgID, sent.MessageID, text, seq, markup)
	}

	v, err := b.Send(tgbotapi.NewVenue(4242, "IOM Oslo", "Storgata 1", 59.91, 10.75))
	if err != nil || v.Venue == nil || v.Venue.Title != "IOM Oslo" || v.Location == nil || v.Location.Latitude != 59.91 {
		t.Errorf("sendVenue: %+v, %v", v.Venue, err)
	}
	if _, err := b.Request(tgbotapi.NewCallback("123", "")); err != nil {
		t.Errorf("answerCallbackQuery: %v", err)
	}
	if got := api.Chat(4242).Messages(); got != 2 {
		t.Errorf("chat received %d messages, want 2", got)
	}
	c := api.Counts()
	if c.Messages != 2 || c.Callbacks != 1 || c.Rejected != 0 {
		t.Errorf("counts %+v", c)
	}
}

// What Telegram refuses, FakeAPI refuses with the Bot API's error object.
func TestFakeAPIRefusesWhatTelegramRefuses(t *testing.T) {
	api := startAPI(t)
	b, err := tgbotapi.NewBotAPIWithAPIEndpoint(Token, api.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	long := tgbotapi.NewMessage(1, "x")
	long.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(tgbotapi.NewInlineKeyboardRow(
		tgbotapi.NewInlineKeyboardButtonData("Too long", strings.Repeat("d", 65))))
	for name, c := range map[string]tgbotapi.Chattable{
		"empty text":         tgbotapi.NewMessage(1, "  "),
		"too long text":      tgbotapi.NewMessage(1, strings.Repeat("a", 4097)),
		"long callback data": long,
		"no callback id":     tgbotapi.NewCallback("", ""),
	} {
		_, err := b.Request(c)
		var te *tgbotapi.Error
		if !errors.As(err, &te) || te.Code != 400 {
			t.Errorf("%s: got %v, want a 400 Bot API error", name, err)
		}
	}
	if _, err := tgbotapi.NewBotAPIWithAPIEndpoint("1:wrong", api.Endpoint()); err == nil {
		t.Error("a wrong token was accepted")
	}
	if got := api.Counts(); got.Rejected != 5 || got.Messages != 0 {
		t.Errorf("counts %+v, want 5 rejected and no messages", got)
	}
	if _, _, _, _, seq := api.Chat(1).Keyboard(); seq != 0 {
		t.Error("a refused message's keyboard was kept")
	}
}

// Webhook hands over what the bot registered, as Telegram would deliver with it, once the bot
// asked for that URL: a second bot's setWebhook replaces the first one's.
func TestFakeAPIWebhook(t *testing.T) {
	api := startAPI(t)
	waitShort := func(url string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		return api.Webhook(ctx, url)
	}
	if _, err := waitShort("http://127.0.0.1:1/hook"); err == nil {
		t.Error("Webhook returned before any setWebhook")
	}
	b, err := tgbotapi.NewBotAPIWithAPIEndpoint(Token, api.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	set := func(url, secret string) {
		if _, err := b.MakeRequest("setWebhook", tgbotapi.Params{"url": url, "secret_token": secret}); err != nil {
			t.Fatal(err)
		}
	}
	set("http://127.0.0.1:1/hook", "s3cret")
	if secret, err := waitShort("http://127.0.0.1:1/hook"); err != nil || secret != "s3cret" {
		t.Errorf("Webhook() = %q, %v", secret, err)
	}
	if _, err := waitShort("http://127.0.0.1:2/hook"); err == nil {
		t.Error("Webhook returned for a URL no bot set")
	}
	done := make(chan string, 1)
	go func() {
		secret, _ := api.Webhook(context.Background(), "http://127.0.0.1:2/hook")
		done <- secret
	}()
	set("http://127.0.0.1:2/hook", "other")
	select {
	case secret := <-done:
		if secret != "other" {
			t.Errorf("second bot's secret %q", secret)
		}
	case <-time.After(5 * time.Second):
		t.Error("Webhook did not see the second setWebhook")
	}
}

// A JSON body (as some libraries send) is read as well as a form.
func TestFakeAPIReadsJSON(t *testing.T) {
	api := startAPI(t)
	body := `{"chat_id":77,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`
	resp, err := http.Post(strings.Replace(strings.Replace(api.Endpoint(), "%s", Token, 1), "%s", "sendMessage", 1),
		"application/json", bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ans struct {
		OK     bool             `json:"ok"`
		Result tgbotapi.Message `json:"result"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || !ans.OK || ans.Result.Chat.ID != 77 {
		t.Fatalf("answer %+v, %v", ans, err)
	}
	if kb, _, _, _, _ := api.Chat(77).Keyboard(); len(kb) != 1 || kb[0].Data != "a" {
		t.Errorf("keyboard %+v", kb)
	}
}

// A user's updates decode as the library's Update, start with /start and then press buttons
// of the last keyboard.
func TestUsersWalkTheKeyboard(t *testing.T) {
	api := startAPI(t)
	var ids atomic.Int64
	ids.Store(1000)
	u := newUser(5_000_000_001, 3, api, 1, &ids)

	body, seq := u.next()
	var up tgbotapi.Update
	if err := json.Unmarshal(body, &up); err != nil {
		t.Fatal(err)
	}
	if up.UpdateID != 1001 || up.Message == nil || !up.Message.IsCommand() || up.Message.Command() != "start" ||
		up.Message.Chat.ID != u.id || up.Message.Chat.Type != "private" || up.Message.From.ID != u.id || seq != 0 {
		t.Fatalf("first update %s", body)
	}

	b, err := tgbotapi.NewBotAPIWithAPIEndpoint(Token, api.Endpoint())
	if err != nil {
		t.Fatal(err)
	}
	m := tgbotapi.NewMessage(u.id, "Main menu\n\"quoted\"")
	m.ReplyMarkup = tgbotapi.NewInlineKeyboardMarkup(
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Return", "main.menu:return")),
		tgbotapi.NewInlineKeyboardRow(tgbotapi.NewInlineKeyboardButtonData("Office", "main.menu:contact")),
	)
	sent, err := b.Send(m)
	if err != nil {
		t.Fatal(err)
	}
	if !u.chat.WaitKeyboard(0, time.Second) {
		t.Fatal("WaitKeyboard missed the keyboard")
	}
	if u.chat.WaitKeyboard(1, 10*time.Millisecond) {
		t.Fatal("WaitKeyboard saw a keyboard that was not sent")
	}

	kinds := map[string]int{}
	for range 400 {
		body, seq := u.next()
		if seq != 1 {
			t.Fatalf("chosen against keyboard %d, want 1", seq)
		}
		var up tgbotapi.Update
		if err := json.Unmarshal(body, &up); err != nil {
			t.Fatal(err)
		}
		switch {
		case up.CallbackQuery != nil:
			q := up.CallbackQuery
			if q.Data != "main.menu:return" && q.Data != "main.menu:contact" {
				t.Fatalf("pressed %q, not a button of the keyboard", q.Data)
			}
			if q.Message == nil || q.Message.MessageID != sent.MessageID || q.Message.Chat.ID != u.id || q.From.ID != u.id || q.ID == "" ||
				q.From.LanguageCode != u.lang || q.From.FirstName != u.name || q.ChatInstance == "" || !q.Message.From.IsBot {
				t.Fatalf("callback query %s", body)
			}
			// The pressed-on message comes back as it was sent, text and keyboard.
			if q.Message.Text != "Main menu\n\"quoted\"" || q.Message.ReplyMarkup == nil || len(q.Message.ReplyMarkup.InlineKeyboard) != 2 ||
				q.Message.ReplyMarkup.InlineKeyboard[1][0].Text != "Office" {
				t.Fatalf("pressed-on message %s", body)
			}
			kinds["press"]++
		case up.Message != nil && up.Message.IsCommand():
			kinds[up.Message.Command()]++
		case up.Message != nil && up.Message.Text != "":
			kinds["text"]++
		default:
			t.Fatalf("unexpected update %s", body)
		}
	}
	if kinds["press"] < 250 || kinds["text"] == 0 || kinds["menu"] == 0 {
		t.Errorf("mix of actions %v: mostly presses, some typing and /menu expected", kinds)
	}
}

// A method in a webhook's response is run as Telegram runs it, and counted apart; a response
// without one, or with one Telegram would refuse, adds no answer.
func TestFakeAPIRunsMethodsFromWebhookResponses(t *testing.T) {
	api := startAPI(t)
	for _, body := range []string{
		``, `OK`, `{}`, `{"method":""}`, `{"method":"answerCallbackQuery"}`, `{"method":"../getMe"}`,
		`{"method":"answerCallbackQuery","callback_query_id":"77"}`,
		`{"method":"sendMessage","chat_id":5,"text":"hi","reply_markup":{"inline_keyboard":[[{"text":"A","callback_data":"a"}]]}}`,
	} {
		api.Respond([]byte(body))
	}
	c := api.Counts()
	if c.Callbacks != 1 || c.Messages != 1 || c.Rejected != 1 || c.InResponse != 3 {
		t.Errorf("counts %+v: want 1 callback answer, 1 message, 1 rejected, 3 in responses", c)
	}
	if kb, _, _, _, _ := api.Chat(5).Keyboard(); len(kb) != 1 || kb[0].Data != "a" {
		t.Errorf("keyboard of a message sent in a response: %+v", kb)
	}
}
