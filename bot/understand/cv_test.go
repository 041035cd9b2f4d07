package understand

import (
	"fmt"
	"os"
	"testing"

	"github.com/returnbot/returnbot/locales"
)

func shippedConfig(t testing.TB) Config {
	t.Helper()
	raw, err := os.ReadFile("../../flows/intents.yaml")
	if err != nil {
		t.Fatal(err)
	}
	in, err := ParseIntents("intents.yaml", raw)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := LoadExamples(locales.FS)
	if err != nil {
		t.Fatal(err)
	}
	return Config{Languages: []string{"en", "nb", "ar", "fa", "ps", "ckb", "ru", "fr", "so", "ti"}, Intents: in, Examples: ex}
}

func TestCrossValidatedReport(t *testing.T) {
	r, err := CrossValidate(shippedConfig(t), 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Keys(r.Topic) {
		t.Logf("%-4s topic %5.1f%% lang %5.1f%% crisis recall %5.1f%% false alarms %5.1f%% (look-alikes %5.1f%%)", l,
			r.Topic[l].Pct(), r.Lang[l].Pct(), r.Recall[l].Pct(), 100-r.FalseAlarm[l].Pct(), 100-pctOf(r.LookAlikeAlarm[l]))
	}
	if os.Getenv("CV_VERBOSE") != "" {
		for k, n := range r.Confusions {
			if n > 1 {
				fmt.Println(n, k[0], "->", k[1])
			}
		}
	}
}

func pctOf(s *Score) float64 {
	if s == nil {
		return 100
	}
	return s.Pct()
}
