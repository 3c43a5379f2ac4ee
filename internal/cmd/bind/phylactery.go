package bind

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/sdk/validate"
)

// phylacteryWarnings warns about the database of an earlier lychd, whose
// Phylactery (PostgreSQL 16) kept its cluster in phylactery/pgdata: the
// postgres 18 image the core's Phylactery now runs keeps its cluster in
// phylactery/18/docker and, on its first start, creates an empty one
// there beside the old, which nobody would notice until the Vessel's data
// is missing. The warning is given until that first start, while the
// running Phylactery (a bind restarts nothing) can still be dumped.
func phylacteryWarnings(p paths.Paths, m *model.Manifest) []string {
	var out []string
	for _, r := range m.Runes {
		if r.Source.Kind != model.SourceCore || r.Name != validate.CorePhylactery {
			continue
		}
		for _, v := range r.Volumes {
			src, rest, _ := strings.Cut(v, ":")
			dst, _, _ := strings.Cut(rest, ":")
			home, ok := strings.CutPrefix(src, "%h/")
			if !ok || dst != "/var/lib/postgresql" {
				continue
			}
			dir := filepath.Join(p.Home, home)
			old, err := os.ReadFile(filepath.Join(dir, "pgdata", "PG_VERSION"))
			if err != nil {
				continue
			}
			if current, _ := filepath.Glob(filepath.Join(dir, "*", "docker", "PG_VERSION")); len(current) > 0 {
				continue
			}
			show := displayHome(p.Home)
			out = append(out, fmt.Sprintf("%s holds the PostgreSQL %s database of an earlier lychd; the Phylactery now runs %s, which keeps its database in %s and starts there with an empty one when it next starts (the old one is left as it is). To keep your data, dump it before the Phylactery restarts: podman exec lychd-phylactery pg_dumpall -U %s > lychd.sql, then restore it as docs/core.md says",
				show(filepath.Join(dir, "pgdata")), strings.TrimSpace(string(old)), r.Image, show(filepath.Join(dir, "18", "docker")), phylacteryUser(r)))
		}
	}
	return out
}

// phylacteryUser is the database superuser the Phylactery's image creates
// (POSTGRES_USER).
func phylacteryUser(r model.Rune) string {
	for _, e := range r.Environment {
		if e.Name == "POSTGRES_USER" {
			return e.Value
		}
	}
	return "postgres"
}
