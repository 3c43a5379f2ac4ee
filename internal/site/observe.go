package site

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/lychd/lychd/internal/bound"
)

// link describes one of lychd's symlinks in a binding site.
type link struct {
	// target is the symlink's content.
	target string
	// canonical reports whether target is exactly what lychd writes.
	canonical bool
}

// state is a read-only observation of the three directories.
type state struct {
	// quadletLink is the QuadletDir/lychd symlink, nil when absent.
	quadletLink *link
	// cur is the generation "current" points to ("gen-N"), "" if none.
	cur string
	// curOK reports that cur's files were read completely into curQ, curS
	// and are exactly the files its record says lychd wrote.
	curOK      bool
	curQ, curS map[string][]byte
	// curC are cur's config files (Generation.Config).
	curC map[string][]byte
	// curRecord is cur's record of what was bound (nil when it has none).
	curRecord []byte
	// curForeign are entries of cur's unit directories lychd did not
	// write, and curEdited files lychd wrote that were changed since: a
	// bind would delete or replace them, so Plan and Apply refuse.
	curForeign, curEdited []string
	// visQ and visS are what Quadlet and systemd see of lychd's units.
	visQ, visS map[string][]byte
	// sysLinks are lychd's symlinks in SystemdDir by name, dangling or not.
	sysLinks map[string]link
	// quadletForeign and sysForeign record what else was at the names lychd
	// needs when the directories were read: conflicts judges from this one
	// observation, so that a concurrent lychd creating its links between two
	// looks cannot pass for a foreign file.
	quadletForeign bool
	sysForeign     map[string]bool
	// gens are all gen-N entries in BindingsDir, including cur.
	gens []string
	// next is the number for a new generation.
	next uint64
	// debris are leftover temporary links of an interrupted run.
	debris []string
}

// ours reports whether a symlink in dir with content target points into
// BindingsDir, which is how lychd recognises the links it made.
func (s *Site) ours(dir, target string) bool {
	if !filepath.IsAbs(target) {
		target = filepath.Join(dir, target)
	}
	return within(s.BindingsDir, filepath.Clean(target))
}

// readLinkIfSymlink returns the target of path when it is a symlink; ok is
// false when path is something else; exists is false when path is absent.
func readLinkIfSymlink(path string) (target string, ok, exists bool, err error) {
	fi, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, false, nil
	}
	if err != nil {
		return "", false, false, fmt.Errorf("inspect %s: %w", path, err)
	}
	if fi.Mode()&fs.ModeSymlink == 0 {
		return "", false, true, nil
	}
	t, err := os.Readlink(path)
	if errors.Is(err, fs.ErrNotExist) {
		// Removed since the Lstat: only the look before the bind lock
		// can see another lychd do that.
		return "", false, false, nil
	}
	if err != nil {
		return "", false, true, fmt.Errorf("read symlink %s: %w", path, err)
	}
	return t, true, true, nil
}

// checkDir verifies that an existing site directory is a directory owned by
// the current user and not writable by group or others. An absent directory
// is fine (Apply creates it).
func checkDir(path string) error {
	fi, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("inspect binding directory %s: %w", path, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("binding directory %s is not a directory; move it away so lychd can create it", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("binding directory %s is owned by uid %d, not by you (uid %d); lychd only binds into your own directories; fix it with: chown %d %s",
			path, st.Uid, os.Geteuid(), os.Geteuid(), path)
	}
	if perm := fi.Mode().Perm(); perm&0o022 != 0 {
		return fmt.Errorf("binding directory %s is writable by group or others (mode %04o), so another user could change lychd's units; fix it with: chmod go-w %s",
			path, perm, path)
	}
	return nil
}

// checkDirs runs checkDir on the three directories.
func (s *Site) checkDirs() error {
	for _, d := range []string{s.BindingsDir, s.QuadletDir, s.SystemdDir} {
		if err := checkDir(d); err != nil {
			return err
		}
	}
	return nil
}

// readUnitDir reads the regular files with one of suffixes in dir,
// following symlinks like Quadlet and systemd do. A missing dir (or a
// dangling link to it) reads as empty.
func readUnitDir(dir string, suffixes []string) (map[string][]byte, error) {
	m := map[string][]byte{}
	ents, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", dir, err)
	}
	for _, e := range ents {
		if !hasSuffix(e.Name(), suffixes) {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EISDIR) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", filepath.Join(dir, e.Name()), err)
		}
		m[e.Name()] = data
	}
	return m, nil
}

