package site

import (
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/lychd/lychd/internal/paths"
)

// newSite returns a Site under a fresh fake $HOME.
func newSite(t testing.TB) *Site {
	t.Helper()
	return siteAt(t.TempDir())
}

// fastHome returns a fresh fake $HOME on tmpfs when there is one: the
// crash tests simulate killed processes, not power loss, so they need no
// real fsync, and fsync on a disk would make them slow.
func fastHome(t testing.TB) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "lychd-site-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// siteAt returns the Site for the fake $HOME home.
func siteAt(home string) *Site {
	return New(paths.Paths{
		Home:       home,
		ConfigHome: filepath.Join(home, ".config"),
		DataHome:   filepath.Join(home, ".local", "share"),
		CacheHome:  filepath.Join(home, ".cache"),
	})
}

// genOf builds a Generation from "name=content" pairs; names ending in
// .target go to Systemd, names ending in .yml to Config.
func genOf(pairs ...string) Generation {
	var g Generation
	for _, p := range pairs {
		name, data, _ := strings.Cut(p, "=")
		f := File{Name: name, Data: []byte(data)}
		switch {
		case strings.HasSuffix(name, ".target"):
			g.Systemd = append(g.Systemd, f)
		case strings.HasSuffix(name, ".yml"):
			g.Config = append(g.Config, f)
		default:
			g.Quadlet = append(g.Quadlet, f)
		}
	}
	return g
}

// flat renders a Generation as "q:name"/"s:name"/"c:name" -> content.
func flat(g Generation) map[string]string {
	m := map[string]string{}
	for _, f := range g.Quadlet {
		m["q:"+f.Name] = string(f.Data)
	}
	for _, f := range g.Systemd {
		m["s:"+f.Name] = string(f.Data)
	}
	for _, f := range g.Config {
		m["c:"+f.Name] = string(f.Data)
	}
	return m
}

// seen computes, independently of the package, what Quadlet and systemd
// would load, and the config files a container would mount: Quadlet walks its directory recursively, following symlinked
// subdirectories and taking the first file of each name; systemd reads the
// top level of its directory, following symlinks, and treats a dangling
// link as absent. It fails the test when Quadlet would find one name twice
// with different content.
func seen(t testing.TB, s *Site) map[string]string {
	t.Helper()
	m := map[string]string{}
	var walk func(dir string)
	walk = func(dir string) {
		ents, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return
		}
		if err != nil {
			t.Fatalf("quadlet view: %v", err)
		}
		var subdirs []string
		for _, e := range ents {
			p := filepath.Join(dir, e.Name())
			fi, err := os.Stat(p)
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			if err != nil {
				t.Fatalf("quadlet view: %v", err)
			}
			if fi.IsDir() {
				subdirs = append(subdirs, p)
				continue
			}
			if !slices.ContainsFunc(quadletSuffixes, func(suf string) bool { return strings.HasSuffix(e.Name(), suf) }) {
				continue // Quadlet reads every known suffix, hidden files too
			}
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("quadlet view: %v", err)
			}
			k := "q:" + e.Name()
			if old, dup := m[k]; dup && old != string(data) {
				t.Fatalf("quadlet view: %s seen twice with different content", e.Name())
			}
			if _, dup := m[k]; !dup {
				m[k] = string(data)
			}
		}
		for _, d := range subdirs {
			walk(d)
		}
	}
	walk(s.QuadletDir)
	ents, err := os.ReadDir(s.SystemdDir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("systemd view: %v", err)
	}
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".target") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(s.SystemdDir, e.Name()))
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatalf("systemd view: %v", err)
		}
		m["s:"+e.Name()] = string(data)
	}
	// A container that mounts a config file through "current" when it
	// starts gets the file of the generation "current" names.
	cdir := filepath.Join(s.BindingsDir, currentName, "config")
	ents, err = os.ReadDir(cdir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("config view: %v", err)
	}
	for _, e := range ents {
		data, err := os.ReadFile(filepath.Join(cdir, e.Name()))
		if err != nil {
			t.Fatalf("config view: %v", err)
		}
		m["c:"+e.Name()] = string(data)
	}
	return m
}

