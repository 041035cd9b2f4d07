package telegramtest

import (
	"encoding/json"
	"net/http"
	"regexp"
	"unicode/utf8"
)

// Profile is the bot's profile in one language as the fake server holds it.
type Profile struct {
	Commands         []BotCommand
	Description      string
	ShortDescription string
}

// BotCommand is the Bot API's BotCommand.
type BotCommand struct {
	Command     string `json:"command"`
	Description string `json:"description"`
}

var (
	commandRe  = regexp.MustCompile(`^[a-z0-9_]{1,32}$`)
	langCodeRe = regexp.MustCompile(`^([a-z]{2})?$`)
)

// ProfileOf returns the profile set for a language_code ("" for the default one).
func (s *Server) ProfileOf(lang string) Profile {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.profiles[lang]
}

// SetProfile sets a profile as if it had been set before (by an earlier run or BotFather).
func (s *Server) SetProfile(lang string, p Profile) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.profiles == nil {
		s.profiles = map[string]Profile{}
	}
	s.profiles[lang] = p
}

// profile answers getMyCommands, setMyCommands, getMyDescription, setMyDescription,
// getMyShortDescription and setMyShortDescription with the Bot API's checks: language_code is
// empty or two lower-case letters; commands are 1–32 of a-z, 0-9 and _, with descriptions of
// 1–256 characters, at most 100 of them; a description at most 512 characters, a short one 120.
func (s *Server) profile(w http.ResponseWriter, method string, p map[string]string) (int, bool) {
	lang := p["language_code"]
	switch method {
	case "getMyCommands", "setMyCommands", "getMyDescription", "setMyDescription", "getMyShortDescription", "setMyShortDescription":
	default:
		return 0, false
	}
	if !langCodeRe.MatchString(lang) {
		return writeErr(w, Fault{Code: 400, Description: "Bad Request: language code \"" + lang + "\" is invalid"}), true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.profiles == nil {
		s.profiles = map[string]Profile{}
	}
	cur := s.profiles[lang]
	switch method {
	case "getMyCommands":
		if cur.Commands == nil {
			return writeOK(w, []BotCommand{}), true
		}
		return writeOK(w, cur.Commands), true
	case "getMyDescription":
		return writeOK(w, map[string]string{"description": cur.Description}), true
	case "getMyShortDescription":
		return writeOK(w, map[string]string{"short_description": cur.ShortDescription}), true
	case "setMyCommands":
		var cmds []BotCommand
		if err := json.Unmarshal([]byte(p["commands"]), &cmds); err != nil {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: can't parse commands JSON object"}), true
		}
		if len(cmds) > 100 {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: too many commands specified"}), true
		}
		for _, c := range cmds {
			n := utf8.RuneCountInString(c.Description)
			if !commandRe.MatchString(c.Command) || n < 1 || n > 256 {
				return writeErr(w, Fault{Code: 400, Description: "Bad Request: BOT_COMMAND_INVALID"}), true
			}
		}
		cur.Commands = cmds
	case "setMyDescription":
		if utf8.RuneCountInString(p["description"]) > 512 {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: description is too long"}), true
		}
		cur.Description = p["description"]
	case "setMyShortDescription":
		if utf8.RuneCountInString(p["short_description"]) > 120 {
			return writeErr(w, Fault{Code: 400, Description: "Bad Request: short description is too long"}), true
		}
		cur.ShortDescription = p["short_description"]
	}
	s.profiles[lang] = cur
	return writeTrue(w, ""), true
}