// readGenDir reads a generation's subdirectory without following symlinks:
// the regular files with valid unit names, and the names of every other
// entry (foreign: lychd writes nothing else there). A missing directory
// reads as empty with ok false.
func readGenDir(dir, kind string, suffixes []string) (m map[string][]byte, foreign []string, ok bool, err error) {
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil, false, nil
	}
	if err != nil {
		return nil, nil, false, fmt.Errorf("inspect %s: %w", dir, err)
	}
	if !fi.IsDir() {
		return nil, nil, false, nil
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, nil, false, fmt.Errorf("read %s: %w", dir, err)
	}
	m = map[string][]byte{}
	for _, e := range ents {
		if !e.Type().IsRegular() || validateName(kind, e.Name(), suffixes) != nil {
			foreign = append(foreign, e.Name())
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return nil, nil, false, fmt.Errorf("read %s: %w", filepath.Join(dir, e.Name()), err)
		}
		m[e.Name()] = data
	}
	return m, foreign, true, nil
}

// hasSuffix reports whether name is a non-hidden unit name with one of
// suffixes.
func hasSuffix(name string, suffixes []string) bool {
	if strings.HasPrefix(name, ".") {
		return false
	}
	for _, s := range suffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	return false
}

// genNumber parses "gen-N".
func genNumber(name string) (uint64, bool) {
	digits, ok := strings.CutPrefix(name, genPrefix)
	if !ok || digits == "" || strings.TrimLeft(digits, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.ParseUint(digits, 10, 64)
	return n, err == nil
}

// observe reads the installed state. It never writes. Without contents it
// only classifies the entries (enough for conflicts) and reads no unit file.
func (s *Site) observe(contents bool) (*state, error) {
	st := &state{sysLinks: map[string]link{}, next: 1}

	// BindingsDir: current, generations, leftovers.
	curPath := filepath.Join(s.BindingsDir, currentName)
	target, isLink, exists, err := readLinkIfSymlink(curPath)
	if err != nil {
		return nil, err
	}
	if exists && !isLink {
		return nil, fmt.Errorf("%s is not a symlink; lychd keeps a symlink to the active generation there; move it away, then bind again", curPath)
	}
	if isLink && contents {
		if _, ok := genNumber(target); ok {
			st.cur = target
			if err := s.readCurrent(st); err != nil {
				return nil, err
			}
		}
	}
	ents, err := os.ReadDir(s.BindingsDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", s.BindingsDir, err)
	}
	for _, e := range ents {
		if n, ok := genNumber(e.Name()); ok {
			st.gens = append(st.gens, e.Name())
			if n >= st.next {
				st.next = n + 1
			}
		}
		if s.isDebris(s.BindingsDir, e, currentName) {
			st.debris = append(st.debris, filepath.Join(s.BindingsDir, e.Name()))
		}
	}

	// QuadletDir: the lychd link and its temporary twin.
	qlink := filepath.Join(s.QuadletDir, QuadletLinkName)
	target, isLink, exists, err = readLinkIfSymlink(qlink)
	if err != nil {
		return nil, err
	}
	st.quadletForeign = exists && !(isLink && s.ours(s.QuadletDir, target))
	st.visQ = map[string][]byte{}
	if isLink && s.ours(s.QuadletDir, target) {
		st.quadletLink = &link{target: target, canonical: target == filepath.Join(s.BindingsDir, currentName, "quadlet")}
		switch {
		case !contents:
		case st.quadletLink.canonical && st.curOK:
			st.visQ = st.curQ // the link leads to exactly these files
		default:
			if st.visQ, err = readUnitDir(qlink, quadletSuffixes); err != nil {
				return nil, err
			}
		}
	}
	qents, err := os.ReadDir(s.QuadletDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", s.QuadletDir, err)
	}
	for _, e := range qents {
		if s.isDebris(s.QuadletDir, e, QuadletLinkName) {
			st.debris = append(st.debris, filepath.Join(s.QuadletDir, e.Name()))
		}
	}

	// SystemdDir: lychd's links, dangling or not, and temporary links.
	st.visS = map[string][]byte{}
	ents, err = os.ReadDir(s.SystemdDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read %s: %w", s.SystemdDir, err)
	}
	st.sysForeign = map[string]bool{}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") {
			if name, ok := debrisOf(e.Name()); ok && s.isDebris(s.SystemdDir, e, name) {
				st.debris = append(st.debris, filepath.Join(s.SystemdDir, e.Name()))
			}
			continue
		}
		if e.Type()&fs.ModeSymlink == 0 {
			st.sysForeign[e.Name()] = true
			continue
		}
		p := filepath.Join(s.SystemdDir, e.Name())
		target, err := os.Readlink(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue // removed since the listing (by a lychd binding before we hold the lock)
		}
		if err != nil {
			return nil, fmt.Errorf("read symlink %s: %w", p, err)
		}
		if !s.ownLink(e.Name(), target) {
			// Not one of lychd's links, though it may point into the
			// bindings (a user's alias of a lychd unit): never touched.
			st.sysForeign[e.Name()] = true
			continue
		}
		l := link{target: target, canonical: target == filepath.Join(s.BindingsDir, currentName, "systemd", e.Name())}
		st.sysLinks[e.Name()] = l
		if !contents {
			continue
		}
		if l.canonical && st.curOK {
			if data, ok := st.curS[e.Name()]; ok {
				st.visS[e.Name()] = data
			}
			continue
		}
		data, err := os.ReadFile(p)
		switch {
		case err == nil:
			st.visS[e.Name()] = data
		case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ELOOP) || errors.Is(err, syscall.EISDIR):
			// Dangling or unusable: systemd treats the unit as absent.
		default:
			return nil, fmt.Errorf("read %s: %w", p, err)
		}
	}
	slices.Sort(st.debris)
	return st, nil
}

