// Package installed reads lychd's installed unit files: which units they
// define, and which of them changed on disk after the systemd user manager
// last loaded its units (what a daemon-reload would pick up). It looks at
// files only, so that `lychd status` needs no D-Bus call per unit: reading
// an inactive unit over D-Bus makes systemd load it and every unit it
// references, and asking systemd for its unit files scans every unit
// directory (1.2–1.8 s with 1,000 soulstones).
package installed

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/site"
	"github.com/lychd/lychd/internal/unitfile"
)

// Changes are the lychd unit files written after a manager's last load.
type Changes struct {
	// Units are the units whose unit file or Quadlet source file was written
	// (or created) after the load, sorted.
	Units []string
	// Removed is true when the binding site or a Quadlet directory of lychd
	// changed after the load although none of its files did: a unit was
	// removed.
	Removed bool
}

// Any reports whether a daemon-reload is pending.
func (c Changes) Any() bool { return len(c.Units) > 0 || c.Removed }

// file is one unit defined by an installed file.
type file struct {
	unit string
	path string
	// times are the modification times of the file and of every symbolic
	// link on the way to it that lychd owns.
	times []time.Time
}

// scan lists the units lychd's files define and the modification times of
// the directories holding them: lychd's entries of the Quadlet directory
// (lychd.pod, lychd-*.container, the lychd link into the binding site,
// followed), lychd's units in the systemd user directory (links and what
// they point to), and the binding site's current link.
func scan(p paths.Paths) (files []file, dirs []time.Time, err error) {
	if fi, err := os.Lstat(filepath.Join(p.BindingsDir(), site.CurrentLinkName)); err == nil {
		dirs = append(dirs, fi.ModTime())
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("reading the binding site: %w", err)
	}

	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading lychd's unit files: %w", err)
		}
		for _, e := range ents {
			name := e.Name()
			if depth == 0 && !strings.HasPrefix(name, site.QuadletLinkName) {
				continue // the user's own Quadlet files
			}
			full := filepath.Join(dir, name)
			lfi, err := os.Lstat(full)
			if err != nil {
				continue // removed while reading
			}
			fi, err := os.Stat(full)
			if err != nil {
				continue // a dangling link defines no unit
			}
			if fi.IsDir() {
				if depth < 4 {
					dirs = append(dirs, lfi.ModTime(), fi.ModTime())
					if err := walk(full, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			if u, ok := quadletUnit(name); ok {
				files = append(files, file{unit: u, path: full, times: []time.Time{lfi.ModTime(), fi.ModTime()}})
			}
		}
		return nil
	}
	if err := walk(p.QuadletDir(), 0); err != nil {
		return nil, nil, err
	}

	ents, err := os.ReadDir(p.SystemdUserDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, nil, fmt.Errorf("reading lychd's unit files: %w", err)
	}
	for _, e := range ents {
		name := e.Name()
		if !strings.HasPrefix(name, "lychd-") || !isUnitName(name) {
			continue
		}
		full := filepath.Join(p.SystemdUserDir(), name)
		lfi, lerr := os.Lstat(full)
		fi, err := os.Stat(full)
		if lerr == nil && err == nil && !fi.IsDir() {
			files = append(files, file{unit: name, path: full, times: []time.Time{lfi.ModTime(), fi.ModTime()}})
		}
	}
	return files, dirs, nil
}

// Index is the set of units lychd's installed files define.
type Index struct {
	// paths maps a unit to the file defining it: the unit file for units in
	// the systemd user directory, the Quadlet source for generated ones.
	paths map[string]string
}

// Load indexes the units lychd's installed files define.
func Load(p paths.Paths) (*Index, error) {
	files, _, err := scan(p)
	if err != nil {
		return nil, err
	}
	ix := &Index{paths: map[string]string{}}
	for _, f := range files {
		if _, dup := ix.paths[f.unit]; !dup {
			ix.paths[f.unit] = f.path
		}
	}
	return ix, nil
}

// Units returns the indexed units, sorted: every lychd unit systemd can
// know of without being told by lychd.
func (ix *Index) Units() []string {
	out := make([]string, 0, len(ix.paths))
	for u := range ix.paths {
		out = append(out, u)
	}
	sort.Strings(out)
	return out
}

// Has reports whether a file of lychd's defines unit.
func (ix *Index) Has(unit string) bool {
	_, ok := ix.paths[unit]
	return ok
}

// Wants returns the Wants= of the [Unit] section of a unit lychd wrote as a
// unit file (a coven target), split into unit names.
func (ix *Index) Wants(unit string) ([]string, error) {
	p, ok := ix.paths[unit]
	if !ok || !strings.HasSuffix(p, unit) {
		return nil, fmt.Errorf("no unit file of lychd's defines %s", unit)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, err
	}
	f, err := unitfile.Parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	var wants []string
	for _, v := range f.Get("Unit", "Wants") {
		wants = append(wants, strings.Fields(v)...)
	}
	return wants, nil
}

// Units returns the units lychd's installed files define, sorted.
func Units(p paths.Paths) ([]string, error) {
	ix, err := Load(p)
	if err != nil {
		return nil, err
	}
	return ix.Units(), nil
}

// ChangedSince returns the changes under p made after loaded (the
// manager's UnitsLoadTimestamp).
func ChangedSince(p paths.Paths, loaded time.Time) (Changes, error) {
	var c Changes
	files, dirs, err := scan(p)
	if err != nil {
		return c, fmt.Errorf("checking for a pending reload: %w", err)
	}
	units := map[string]bool{}
	for _, f := range files {
		for _, t := range f.times {
			if t.After(loaded) {
				units[f.unit] = true
			}
		}
	}
	for u := range units {
		c.Units = append(c.Units, u)
	}
	sort.Strings(c.Units)
	dirChanged := false
	for _, t := range dirs {
		dirChanged = dirChanged || t.After(loaded)
	}
	c.Removed = dirChanged && len(c.Units) == 0
	return c, nil
}

// isUnitName reports whether name ends in a unit type suffix lychd writes.
func isUnitName(name string) bool {
	for _, s := range []string{".target", ".service"} {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// quadletUnit is the service Quadlet generates from a file name.
func quadletUnit(name string) (string, bool) {
	ext := filepath.Ext(name)
	base := strings.TrimSuffix(name, ext)
	switch ext {
	case ".container", ".kube":
		return base + ".service", true
	case ".pod", ".volume", ".network", ".image", ".build":
		return base + "-" + ext[1:] + ".service", true
	}
	return "", false
}
