package bind

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"sort"
	"time"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/paths"
)

// printLogs writes to w, for `lychd bind -v`, what each extension wrote
// during its last launch: for res's extensions after a successful
// assimilation (a cached one's from the launch that filled the cache),
// for every installed extension launched since start after a failed one.
func printLogs(w io.Writer, p paths.Paths, res *host.Result, start time.Time) {
	dir := p.ExtensionLogDir()
	type ext struct {
		name, version string
		cached        bool
	}
	var exts []ext
	if res != nil {
		for _, s := range res.Extensions {
			if s.Name != host.CoreName {
				exts = append(exts, ext{s.Name, s.Version, s.Cached})
			}
		}
	} else if inv, err := host.Discover(p.ExtensionsDir()); err == nil {
		for _, e := range inv.Extensions {
			if l, err := host.ReadLog(dir, e.Name); err == nil && !l.Launched.Before(start.Truncate(time.Millisecond)) {
				exts = append(exts, ext{name: e.Name, version: l.Version})
			}
		}
	}
	sort.Slice(exts, func(i, j int) bool { return exts[i].name < exts[j].name })
	for _, e := range exts {
		l, err := host.ReadLog(dir, e.name)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fmt.Fprintf(w, "lychd: extension %s %s: its registration came from the cache, and lychd keeps no log of its last launch\n", e.name, e.version)
			continue
		case err != nil:
			fmt.Fprintf(w, "lychd: extension %s: %v\n", e.name, err)
			continue
		}
		when := "launched by this bind"
		if e.cached {
			when = "registered from the cache; launched last at " + l.Launched.UTC().Format(time.RFC3339)
		}
		version := e.version
		if version == "" {
			version = l.Version
		}
		if len(l.Lines) == 0 {
			fmt.Fprintf(w, "lychd: extension %s %s (%s) wrote nothing\n", e.name, version, when)
			continue
		}
		fmt.Fprintf(w, "lychd: extension %s %s (%s) wrote:\n%s", e.name, version, when, l.Render("  "))
	}
}