// ForeignFileError reports a file lychd did not create that is in the way of
// one lychd needs. Nothing is written when it is returned.
type ForeignFileError struct {
	// Path is the foreign file.
	Path string
	// Msg is the complete explanation, including how to fix it.
	Msg string
}

func (e *ForeignFileError) Error() string { return e.Msg }

// conflicts finds foreign files at names lychd needs: the Quadlet link, the
// systemd links, and Quadlet units anywhere in the Quadlet tree named like
// one of lychd's.
func (s *Site) conflicts(st *state, wantQ, wantS map[string][]byte) error {
	var errs []error
	for _, p := range st.curForeign {
		errs = append(errs, &ForeignFileError{Path: p, Msg: fmt.Sprintf(
			"%s was not written by lychd, and a bind would delete it: %s is lychd's link to its current generation and holds only files lychd writes; move it out (for your own Quadlet units, into %s), then bind again",
			s.display(p), s.display(filepath.Join(s.QuadletDir, QuadletLinkName)), s.display(s.QuadletDir))})
	}
	for _, p := range st.curEdited {
		errs = append(errs, &ForeignFileError{Path: p, Msg: fmt.Sprintf(
			"%s was changed since lychd wrote it, and a bind would replace it: make the change in the Codex instead (see docs/codex.md), then remove %s (lychd writes it again) and bind again",
			s.display(p), s.display(p))})
	}
	qlink := filepath.Join(s.QuadletDir, QuadletLinkName)
	if st.quadletForeign {
		errs = append(errs, &ForeignFileError{Path: qlink, Msg: fmt.Sprintf(
			"%s is in the way: lychd needs this name for the symlink to its Quadlet units, and lychd did not create this file (its own links point into %s); move it away, then bind again",
			qlink, s.BindingsDir)})
	}
	for _, name := range slices.Sorted(maps.Keys(wantS)) {
		p := filepath.Join(s.SystemdDir, name)
		if st.sysForeign[name] {
			errs = append(errs, &ForeignFileError{Path: p, Msg: fmt.Sprintf(
				"%s is in the way: lychd needs this name for its unit %s, and lychd did not create this file (its own links point into %s); move it away, then bind again",
				p, name, s.BindingsDir)})
		}
	}
	if len(wantQ) > 0 {
		found, err := s.scanQuadletTree(wantQ)
		if err != nil {
			return err
		}
		for _, p := range found {
			errs = append(errs, &ForeignFileError{Path: p, Msg: fmt.Sprintf(
				"%s has the same name as lychd's Quadlet unit %s, and Quadlet would use only one of them; rename or remove it, then bind again",
				p, filepath.Base(p))})
		}
	}
	return errors.Join(errs...)
}

