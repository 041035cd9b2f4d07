// Command returnbot is the chatbot for assisted voluntary return: one binary that serves the
// channels (serve), talks in the terminal (chat), and checks and draws content (validate, graph).
// This package only parses flags; cmd/internal/app builds and runs the bot. The load generator is
// its own command, cmd/returnbot-loadgen, kept out of this binary.
package main

import (
	"fmt"
	"io"
	"os"
)

const usage = `returnbot: a chatbot for assisted voluntary return

Usage:
  returnbot [serve]              run the bot (channels from the environment; see README)
  returnbot chat [flags]         talk to the bot in the terminal, one message per line
  returnbot validate [flags]     check flows and locales; prints coverage per language
  returnbot graph [flags]        print the flows as a Mermaid flowchart
  returnbot understand [--lang L] "text"   language guess and the top three intents with scores
  returnbot eval FILE.tsv        accuracy of lang<TAB>intent-or-node<TAB>text lines per language and intent
  returnbot i18n missing --lang CODE   untranslated messages with their source text, as JSON
  returnbot posters --out DIR [--source NAME]   printable A4 posters with QR codes, one per language
  returnbot staff add NAME --role ROLE | list | remove NAME   staff workspace accounts (Redis)

Run 'returnbot COMMAND -h' for a command's flags.
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run dispatches a command line and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "serve"
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return serveCmd(args, stdout, stderr)
	case "chat":
		return chatCmd(args, stdin, stdout, stderr)
	case "validate":
		return validateCmd(args, stdout, stderr)
	case "graph":
		return graphCmd(args, stdout, stderr)
	case "understand":
		return understandCmd(args, stdout, stderr)
	case "eval":
		return evalCmd(args, stdout, stderr)
	case "i18n":
		return i18nCmd(args, stdout, stderr)
	case "posters":
		return postersCmd(args, stdout, stderr)
	case "staff":
		return staffCmd(args, stdin, stdout, stderr)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "returnbot: unknown command %q\n\n%s", cmd, usage)
		return 2
	}
}
