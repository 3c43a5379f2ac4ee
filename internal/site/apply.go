package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/renameio/v2"
	"golang.org/x/sys/unix"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/internal/flock"
)

// Plan compares g with what is installed and returns what Apply would do. It
// only reads. It fails, naming the file and the fix, when a file lychd did
// not create is in the way, when a binding directory is unsafe, or when a
// name in g is invalid.
func (s *Site) Plan(g Generation) (Plan, error) {
	wantQ, wantS, wantC, err := validate(g)
	if err != nil {
		return Plan{}, err
	}
	if err := s.checkDirs(); err != nil {
		return Plan{}, err
	}
	st, err := s.observe(true)
	if err != nil {
		return Plan{}, err
	}
	if err := s.conflicts(st, wantQ, wantS); err != nil {
		return Plan{}, err
	}
	return s.plan(st, wantQ, wantS, wantC, g.Record), nil
}

// Current returns the lychd units Quadlet and systemd see now: the files
// behind lychd's Quadlet link and lychd's links in the systemd directory
// that resolve (a dangling link is absent to systemd), and the config
// files of the current generation. Files are sorted by name.
func (s *Site) Current() (Generation, error) {
	st, err := s.observe(true)
	if err != nil {
		return Generation{}, err
	}
	return Generation{Quadlet: files(st.visQ), Systemd: files(st.visS), Config: files(st.curC)}, nil
}

// Apply installs g. It creates the binding directories if needed, takes the
// bind lock (waiting for another lychd until ctx ends), plans again under
// the lock and carries the plan out; see doc.go for the order of the steps.
// It returns the plan it carried out and writes nothing when that plan is
// empty. If Apply fails or is killed part-way, Quadlet and systemd still see
// either the old or the new complete set, and the next Apply finishes or
// cleans up.
func (s *Site) Apply(ctx context.Context, g Generation) (Plan, error) {
	wantQ, wantS, wantC, err := validate(g)
	if err != nil {
		return Plan{}, err
	}
	if err := s.checkDirs(); err != nil {
		return Plan{}, err
	}
	// Refuse foreign files before creating anything; checked again under
	// the lock below.
	st, err := s.observe(false)
	if err != nil {
		return Plan{}, err
	}
	if err := s.conflicts(st, wantQ, wantS); err != nil {
		return Plan{}, err
	}
	for _, d := range []struct {
		path string
		perm fs.FileMode
	}{{s.BindingsDir, 0o700}, {s.QuadletDir, 0o755}, {s.SystemdDir, 0o755}} {
		if err := s.mkdirAll(d.path, d.perm); err != nil {
			return Plan{}, err
		}
	}
	s.hook("lock")
	lk, err := flock.Acquire(ctx, filepath.Join(s.BindingsDir, lockName))
	if err != nil {
		return Plan{}, err
	}
	defer lk.Unlock()

	st, err = s.observe(true)
	if err != nil {
		return Plan{}, err
	}
	if err := s.conflicts(st, wantQ, wantS); err != nil {
		return Plan{}, err
	}
	p := s.plan(st, wantQ, wantS, wantC, g.Record)
	if p.Empty() {
		return p, nil
	}
	if err := ctx.Err(); err != nil {
		return Plan{}, fmt.Errorf("bind cancelled before writing: %w", err)
	}
	if err := s.execute(st, wantQ, wantS, wantC, g.Record); err != nil {
		return Plan{}, fmt.Errorf("%w (what Quadlet and systemd see is still a complete set; run lychd bind again to finish)", err)
	}
	return p, nil
}

// needGeneration reports whether the current generation differs from the
// wanted files and record (or is missing or damaged).
func needGeneration(st *state, wantQ, wantS, wantC map[string][]byte, record []byte) bool {
	return !st.curOK || !equalFiles(st.curQ, wantQ) || !equalFiles(st.curS, wantS) || !equalFiles(st.curC, wantC) || !bytes.Equal(st.curRecord, record)
}