// scanQuadletTree walks the Quadlet directory like Quadlet does (recursing
// into subdirectories and symlinked subdirectories), skipping lychd's own
// link, and returns the paths of entries named like one of want.
func (s *Site) scanQuadletTree(want map[string][]byte) ([]string, error) {
	var found []string
	type key struct{ dev, ino uint64 }
	seen := map[key]bool{}
	var walk func(dir string) error
	walk = func(dir string) error {
		fi, err := os.Stat(dir)
		if err != nil {
			return nil // absent or dangling: Quadlet sees nothing there either
		}
		if st, ok := fi.Sys().(*syscall.Stat_t); ok {
			k := key{uint64(st.Dev), st.Ino}
			if seen[k] {
				return nil
			}
			seen[k] = true
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("scan Quadlet directory %s for files that clash with lychd's: %w", dir, err)
		}
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			if dir == s.QuadletDir && e.Name() == QuadletLinkName {
				continue
			}
			isDir := e.IsDir()
			if e.Type()&fs.ModeSymlink != 0 {
				if t, err := os.Readlink(p); err == nil && s.ours(dir, t) {
					continue // lychd's own (e.g. a leftover temporary link)
				}
				if t, err := os.Stat(p); err == nil && t.IsDir() {
					isDir = true
				}
			}
			if isDir {
				if err := walk(p); err != nil {
					return err
				}
				continue
			}
			if _, clash := want[e.Name()]; clash {
				found = append(found, p)
			}
		}
		return nil
	}
	if err := walk(s.QuadletDir); err != nil {
		return nil, err
	}
	slices.Sort(found)
	return found, nil
}

// equalFiles compares two name->content maps.
func equalFiles(a, b map[string][]byte) bool {
	return maps.EqualFunc(a, b, bytes.Equal)
}

// readCurrent reads the current generation st.cur: its unit files, its
// record, and what in it lychd did not write (st.curForeign) or wrote
// and was changed since (st.curEdited). The generation is complete
// (st.curOK) when its files are exactly those of its record; a generation
// without a record (written by an older lychd) is complete when it holds
// only valid unit files.
func (s *Site) readCurrent(st *state) error {
	root := filepath.Join(s.BindingsDir, st.cur)
	if fi, err := os.Lstat(root); err != nil || !fi.IsDir() {
		return nil
	}
	q, qForeign, okQ, err := readGenDir(filepath.Join(root, bound.QuadletDir), "Quadlet", quadletSuffixes)
	if err != nil {
		return err
	}
	sd, sForeign, okS, err := readGenDir(filepath.Join(root, bound.SystemdDir), "systemd", systemdSuffixes)
	if err != nil {
		return err
	}
	cf, cForeign, _, err := readGenDir(filepath.Join(root, bound.ConfigDir), "config", configSuffixes)
	if err != nil {
		return err
	}
	if cf == nil {
		cf = map[string][]byte{} // a generation without config files
	}
	for _, n := range qForeign {
		st.curForeign = append(st.curForeign, filepath.Join(s.QuadletDir, QuadletLinkName, n))
	}
	for _, n := range cForeign {
		st.curForeign = append(st.curForeign, filepath.Join(root, bound.ConfigDir, n))
	}
	for _, n := range sForeign {
		st.curForeign = append(st.curForeign, filepath.Join(root, bound.SystemdDir, n))
	}
	rec, err := os.ReadFile(filepath.Join(root, bound.FileName))
	switch {
	case err == nil:
		st.curRecord = rec
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("read %s: %w", filepath.Join(root, bound.FileName), err)
	}
	complete := okQ && okS && len(qForeign) == 0 && len(sForeign) == 0 && len(cForeign) == 0
	if st.curRecord != nil {
		owned, err := bound.Files(st.curRecord)
		if err != nil {
			// A damaged record: lychd cannot tell its files from others,
			// so it treats every valid unit file as its own (as for a
			// generation without a record) and writes a new one.
			owned, complete = nil, false
		}
		if owned != nil {
			check := func(sub string, files map[string][]byte, shown func(string) string) {
				for name, data := range files {
					want, ok := owned[sub+"/"+name]
					switch {
					case !ok:
						st.curForeign = append(st.curForeign, shown(name))
						delete(files, name)
					case want != bound.Digest(data):
						st.curEdited = append(st.curEdited, shown(name))
					}
				}
			}
			check(bound.QuadletDir, q, func(n string) string { return filepath.Join(s.QuadletDir, QuadletLinkName, n) })
			check(bound.SystemdDir, sd, func(n string) string { return filepath.Join(root, bound.SystemdDir, n) })
			check(bound.ConfigDir, cf, func(n string) string { return filepath.Join(root, bound.ConfigDir, n) })
			for path := range owned {
				sub, name, _ := strings.Cut(path, "/")
				if _, ok := map[string]map[string][]byte{bound.QuadletDir: q, bound.SystemdDir: sd, bound.ConfigDir: cf}[sub][name]; !ok {
					complete = false // deleted by hand: written again, nothing lost
				}
			}
		}
	}
	slices.Sort(st.curForeign)
	slices.Sort(st.curEdited)
	st.curQ, st.curS, st.curC = q, sd, cf
	st.curOK = complete && len(st.curForeign) == 0 && len(st.curEdited) == 0
	return nil
}

