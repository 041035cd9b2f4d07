package app

import (
	"errors"
	"io/fs"
	"os"
	"sort"

	"github.com/returnbot/returnbot/audio"
	bataudio "github.com/returnbot/returnbot/bot/audio"
	"github.com/returnbot/returnbot/bot/flow"
)

// AudioFS is the built-in recordings, or the directory that replaces them (RETURNBOT_AUDIO).
func AudioFS(dir string) fs.FS {
	if dir != "" {
		return os.DirFS(dir)
	}
	return audio.FS
}

// LoadAudio reads and checks the recordings of dir (empty: built in) against the content: a
// shipped language, a message that exists, Ogg Opus within the limits. Problems are
// audio/<lang>/<file>: reason.
func LoadAudio(dir string, pack *flow.Pack) (*bataudio.Library, []bataudio.Problem) {
	return bataudio.Load(AudioFS(dir), AudioCatalog(pack))
}

// AudioCatalog is what recordings are checked against: the pack's languages, its messages (in
// the language or in the default one, which fills in), and the texts pages say.
func AudioCatalog(pack *flow.Pack) bataudio.Catalog {
	cat := pack.Catalog
	said := map[string]bool{}
	for _, f := range pack.Content.Flows {
		for _, n := range f.Nodes {
			for _, id := range n.Say {
				said[id] = true
			}
		}
	}
	ids := make([]string, 0, len(said))
	for id := range said {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return bataudio.Catalog{
		Languages: cat.Languages(),
		Known:     func(lang, id string) bool { return cat.Has(lang, id) || cat.Has(cat.Default(), id) },
		Said:      ids,
	}
}

// audioErrors joins problems one per line.
func audioErrors(probs []bataudio.Problem) error {
	errs := make([]error, len(probs))
	for i, p := range probs {
		errs[i] = p
	}
	return errors.Join(errs...)
}

// audioIDs is where channels keep the platform ids of uploaded recordings: the shared store
// with Redis (so replicas upload each recording once), else nil, the channel's own memory.
func audioIDs(d deps) bataudio.IDStore {
	if s, ok := d.store.(bataudio.IDStore); ok {
		return s
	}
	return nil
}
