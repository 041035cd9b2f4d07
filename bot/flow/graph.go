package flow

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/returnbot/returnbot/bot"
	"github.com/returnbot/returnbot/bot/lang"
)

// Graph writes the flows (all, or the one named) as a Mermaid flowchart, labelled in a language.
func Graph(w io.Writer, c *bot.Content, cat *lang.Catalog, code, only string) error {
	if only != "" && c.Flows[only] == nil {
		return fmt.Errorf("no flow %q", only)
	}
	id := func(ref string) string { return strings.ReplaceAll(ref, ".", "__") }
	quote := func(s string) string {
		s = strings.NewReplacer(`"`, "#quot;", "\n", " ").Replace(s)
		if r := []rune(s); len(r) > 40 {
			s = string(r[:39]) + "…"
		}
		return `"` + s + `"`
	}
	var b strings.Builder
	b.WriteString("flowchart TD\n")
	for _, f := range sortedFlows(c) {
		if only != "" && f.ID != only {
			continue
		}
		fmt.Fprintf(&b, "  subgraph %s[%s]\n", f.ID, quote(f.ID))
		for _, n := range sortedNodes(f) {
			title := n.ID
			if len(n.Say) > 0 {
				title = cat.Text(code, n.Say[0], "")
			}
			fmt.Fprintf(&b, "    %s[%s]\n", id(n.Ref()), quote(title))
		}
		b.WriteString("  end\n")
		for _, n := range sortedNodes(f) {
			for _, o := range n.Options {
				fmt.Fprintf(&b, "  %s -- %s --> %s\n", id(n.Ref()), quote(cat.Text(code, o.Label, "")), id(c.Resolve(f.ID, o.Goto)))
			}
			for _, cs := range n.Branch {
				fmt.Fprintf(&b, "  %s -. %s .-> %s\n", id(n.Ref()), quote(when(cs.When)), id(c.Resolve(f.ID, cs.Goto)))
			}
			if n.Next != "" {
				fmt.Fprintf(&b, "  %s --> %s\n", id(n.Ref()), id(c.Resolve(f.ID, n.Next)))
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func when(m map[string]string) string {
	if len(m) == 0 {
		return "otherwise"
	}
	parts := make([]string, 0, len(m))
	for k, v := range m {
		parts = append(parts, k+"="+v)
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}