// debrisOf returns the name an interrupted symlink replacement was
// replacing, for a hidden entry named like its temporary: ".NAME" followed
// by digits (a temporary directory of renameio.Symlink) or ".NAME.lychd-tmp"
// (a temporary link of an older lychd).
func debrisOf(entry string) (string, bool) {
	rest, ok := strings.CutPrefix(entry, ".")
	if !ok {
		return "", false
	}
	if name, ok := strings.CutSuffix(rest, tmpSuffix); ok {
		return name, true
	}
	name := strings.TrimRight(rest, "0123456789")
	return name, name != "" && len(name) < len(rest)
}

// isDebris reports whether entry e of dir is a leftover of an interrupted
// replacement of lychd's link name: a symlink ".NAME.lychd-tmp" into the
// bindings, or a directory ".NAME<digits>" holding nothing but
// renameio.Symlink's "tmp.symlink" pointing into the bindings (or, in the
// bindings directory, at a generation).
func (s *Site) isDebris(dir string, e fs.DirEntry, name string) bool {
	got, ok := debrisOf(e.Name())
	if !ok || got != name {
		return false
	}
	pointsHome := func(d, target string) bool {
		if d == s.BindingsDir {
			_, gen := genNumber(target)
			return gen
		}
		return s.ours(d, target)
	}
	p := filepath.Join(dir, e.Name())
	if strings.HasSuffix(e.Name(), tmpSuffix) {
		t, err := os.Readlink(p)
		return e.Type()&fs.ModeSymlink != 0 && err == nil && pointsHome(dir, t)
	}
	if !e.IsDir() {
		return false
	}
	ents, err := os.ReadDir(p)
	if err != nil || len(ents) > 1 {
		return false
	}
	if len(ents) == 0 {
		return true // renameio.Symlink was killed right after its mkdir
	}
	t, err := os.Readlink(filepath.Join(p, ents[0].Name()))
	return ents[0].Name() == renameioTmpLink && err == nil && pointsHome(dir, t)
}

// renameioTmpLink is the name renameio.Symlink gives the new link inside
// its temporary directory before renaming it into place.
const renameioTmpLink = "tmp.symlink"

// ownLink reports whether a symlink in the systemd directory called name
// and pointing at target is one of lychd's: a unit file name linked to the
// file of the same name in a generation's systemd directory (through
// "current", as lychd links, or to a generation directly). Anything else
// is the user's, even when it points into the bindings (an alias of a
// lychd unit under another name).
func (s *Site) ownLink(name, target string) bool {
	if validateName("systemd", name, systemdSuffixes) != nil {
		return false
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(s.SystemdDir, target)
	}
	target = filepath.Clean(target)
	rel, ok := strings.CutPrefix(target, s.BindingsDir+"/")
	if !ok {
		return false
	}
	parts := strings.Split(rel, "/")
	if len(parts) != 3 || parts[1] != bound.SystemdDir || parts[2] != name {
		return false
	}
	_, gen := genNumber(parts[0])
	return parts[0] == currentName || gen
}
