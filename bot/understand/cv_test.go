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

// Floors for 5-fold cross-validation on the shipped examples (models alone, without the keyword
// lists), measured as in docs/flows.md (73% topic, 98% language; crisis recall 90%, helped 95%,
// false alarms 3.3%, on look-alikes 9.5%; the weakest language 71%, 98%, 85%, 91%, 4.0%, 14.5%);
// they leave room for new examples, not for a worse model.
// The crisis decision has two bands: the safety page (recall, and alarms on harmless messages,
// look-alikes alone too) and the help numbers before the answer (helped: either band).
const (
	floorTopic, floorTopicLang   = 68.0, 65.0
	floorLangID                  = 93.0
	floorRecall, floorRecallLang = 85.0, 78.0
	floorHelped, floorHelpedLang = 92.0, 87.0
	ceilAlarm, ceilAlarmLang     = 5.0, 7.0
	ceilLook, ceilLookLang       = 12.0, 18.0
)

// TestCrossValidatedReport checks that the models, tested on examples they were not trained
// on, keep their accuracy: topic, language, and the crisis decision's recall and false alarms,
// on look-alikes too, overall and in every language.
func TestCrossValidatedReport(t *testing.T) {
	r, err := CrossValidate(shippedConfig(t), 5)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range Keys(r.Topic) {
		t.Logf("%-4s topic %5.1f%% lang %5.1f%% crisis recall %5.1f%% (helped %5.1f%%) false alarms %5.1f%% (look-alikes %5.1f%%)", l,
			r.Topic[l].Pct(), r.Lang[l].Pct(), pctOf(r.Recall[l]), pctOf(r.Helped[l]), 100-pctOf(r.FalseAlarm[l]), 100-pctOf(r.LookAlikeAlarm[l]))
		if p := r.Topic[l].Pct(); p < floorTopicLang {
			t.Errorf("%s: cross-validated topic accuracy %.1f%% is below %.0f%%", l, p, floorTopicLang)
		}
		if p := r.Lang[l].Pct(); p < floorLangID {
			t.Errorf("%s: cross-validated language accuracy %.1f%% is below %.0f%%", l, p, floorLangID)
		}
		if s := r.Recall[l]; s == nil || s.Pct() < floorRecallLang {
			t.Errorf("%s: cross-validated crisis recall %.1f%% is below %.0f%%", l, pctOf(s), floorRecallLang)
		}
		if s := r.Helped[l]; s == nil || s.Pct() < floorHelpedLang {
			t.Errorf("%s: cross-validated crisis examples given the help numbers %.1f%% are below %.0f%%", l, pctOf(s), floorHelpedLang)
		}
		if p := 100 - pctOf(r.FalseAlarm[l]); p > ceilAlarmLang {
			t.Errorf("%s: cross-validated false alarms %.1f%% are above %.0f%%", l, p, ceilAlarmLang)
		}
		if s := r.LookAlikeAlarm[l]; s == nil || 100-s.Pct() > ceilLookLang {
			t.Errorf("%s: cross-validated false alarms on look-alikes %.1f%% are above %.0f%%", l, 100-pctOf(s), ceilLookLang)
		}
	}
	if p := Sum(r.Topic).Pct(); p < floorTopic {
		t.Errorf("cross-validated topic accuracy %.1f%% is below %.0f%%", p, floorTopic)
	}
	if rec := Sum(r.Recall); rec.Pct() < floorRecall {
		t.Errorf("cross-validated crisis recall %.1f%% is below %.0f%%", rec.Pct(), floorRecall)
	}
	if h := Sum(r.Helped); h.Pct() < floorHelped {
		t.Errorf("cross-validated crisis examples given the help numbers %.1f%% are below %.0f%%", h.Pct(), floorHelped)
	}
	if p := 100 - Sum(r.FalseAlarm).Pct(); p > ceilAlarm {
		t.Errorf("cross-validated false alarms %.1f%% are above %.0f%%", p, ceilAlarm)
	}
	if p := 100 - Sum(r.LookAlikeAlarm).Pct(); p > ceilLook {
		t.Errorf("cross-validated false alarms on look-alikes %.1f%% are above %.0f%%", p, ceilLook)
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
