package site

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// Snapshot records what lychd's binding sites look like: every entry of the
// Quadlet directory tree (through the lychd link), the lychd-* entries of
// the systemd directory and the bindings directory, each with its type,
// link target, size and modification times. Comparing two snapshots tells
// whether anything wrote to the sites in between, e.g. an extension during
// assimilation.
type Snapshot map[string]string

// Snapshot takes a Snapshot. Missing directories are empty.
func (s *Site) Snapshot() (Snapshot, error) {
	snap := Snapshot{}
	add := func(p string, fi fs.FileInfo) error {
		e := fi.Mode().Type().String()
		if fi.Mode()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			e += " -> " + target
		} else if !fi.IsDir() {
			e += fmt.Sprintf(" %d bytes", fi.Size())
		}
		// A directory's own times change with its entries, which are
		// recorded themselves.
		if id := identityOf(fi); id != "" && !fi.IsDir() {
			e += " " + id
		}
		snap[s.display(p)] = e
		return nil
	}
	walk := func(root string) error {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			fi, err := os.Lstat(p)
			if err != nil {
				return err
			}
			return add(p, fi)
		})
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := walk(s.QuadletDir); err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", s.QuadletDir, err)
	}
	if err := walk(s.BindingsDir); err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", s.BindingsDir, err)
	}
	ents, err := os.ReadDir(s.SystemdDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("snapshot of %s: %w", s.SystemdDir, err)
	}
	for _, e := range ents {
		if !strings.HasPrefix(e.Name(), "lychd") {
			continue
		}
		p := filepath.Join(s.SystemdDir, e.Name())
		fi, err := os.Lstat(p)
		if err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", p, err)
		}
		if err := add(p, fi); err != nil {
			return nil, fmt.Errorf("snapshot of %s: %w", p, err)
		}
	}
	return snap, nil
}

// Changed lists the paths whose entry differs between a and b, sorted.
func Changed(a, b Snapshot) []string {
	var out []string
	for p, e := range a {
		if b[p] != e {
			out = append(out, p)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// identityOf renders the inode, modification and change times of fi.
func identityOf(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return fmt.Sprintf("ino %d mtime %d ctime %d", st.Ino, st.Mtim.Nano(), st.Ctim.Nano())
}