// plan derives the Plan from an observation.
func (s *Site) plan(st *state, wantQ, wantS, wantC map[string][]byte, record []byte) Plan {
	var p Plan
	p.Changes = append(p.Changes, s.diffSet(filepath.Join(s.QuadletDir, QuadletLinkName), st.visQ, wantQ)...)
	p.Changes = append(p.Changes, s.diffSet(s.SystemdDir, st.visS, wantS)...)
	p.Changes = append(p.Changes, s.diffSet(filepath.Join(s.BindingsDir, currentName, bound.ConfigDir), st.curC, wantC)...)
	slices.SortStableFunc(p.Changes, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	shown := map[string]bool{}
	for _, c := range p.Changes {
		shown[c.Path] = true
	}
	internal := func(op, path string) {
		if d := s.display(path); !shown[d] {
			p.Internal = append(p.Internal, Change{Op: op, Path: d})
		}
	}

	needGen := needGeneration(st, wantQ, wantS, wantC, record)
	if needGen {
		internal("create", filepath.Join(s.BindingsDir, fmt.Sprintf("%s%d", genPrefix, st.next)))
		internal("update", filepath.Join(s.BindingsDir, currentName))
	}
	qlink := filepath.Join(s.QuadletDir, QuadletLinkName)
	switch {
	case st.quadletLink == nil:
		internal("create", qlink)
	case !st.quadletLink.canonical:
		internal("update", qlink)
	}
	for _, name := range slices.Sorted(maps.Keys(wantS)) {
		l, ok := st.sysLinks[name]
		switch {
		case !ok:
			internal("create", filepath.Join(s.SystemdDir, name))
		case !l.canonical:
			internal("update", filepath.Join(s.SystemdDir, name))
		}
	}
	for _, name := range slices.Sorted(maps.Keys(st.sysLinks)) {
		if _, keep := wantS[name]; !keep {
			internal("remove", filepath.Join(s.SystemdDir, name))
		}
	}
	for _, g := range st.gens {
		if needGen || g != st.cur {
			internal("remove", filepath.Join(s.BindingsDir, g))
		}
	}
	for _, d := range st.debris {
		internal("remove", d)
	}
	slices.SortStableFunc(p.Internal, func(a, b Change) int { return strings.Compare(a.Path, b.Path) })
	return p
}

// execute carries out the plan for st. The order of the steps is what makes
// the switch atomic; doc.go explains it.
func (s *Site) execute(st *state, wantQ, wantS, wantC map[string][]byte, record []byte) error {
	// 1. Leftover temporary links of an interrupted run.
	for _, d := range st.debris {
		s.hook("remove " + s.step(d))
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("remove leftover %s: %w", d, err)
		}
	}

	// 2. The new generation, complete and durable, not yet visible.
	gen := st.cur
	needGen := needGeneration(st, wantQ, wantS, wantC, record)
	if needGen {
		gen = fmt.Sprintf("%s%d", genPrefix, st.next)
		if err := s.writeGeneration(gen, wantQ, wantS, wantC, record, st); err != nil {
			return err
		}
	}

	// 3. Links for names new in this generation. They point through
	// "current", so until the swap they dangle (absent to systemd) or
	// show the old generation.
	qtarget := filepath.Join(s.BindingsDir, currentName, "quadlet")
	if st.quadletLink == nil || !st.quadletLink.canonical {
		if err := s.link(s.QuadletDir, QuadletLinkName, qtarget, st.quadletLink != nil); err != nil {
			return err
		}
		if err := s.fsyncDirStep(s.QuadletDir, "quadlet"); err != nil {
			return err
		}
	}
	linked := false
	for _, name := range slices.Sorted(maps.Keys(wantS)) {
		l, ok := st.sysLinks[name]
		if ok && l.canonical {
			continue
		}
		if err := s.link(s.SystemdDir, name, filepath.Join(s.BindingsDir, currentName, "systemd", name), ok); err != nil {
			return err
		}
		linked = true
	}
	if linked {
		if err := s.fsyncDirStep(s.SystemdDir, "systemd (new links)"); err != nil {
			return err
		}
	}

	// 4. The switch: one rename of a fresh symlink over "current".
	if needGen {
		if err := s.link(s.BindingsDir, currentName, gen, true); err != nil {
			return err
		}
		if err := s.fsyncDirStep(s.BindingsDir, "bindings (switch)"); err != nil {
			return err
		}
	}

	// 5. Links for names no longer present; they dangle since the switch.
	removed := false
	for _, name := range slices.Sorted(maps.Keys(st.sysLinks)) {
		if _, keep := wantS[name]; keep {
			continue
		}
		p := filepath.Join(s.SystemdDir, name)
		if err := s.remove(p, s.step(p)); err != nil {
			return err
		}
		removed = true
	}
	if removed {
		if err := s.fsyncDirStep(s.SystemdDir, "systemd (old links removed)"); err != nil {
			return err
		}
	}

	// 6. Old generations, including half-written ones.
	removed = false
	for _, g := range st.gens {
		if g == gen {
			continue
		}
		p := filepath.Join(s.BindingsDir, g)
		s.hook("remove " + s.step(p))
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("remove old generation %s: %w", p, err)
		}
		removed = true
	}
	if removed {
		return s.fsyncDirStep(s.BindingsDir, "bindings (old generations removed)")
	}
	return nil
}

