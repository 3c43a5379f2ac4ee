package bound

import (
	"maps"
	"slices"

	"github.com/lychd/lychd/host/lockfile"
)

// Changed compares the Codex in codexDir and the extensions installed in
// extensionsDir with what r was bound from: whether the Codex differs, and
// the extensions installed, removed or upgraded since, sorted. Either
// means a bind is pending.
func (r *Record) Changed(codexDir, extensionsDir string) (codexChanged bool, extensions []string, err error) {
	digest, err := CodexDigest(codexDir)
	if err != nil {
		return false, nil, err
	}
	lock, err := lockfile.Read(extensionsDir)
	if err != nil {
		return false, nil, err
	}
	was := map[string]string{}
	for _, e := range r.Inputs.Extensions {
		was[e.Name] = e.SHA256
	}
	changed := map[string]bool{}
	for name, e := range lock.Extensions {
		if was[name] != e.SHA256 {
			changed[name] = true
		}
	}
	for name := range was {
		if _, ok := lock.Extensions[name]; !ok {
			changed[name] = true
		}
	}
	return digest != r.Inputs.Codex, slices.Sorted(maps.Keys(changed)), nil
}
