// Package pending finds the lychd unit files that changed on disk after the
// systemd user manager last loaded its units: what a daemon-reload would
// pick up. It looks at files only, so that `lychd status` can tell a
// pending reload without asking systemd about every unit (reading an
// inactive unit over D-Bus makes systemd load the whole lychd graph).
package pending

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

// Since returns the changes under p made after loaded (the manager's
// UnitsLoadTimestamp). It reads lychd's entries of the Quadlet directory
// (lychd.pod, lychd-*.container, the lychd link into the binding site,
// followed), lychd's targets in the systemd user directory (links and what
// they point to), and the binding site's current link.
func Since(p paths.Paths, loaded time.Time) (Changes, error) {
	var c Changes
	units := map[string]bool{}
	newer := func(fi fs.FileInfo) bool { return fi.ModTime().After(loaded) }

	dirChanged := false
	if fi, err := os.Lstat(filepath.Join(p.BindingsDir(), "current")); err == nil && newer(fi) {
		dirChanged = true
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return c, fmt.Errorf("checking for a pending reload: %w", err)
	}

	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("checking for a pending reload: %w", err)
		}
		for _, e := range ents {
			name := e.Name()
			if depth == 0 && !strings.HasPrefix(name, "lychd") {
				continue // the user's own Quadlet files
			}
			full := filepath.Join(dir, name)
			lfi, err := os.Lstat(full)
			if err != nil {
				continue // removed while reading
			}
			fi, err := os.Stat(full)
			if err != nil {
				continue // a dangling link is no unit
			}
			if fi.IsDir() {
				if depth < 4 {
					if newer(lfi) || newer(fi) {
						dirChanged = true
					}
					if err := walk(full, depth+1); err != nil {
						return err
					}
				}
				continue
			}
			if u, ok := quadletUnit(name); ok && (newer(lfi) || newer(fi)) {
				units[u] = true
			}
		}
		return nil
	}
	if err := walk(p.QuadletDir(), 0); err != nil {
		return c, err
	}

	ents, err := os.ReadDir(p.SystemdUserDir())
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return c, fmt.Errorf("checking for a pending reload: %w", err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "lychd-") {
			continue
		}
		full := filepath.Join(p.SystemdUserDir(), e.Name())
		lfi, lerr := os.Lstat(full)
		fi, err := os.Stat(full)
		if lerr == nil && err == nil && (newer(lfi) || newer(fi)) {
			units[e.Name()] = true
		}
	}

	for u := range units {
		c.Units = append(c.Units, u)
	}
	sort.Strings(c.Units)
	c.Removed = dirChanged && len(c.Units) == 0
	return c, nil
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