// step names path for the fault hook, relative to the site it is in:
// "quadlet/...", "systemd/..." or "bindings/...".
func (s *Site) step(path string) string {
	for _, b := range []struct{ dir, name string }{{s.BindingsDir, "bindings"}, {s.QuadletDir, "quadlet"}, {s.SystemdDir, "systemd"}} {
		if path == b.dir {
			return b.name
		}
		if rel, ok := strings.CutPrefix(path, b.dir+"/"); ok {
			return b.name + "/" + rel
		}
	}
	return s.display(path)
}

// writeGeneration writes every file of a new generation directory and makes
// it durable: files, then their directories, then BindingsDir's entry. A
// file with the same content as in the current generation keeps that
// file's modification time, so that the time says when the unit last
// changed (lychd status compares it with the manager's last load to tell a
// pending daemon-reload).
func (s *Site) writeGeneration(gen string, wantQ, wantS, wantC map[string][]byte, record []byte, st *state) error {
	root := filepath.Join(s.BindingsDir, gen)
	dirs := []struct{ path, step string }{{root, "gen"}, {filepath.Join(root, "quadlet"), "gen/quadlet"}, {filepath.Join(root, "systemd"), "gen/systemd"}}
	if len(wantC) > 0 {
		dirs = append(dirs, struct{ path, step string }{filepath.Join(root, bound.ConfigDir), "gen/" + bound.ConfigDir})
	}
	for _, d := range dirs {
		s.hook("mkdir " + d.step)
		if err := os.Mkdir(d.path, 0o755); err != nil {
			return fmt.Errorf("create generation directory %s: %w", d.path, err)
		}
	}
	var written []string
	for _, set := range []struct {
		sub  string
		m    map[string][]byte
		curr map[string][]byte
	}{{"quadlet", wantQ, st.curQ}, {"systemd", wantS, st.curS}, {bound.ConfigDir, wantC, st.curC}} {
		for _, name := range slices.Sorted(maps.Keys(set.m)) {
			path := filepath.Join(root, set.sub, name)
			if err := s.writeFile(path, "gen/"+set.sub+"/"+name, set.m[name]); err != nil {
				return err
			}
			if old, ok := set.curr[name]; ok && st.curOK && bytes.Equal(old, set.m[name]) {
				if fi, err := os.Stat(filepath.Join(s.BindingsDir, st.cur, set.sub, name)); err == nil {
					if err := os.Chtimes(path, time.Time{}, fi.ModTime()); err != nil {
						return fmt.Errorf("keep the time of unchanged unit file %s: %w", path, err)
					}
				}
			}
			written = append(written, path)
		}
	}
	if record != nil {
		path := filepath.Join(root, bound.FileName)
		if err := s.writeFile(path, "gen/"+bound.FileName, record); err != nil {
			return err
		}
		written = append(written, path)
	}
	s.hook("fsync gen files")
	if err := syncFiles(written); err != nil {
		return err
	}
	synced := dirs[1:]
	synced = append(synced, struct{ path, step string }{root, "gen"}, struct{ path, step string }{s.BindingsDir, "bindings (new generation)"})
	for _, d := range synced {
		if err := s.fsyncDirStep(d.path, d.step); err != nil {
			return err
		}
	}
	return nil
}

