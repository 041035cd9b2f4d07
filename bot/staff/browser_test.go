package staff_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/handoff"
	"github.com/returnbot/returnbot/bot/handoff/handofftest"
	"github.com/returnbot/returnbot/bot/staff"
	"github.com/returnbot/returnbot/internal/chromium"
)

// browsers starts one headless Chromium and returns a function that opens a page in a browser
// context of its own (its own cookies: another person signed in).
func browsers(t *testing.T) func() context.Context {
	t.Helper()
	browser := chromium.Start(t, 1280, 900)
	return func() context.Context {
		ctx := chromium.Tab(t, browser, 90*time.Second, chromedp.WithNewBrowserContext())
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatalf("opening a browser context: %v", err)
		}
		return ctx
	}
}

func do(t *testing.T, ctx context.Context, step string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("main")))
		t.Fatalf("%s: %v\npage: %.3000s", step, err, html)
	}
}

func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// screenshot saves a PNG: into docs/ when RETURNBOT_DOCS_SCREENSHOTS=1 (to refresh the ones the
// documentation shows), else into $RETURNBOT_ARTIFACTS or the system's temporary directory.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	do(t, ctx, "settle before "+name, chromedp.Sleep(300*time.Millisecond))
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	dir := os.Getenv("RETURNBOT_ARTIFACTS")
	if os.Getenv("RETURNBOT_DOCS_SCREENSHOTS") == "1" {
		dir = filepath.Join("..", "..", "docs")
	} else if dir == "" {
		dir = t.TempDir()
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s (%d bytes)", path, len(png))
}

