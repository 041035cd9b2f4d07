package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/returnbot/returnbot/bot/flow"
)

// i18nCmd serves translators: `returnbot i18n missing --lang CODE` writes the messages a language
// lacks, with the source text, as a go-i18n JSON file to fill in.
func i18nCmd(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "missing" {
		fmt.Fprintln(stderr, "usage: returnbot i18n missing --lang CODE [--source CODE] [--flows DIR] [--locales DIR]")
		return 2
	}
	fl := flag.NewFlagSet("i18n missing", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var cf contentFlags
	cf.register(fl)
	code := fl.String("lang", "", "language to list untranslated messages for (required)")
	source := fl.String("source", "", "language of the source texts (default: the first shipped language)")
	if err := fl.Parse(args[1:]); err != nil {
		return 2
	}
	if *code == "" {
		fmt.Fprintln(stderr, "returnbot i18n missing: --lang is required")
		return 2
	}
	pack, err := cf.load()
	if pack == nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	cat := pack.Catalog
	if *source == "" {
		*source = cat.Default()
	}
	src := cat.Files()[*source]
	if src == nil {
		fmt.Fprintf(stderr, "returnbot i18n missing: no locale file for source language %q\n", *source)
		return 1
	}
	missing := map[string]string{}
	for _, id := range flow.UsedMessages(pack.Content) {
		if !cat.Has(*code, id) && cat.Has(*source, id) {
			missing[id] = cat.Source(*source, id)
		}
	}
	ids := make([]string, 0, len(missing))
	for id := range missing {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	// Written by hand so the IDs stay in order and texts stay readable (no HTML escaping).
	fmt.Fprintln(stdout, "{")
	for i, id := range ids {
		k, _ := json.Marshal(id)
		v := mustJSON(missing[id])
		sep := ","
		if i == len(ids)-1 {
			sep = ""
		}
		fmt.Fprintf(stdout, "  %s: %s%s\n", k, v, sep)
	}
	fmt.Fprintln(stdout, "}")
	fmt.Fprintf(stderr, "%d messages missing in %s\n", len(ids), *code)
	return 0
}

// mustJSON encodes a string as JSON without escaping <, > and & (texts stay readable).
func mustJSON(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}