// writeFile creates path (which must not exist; symlinks are never
// followed) with mode 0644 and data. syncFiles makes it durable.
func (s *Site) writeFile(path, step string, data []byte) error {
	s.hook("write " + step)
	// Plain system calls: a regular file gains nothing from Go's poller,
	// and this runs once per unit file.
	fd, err := unix.Open(path, unix.O_WRONLY|unix.O_CREAT|unix.O_EXCL|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0o644)
	if err != nil {
		return fmt.Errorf("write unit file %s: %w", path, err)
	}
	for rest := data; len(rest) > 0; {
		n, err := unix.Write(fd, rest)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			unix.Close(fd)
			return fmt.Errorf("write unit file %s: %w", path, err)
		}
		rest = rest[n:]
	}
	if err := unix.Fchmod(fd, 0o644); err != nil { // whatever the umask
		unix.Close(fd)
		return fmt.Errorf("set mode of unit file %s: %w", path, err)
	}
	if err := unix.Close(fd); err != nil {
		return fmt.Errorf("write unit file %s: %w", path, err)
	}
	return nil
}

// syncWorkers is how many fsyncs syncFiles runs at once. Concurrent fsyncs
// share journal commits: on this project's test machines 1,000 files took
// 2.4 s one by one and 0.17 s with 32 at once.
const syncWorkers = 32

// syncFiles fsyncs every file in paths, several at a time, and returns the
// first error.
func syncFiles(paths []string) error {
	work := make(chan string)
	errs := make(chan error, len(paths))
	var wg sync.WaitGroup
	for range min(syncWorkers, len(paths)) {
		wg.Go(func() {
			for p := range work {
				fd, err := unix.Open(p, unix.O_RDONLY|unix.O_NOFOLLOW|unix.O_CLOEXEC, 0)
				if err == nil {
					err = unix.Fsync(fd)
					if cerr := unix.Close(fd); err == nil {
						err = cerr
					}
				}
				if err != nil {
					errs <- fmt.Errorf("sync unit file %s: %w", p, err)
				}
			}
		})
	}
	for _, p := range paths {
		work <- p
	}
	close(work)
	wg.Wait()
	close(errs)
	return <-errs
}

// link makes dir/name a symlink to target. A new name is created directly
// (symlink(2) is atomic and fails rather than follow anything in the way);
// an existing link of lychd's is replaced atomically by renaming a fresh
// link over it (renameio.Symlink), which replaces the link itself and never
// follows it.
func (s *Site) link(dir, name, target string, replace bool) error {
	final := filepath.Join(dir, name)
	if !replace {
		s.hook("symlink " + s.step(final))
		if err := os.Symlink(target, final); err != nil {
			return fmt.Errorf("create symlink %s: %w", final, err)
		}
		return nil
	}
	s.hook("rename " + s.step(final))
	if err := renameio.Symlink(target, final); err != nil {
		return fmt.Errorf("replace symlink %s: %w", final, err)
	}
	return nil
}

// remove deletes one entry (a symlink or a leftover), never following it.
func (s *Site) remove(path, step string) error {
	s.hook("remove " + step)
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", path, err)
	}
	return nil
}

// fsyncDirStep makes the entries of dir durable; step names it for the
// fault hook.
func (s *Site) fsyncDirStep(dir, step string) error {
	s.hook("fsync " + step)
	f, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// mkdirAll creates dir and missing parents with perm, syncing each parent.
// Existing directories are left as they are (checkDir vets them).
func (s *Site) mkdirAll(dir string, perm fs.FileMode) error {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("binding directory %s is not a directory; move it away so lychd can create it", dir)
		}
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := s.mkdirAll(parent, perm); err != nil {
			return err
		}
	}
	s.hook("mkdir " + s.display(dir))
	if err := os.Mkdir(dir, perm); err != nil {
		if fi, serr := os.Stat(dir); serr == nil && fi.IsDir() {
			return nil // made by a concurrent lychd
		}
		return fmt.Errorf("create binding directory %s: %w", dir, err)
	}
	return s.fsyncDirStep(parent, "parent of "+s.display(dir))
}