func signIn(t *testing.T, ctx context.Context, base, name string) {
	t.Helper()
	do(t, ctx, name+" signs in",
		chromedp.Navigate(base+"/staff/"),
		chromedp.WaitVisible(chromedp.ID("login-name")),
		chromedp.SendKeys(chromedp.ID("login-name"), name),
		chromedp.SendKeys(chromedp.ID("login-password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.ID("who")),
	)
	if got := eval[string](t, ctx, `document.getElementById('who-name').textContent`); got != name {
		t.Fatalf("signed in as %q, want %q", got, name)
	}
}

func ticketItem(code string) chromedp.CSS {
	return chromedp.CSS(fmt.Sprintf(`#tickets li[data-code=%q]`, code))
}

// TestBrowserWorkspace: a counsellor and reception signed in at once, in real Chromium. A Dari
// user plans a visit, asks for a counsellor and writes a message with markup; the counsellor sees
// it as text (nothing runs), takes the ticket, replies, sends a canned answer (it reaches the user
// in Dari), hands back and at last closes the ticket; a second counsellor's take is refused with
// who has it; the user's answer arrives live. Reception still sees the visit of the closed ticket
// on the day sheet with the interpreter, looks up the code and marks the arrival. An admin sees the statistics as bar charts.
func TestBrowserWorkspace(t *testing.T) {
	d := newDesk(t)
	stats := staff.NewStats(d.store, oslo(t), nil, nil)
	stats.SetClock(d.clk.now)
	d.office.Bot.Observe(stats)
	d.office.Service.ObserveTickets(stats.Ticket)
	open := browsers(t)
	base := d.http.URL

	// The Dari user, through the engine as a web chat user.
	d.press("u1", "l|fa", "c|counsellor", bot.OptionData("handoff.start", "visit"), "v|2027-03-30", bot.OptionData("handoff.interp", "yes"))
	code := d.codeOf("u1")
	d.press("u1", "c|counsellor", bot.OptionData("handoff.start", "chat"))
	if c := d.codeOf("u1"); c != code {
		t.Fatalf("the chat request opened %s besides the visit %s", c, code)
	}
	hostile := `سلام <script>window.pwned=1</script><img src=x onerror="window.pwned=2"> <b>bold</b>`
	d.say("u1", hostile)

	kari, resa, nils := open(), open(), open()
	signIn(t, kari, base, "kari")
	signIn(t, resa, base, "resa")
	signIn(t, nils, base, "nils")
	if eval[bool](t, resa, `!document.getElementById('tab-inbox').hidden`) || eval[bool](t, kari, `!document.getElementById('tab-reception').hidden`) {
		t.Fatal("a tab of another role is shown")
	}

	do(t, kari, "kari opens the ticket",
		chromedp.WaitVisible(ticketItem(code)),
		chromedp.Click(ticketItem(code)),
		chromedp.WaitVisible(chromedp.CSS(`#conv-messages li.user`)),
	)
	if got := eval[string](t, kari, `document.querySelector('#conv-messages li.user .text').textContent`); got != hostile {
		t.Fatalf("the user's message shows as %q, want the text %q", got, hostile)
	}
	if n := eval[int](t, kari, `document.querySelectorAll('#conv img, #conv script, #conv b').length`); n != 0 {
		t.Fatalf("the user's markup became %d elements", n)
	}
	if pwned := eval[bool](t, kari, `window.pwned !== undefined`); pwned {
		t.Fatal("the user's script ran")
	}
	do(t, nils, "nils opens the same ticket", chromedp.WaitVisible(ticketItem(code)), chromedp.Click(ticketItem(code)),
		chromedp.WaitVisible(chromedp.CSS(`#conv-messages li.user`)))

	do(t, kari, "kari takes it",
		chromedp.Click(chromedp.ID("take")),
		chromedp.Poll[chromedp.Void](`document.getElementById('conv-meta').textContent.indexOf('taken by kari') >= 0`),
	)
	// nils's page hears of it live: the ticket shows taken by kari and Take is off. Pressed
	// anyway (a page that missed the event), the server refuses and says who has it.
	do(t, nils, "nils sees it taken, live",
		chromedp.Poll[chromedp.Void](`document.getElementById('conv-meta').textContent.indexOf('taken by kari') >= 0 && document.getElementById('take').disabled`),
	)
	do(t, nils, "nils's take is refused",
		chromedp.Evaluate[chromedp.Void](`(function(){var b=document.getElementById('take'); b.disabled=false; b.click()})()`),
		chromedp.Poll[chromedp.Void](`document.getElementById('conv-status').textContent.indexOf('Taken by kari') >= 0`),
	)
	if tk, _ := d.office.Service.Lookup(context.Background(), code); tk.Staff != "kari" {
		t.Fatalf("ticket held by %q", tk.Staff)
	}

	do(t, kari, "kari replies",
		chromedp.SendKeys(chromedp.ID("reply-text"), "Salam, I am Kari. <i>not markup</i>"),
		chromedp.Click(chromedp.ID("reply-send")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#conv-messages li.staff').length == 1`),
	)
	// A content message whose Dari first line differs from the English one and is all in Dari
	// script (the user's display isolates Latin runs, which would make the comparison fuzzy).
	cat := handofftest.Content(t).Catalog
	cannedID := ""
	for _, id := range d.office.Service.CannedIDs() {
		fa := firstLine(cat.Text("fa", id, ""))
		if fa != firstLine(cat.Text("en", id, "")) && len([]rune(fa)) > 10 && !strings.ContainsAny(fa, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789{") {
			cannedID = id
			break
		}
	}
	if cannedID == "" {
		t.Fatal("no content message with a Dari line to check")
	}
	do(t, kari, "kari sends a canned answer",
		chromedp.SetValue(chromedp.ID("canned-select"), cannedID),
		chromedp.Click(chromedp.ID("canned-send")),
		chromedp.Poll[chromedp.Void](`document.querySelectorAll('#conv-messages li.staff').length == 2`),
	)
	dari := firstLine(cat.Text("fa", cannedID, ""))
	got := d.out.to("u1")
	if len(got) != 2 || !strings.Contains(got[0].Text, "Salam, I am Kari. <i>not markup</i>") ||
		got[1].Lang != "fa" || !strings.Contains(got[1].Text, dari) || strings.Contains(got[1].Text, firstLine(cat.Text("en", cannedID, ""))) {
		t.Fatalf("the user got %+v; want the reply and the Dari text of %s (%q)", got, cannedID, dari)
	}
	if shown := eval[string](t, kari, `document.querySelectorAll('#conv-messages li.staff .text')[1].textContent`); !strings.Contains(shown, dari) {
		t.Fatalf("the page shows the canned answer as %q", shown)
	}
	d.say("u1", "ممنون")
	do(t, kari, "the user's answer arrives live",
		chromedp.Poll[chromedp.Void](`Array.prototype.some.call(document.querySelectorAll('#conv-messages li.user .text'), function(e){return e.textContent === 'ممنون'})`),
	)
	do(t, kari, "kari adds a note", chromedp.SendKeys(chromedp.ID("note-text"), "needs a Dari interpreter on the 30th"),
		chromedp.Click(chromedp.ID("note-send")), chromedp.WaitVisible(chromedp.CSS(`#conv-notes li`)))
	screenshot(t, kari, "staff-inbox.png")
	do(t, kari, "kari hands back",
		chromedp.Click(chromedp.ID("handback")),
		chromedp.Poll[chromedp.Void](`document.getElementById('conv-meta').textContent.indexOf('open') >= 0`),
	)
	if got := d.out.to("u1"); len(got) != 3 || got[2].Text != cat.Text("fa", bot.MsgStaffDone, "") {
		t.Fatalf("after hand back the user got %+v", got)
	}
	if r := d.say("u1", "/menu"); len(r) == 0 {
		t.Fatal("the bot is silent after hand back")
	}
	// The chat is done: kari closes the ticket, and it leaves the inboxes. The visit it planned
	// stays on its day's sheet (below).
	do(t, kari, "kari closes the ticket",
		chromedp.Click(chromedp.ID("close")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`document.getElementById('conv').hidden && !document.querySelector('#tickets li[data-code=%q]')`, code)),
	)
	do(t, nils, "the closed ticket leaves nils's inbox, live",
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`!document.querySelector('#tickets li[data-code=%q]')`, code)))
	if tk, _ := d.office.Service.Lookup(context.Background(), code); tk.Status != handoff.StatusClosed {
		t.Fatalf("after close the ticket is %q", tk.Status)
	}

	// Reception: the day sheet, a look-up, the arrival.
	do(t, resa, "resa shows the 30th",
		chromedp.SetValue(chromedp.ID("day"), "2027-03-30"),
		chromedp.Click(chromedp.ID("day-load")),
		chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#sheet tr[data-code=%q]`, code))),
	)
	row := eval[string](t, resa, fmt.Sprintf(`document.querySelector('#sheet tr[data-code=%q]').textContent`, code))
	if !strings.Contains(row, "yes (fa)") || !strings.Contains(row, "web") || !strings.Contains(row, "expected") {
		t.Fatalf("day sheet row %q", row)
	}
	if s := eval[string](t, resa, `document.getElementById('interp-summary').textContent`); !strings.Contains(s, "fa × 1") {
		t.Fatalf("interpreters at a glance: %q", s)
	}
	do(t, resa, "resa looks the code up, typed loosely",
		chromedp.SendKeys(chromedp.ID("lookup-code"), strings.ToLower(strings.ReplaceAll(code, "-", " "))),
		chromedp.Click(chromedp.ID("lookup-go")),
		chromedp.WaitVisible(chromedp.ID("lookup-result")),
	)
	if s := eval[string](t, resa, `document.getElementById('lookup-details').textContent`); !strings.Contains(s, code) || !strings.Contains(s, "2027-03-30") {
		t.Fatalf("look-up shows %q", s)
	}
	do(t, resa, "resa marks the arrival",
		chromedp.Click(chromedp.ID("lookup-arrived")),
		chromedp.Poll[chromedp.Void](fmt.Sprintf(`(function(){var r=document.querySelector('#sheet tr[data-code=%q]');return r && r.classList.contains('arrived')})()`, code)),
	)
	if tk, _ := d.office.Service.Lookup(context.Background(), code); tk.Visit != "arrived" {
		t.Fatalf("visit outcome %q", tk.Visit)
	}
	screenshot(t, resa, "staff-reception.png")

	// A few more users so the charts have something to show, then the admin's statistics.
	for i, l := range []string{"ar", "ti", "so", "fa", "ps"} {
		u := fmt.Sprintf("s%d", i)
		d.press(u, "l|"+l, "c|counsellor", bot.OptionData("handoff.start", "visit"), "v|2027-03-31", bot.OptionData("handoff.interp", "yes"))
	}
	if err := stats.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	ada := open()
	signIn(t, ada, base, "ada")
	do(t, ada, "ada opens the statistics",
		chromedp.Click(chromedp.ID("tab-stats")),
		chromedp.SetValue(chromedp.ID("stats-from"), "2027-03-20"),
		chromedp.SetValue(chromedp.ID("stats-to"), "2027-03-24"),
		chromedp.Click(chromedp.ID("stats-load")),
		chromedp.WaitVisible(chromedp.CSS(`#charts .bar`)),
	)
	if s := eval[string](t, ada, `document.getElementById('charts').textContent`); !strings.Contains(s, "Visits") || !strings.Contains(s, "arrived") {
		t.Fatalf("charts: %q", s)
	}
	if href := eval[string](t, ada, `document.getElementById('stats-csv').getAttribute('href')`); !strings.Contains(href, "format=csv") {
		t.Fatalf("CSV link %q", href)
	}
	screenshot(t, ada, "staff-stats.png")
	do(t, ada, "ada signs out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("login-name")))
	screenshot(t, ada, "staff-login.png")
}
