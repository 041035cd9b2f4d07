package telegram

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/returnbot/returnbot/bot"
)

// Texts of the bot's Telegram profile, per language: the description shown to a user before
// they press Start, and the short one on the bot's profile page and in shared links.
const (
	MsgDescription      = "telegram.description"
	MsgShortDescription = "telegram.short_description"
)

// Limits the Bot API sets on profile texts, in characters.
const (
	MaxDescription      = 512
	MaxShortDescription = 120
	MaxCommandText      = 256
)

// CommandTexts names, for each global command (bot.Commands), the message that describes it in
// the command menu: the words of the buttons that do the same.
var CommandTexts = map[string]string{
	"start": bot.MsgStartOver, "menu": bot.MsgMenu, "back": bot.MsgBack, "language": bot.MsgLanguageChange,
	"counsellor": "nav.talk", "forget": "privacy.opt_erase",
}

// Command is one entry of the command menu (BotCommand).
type Command struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

// Profile is what Telegram shows about the bot to users of one interface language.
type Profile struct {
	// Lang is the Telegram language_code ("" for everybody without a profile of their own).
	Lang             string
	Commands         []Command
	Description      string
	ShortDescription string
}

// Profiles builds the profile for every shipped language with a Telegram language code (the
// two-letter ISO 639-1 codes: Sorani, ckb, has none and is left out) and the default profile
// in the catalogue's first language, for every other interface language.
func Profiles(l bot.Language) []Profile {
	langs := l.Languages()
	if len(langs) == 0 {
		return nil
	}
	out := []Profile{profile(l, langs[0], "")}
	for _, code := range langs {
		if len(code) == 2 {
			out = append(out, profile(l, code, code))
		}
	}
	return out
}

func profile(l bot.Language, lang, tgCode string) Profile {
	p := Profile{
		Lang:             tgCode,
		Description:      cut(l.Text(lang, MsgDescription, ""), MaxDescription),
		ShortDescription: cut(l.Text(lang, MsgShortDescription, ""), MaxShortDescription),
	}
	for _, name := range bot.Commands {
		id, ok := CommandTexts[name]
		text := name
		if ok {
			if t := l.Text(lang, id, ""); t != id && t != "" {
				text = t
			}
		}
		p.Commands = append(p.Commands, Command{Command: name, Description: cut(text, MaxCommandText)})
	}
	return p
}

// cut shortens s to at most n characters.
func cut(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// ProfileChanges counts what a profile sync set (the rest was already as wanted).
type ProfileChanges struct {
	Commands, Descriptions, ShortDescriptions int
}

// SyncProfiles makes the bot's command menu, description and short description in every
// language what the locale files say. It reads each first (getMyCommands, getMyDescription,
// getMyShortDescription) and sets only what differs, so replicas starting together and
// restarts do not rewrite the profile (Telegram limits how often it may change).
func (c *Adapter) SyncProfiles(ctx context.Context) (ProfileChanges, error) {
	a := c.api.Load()
	if a == nil {
		return ProfileChanges{}, fmt.Errorf("telegram: not connected")
	}
	return syncProfiles(ctx, a, Profiles(c.cfg.Bot.Engine().Language()))
}

func syncProfiles(ctx context.Context, a *api, profiles []Profile) (ProfileChanges, error) {
	var ch ProfileChanges
	call := func(method string, params map[string]any, out any) error {
		body, err := json.Marshal(params)
		if err != nil {
			return err
		}
		resp, err := a.postFor(ctx, method, body, out != nil)
		if err != nil {
			return fmt.Errorf("telegram: %s: %w", method, scrub(err, a.token))
		}
		if out != nil {
			return json.Unmarshal(resp.Result, out)
		}
		return nil
	}
	for _, p := range profiles {
		lang := map[string]any{}
		if p.Lang != "" {
			lang["language_code"] = p.Lang
		}
		with := func(k string, v any) map[string]any {
			m := map[string]any{k: v}
			for k, v := range lang {
				m[k] = v
			}
			return m
		}
		var cmds []Command
		if err := call("getMyCommands", lang, &cmds); err != nil {
			return ch, err
		}
		if !slices.Equal(cmds, p.Commands) {
			if err := call("setMyCommands", with("commands", p.Commands), nil); err != nil {
				return ch, err
			}
			ch.Commands++
		}
		var d struct {
			Description      string `json:"description"`
			ShortDescription string `json:"short_description"`
		}
		if err := call("getMyDescription", lang, &d); err != nil {
			return ch, err
		}
		if d.Description != p.Description {
			if err := call("setMyDescription", with("description", p.Description), nil); err != nil {
				return ch, err
			}
			ch.Descriptions++
		}
		if err := call("getMyShortDescription", lang, &d); err != nil {
			return ch, err
		}
		if d.ShortDescription != p.ShortDescription {
			if err := call("setMyShortDescription", with("short_description", p.ShortDescription), nil); err != nil {
				return ch, err
			}
			ch.ShortDescriptions++
		}
	}
	return ch, nil
}

// startupProfiles runs SyncProfiles once at start-up, beside the updates: a failure is logged
// and costs nothing but an out-of-date menu until the next start.
func (c *Adapter) startupProfiles(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	ch, err := c.SyncProfiles(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.log.Warn("telegram: could not set the bot's profile (commands, descriptions)", "err", err)
		}
		return
	}
	// One count: log keys are checked against users' texts and ids, and stay plain.
	c.log.Info("telegram: profile checked", "changed", ch.Commands+ch.Descriptions+ch.ShortDescriptions)
}