// assertCanonical checks that g is installed exactly as Apply leaves it:
// Quadlet and systemd see g, every link is canonical, no link dangles,
// there is one generation directory and no temporary file.
func assertCanonical(t testing.TB, s *Site, g Generation) {
	t.Helper()
	if got, want := seen(t, s), flat(g); !maps.Equal(got, want) {
		t.Fatalf("installed units differ:\n got %v\nwant %v", keys(got), keys(want))
	}
	ents, err := os.ReadDir(s.BindingsDir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	if len(names) != 3 || names[0] != lockName || names[1] != currentName || !strings.HasPrefix(names[2], genPrefix) {
		t.Fatalf("bindings dir holds %v, want [bind.lock current gen-N]", names)
	}
	if target, _ := os.Readlink(filepath.Join(s.BindingsDir, currentName)); target != names[2] {
		t.Fatalf("current -> %q, want %q", target, names[2])
	}
	if target, _ := os.Readlink(filepath.Join(s.QuadletDir, QuadletLinkName)); target != filepath.Join(s.BindingsDir, "current", "quadlet") {
		t.Fatalf("quadlet link -> %q", target)
	}
	ents, err = os.ReadDir(s.SystemdDir)
	if err != nil {
		t.Fatal(err)
	}
	var links []string
	for _, e := range ents {
		p := filepath.Join(s.SystemdDir, e.Name())
		if _, err := os.Stat(p); err != nil {
			t.Fatalf("dangling or broken entry %s: %v", p, err)
		}
		if e.Type()&fs.ModeSymlink != 0 {
			if target, _ := os.Readlink(p); within(s.BindingsDir, target) {
				links = append(links, e.Name())
				if target != filepath.Join(s.BindingsDir, "current", "systemd", e.Name()) {
					t.Fatalf("%s -> %s is not canonical", p, target)
				}
			}
		}
	}
	var want []string
	for _, f := range g.Systemd {
		want = append(want, f.Name)
	}
	slices.Sort(want)
	if !slices.Equal(links, want) {
		t.Fatalf("systemd links %v, want %v", links, want)
	}
	for _, dir := range []string{s.BindingsDir, s.QuadletDir, s.SystemdDir} {
		filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.Contains(d.Name(), "tmp") {
				t.Errorf("stray temporary file %s", p)
			}
			return nil
		})
	}
}

func keys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// snapshot records inode, size, mode and times of every entry under the
// three directories, without following symlinks.
func snapshot(t testing.TB, s *Site) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, dir := range []string{s.BindingsDir, s.QuadletDir, s.SystemdDir} {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if errors.Is(err, fs.ErrNotExist) && p == dir {
				return nil
			}
			if err != nil {
				return err
			}
			var st syscall.Stat_t
			if err := syscall.Lstat(p, &st); err != nil {
				return err
			}
			m[p] = fmt.Sprintf("ino=%d size=%d mode=%o mtime=%d.%d ctime=%d.%d", st.Ino, st.Size, st.Mode,
				st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return m
}

// mustWrite creates a file with its parent directories.
func mustWrite(t testing.TB, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sameContent reports whether two Generations hold the same files.
func sameContent(a, b Generation) bool { return maps.Equal(flat(a), flat(b)) }

// copyTree copies directories, regular files and symlinks (verbatim) from
// src to dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		to := filepath.Join(dst, rel)
		fi, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case d.IsDir():
			return os.Mkdir(to, fi.Mode().Perm())
		case d.Type()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			return os.Symlink(target, to)
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			return os.WriteFile(to, data, fi.Mode().Perm())
		}
	})
	if err != nil {
		t.Fatal(err)
	}
}
