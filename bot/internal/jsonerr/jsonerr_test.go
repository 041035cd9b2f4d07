package jsonerr_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/returnbot/returnbot/bot/internal/jsonerr"
)

func TestDescribeQuotesNothing(t *testing.T) {
	var v struct {
		Chat struct {
			ID int64 `json:"id"`
		} `json:"chat"`
	}
	for body, want := range map[string]string{
		`{"chat":{"id":"SECRET-4790012345"}}`: "field chat.id: got string, want int64",
		`{"chat":{"id":4790012345.5}}`:        "field chat.id: got number, want int64",
		`{"chat":[1,2]}`:                      "field chat: got array, want struct { ID int64 \"json:\\\"id\\\"\" }",
	} {
		err := json.Unmarshal([]byte(body), &v)
		got := jsonerr.Describe(err)
		if got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
		if strings.Contains(got, "SECRET") || strings.Contains(got, "4790012345") {
			t.Errorf("%s: description quotes the payload: %q", body, got)
		}
	}
	if got := jsonerr.Describe(errors.New(`invalid character 'S' looking for "SECRET"`)); got != "undecodable" {
		t.Errorf("other error: %q", got)
	}
}
