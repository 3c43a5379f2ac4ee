package bench

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"
)

// Stamp identifies one version of a directory entry: a write in place
// changes its modification time or size, an atomic replacement its inode.
type Stamp struct {
	Inode   uint64
	Size    int64
	ModTime time.Time
	Mode    fs.FileMode
	// Link is a symlink's target.
	Link string
}

// Snapshot stamps every entry under root (symlinks not followed), keyed by
// path relative to root. Paths listed in skip (relative) are left out with
// everything under them.
func Snapshot(root string, skip ...string) (map[string]Stamp, error) {
	out := map[string]Stamp{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		for _, s := range skip {
			if rel == s {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		st := Stamp{Size: fi.Size(), ModTime: fi.ModTime(), Mode: fi.Mode()}
		if sys, ok := fi.Sys().(*syscall.Stat_t); ok {
			st.Inode = sys.Ino
		}
		if fi.Mode()&fs.ModeSymlink != 0 {
			if st.Link, err = os.Readlink(p); err != nil {
				return err
			}
		}
		out[rel] = st
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("snapshot of %s: %w", root, err)
	}
	return out, nil
}

// Changed lists, sorted, the paths created, modified, replaced or removed
// between two snapshots. A directory whose entries changed counts too.
func Changed(before, after map[string]Stamp) []string {
	var out []string
	for p, a := range after {
		if b, ok := before[p]; !ok || b != a {
			out = append(out, p)
		}
	}
	for p := range before {
		if _, ok := after[p]; !ok {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// Written counts the non-directory entries among Changed(before, after):
// files and links written, replaced or removed.
func Written(before, after map[string]Stamp) int {
	n := 0
	for _, p := range Changed(before, after) {
		st, ok := after[p]
		if !ok {
			st = before[p]
		}
		if !st.Mode.IsDir() {
			n++
		}
	}
	return n
}
