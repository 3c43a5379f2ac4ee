// Package hosttest builds the test extensions under host/testdata/ext and
// finds processes they left behind. It is for tests only.
//
// The binaries are built once per content: the key hashes the Go version,
// both go.sum files and every file of host/testdata/ext and sdk, and the
// binaries are kept under the user cache directory, so only the first run
// after a change pays for linking them.
package hosttest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Names are the test extensions, one main package each.
var Names = []string{"actor", "twin", "slowstart", "noisy", "badname", "protocol3", "minimal"}

var (
	once     sync.Once
	builtDir string
	buildErr error
)

// Dir returns the directory holding every test extension binary, building
// them if needed.
func Dir() (string, error) {
	once.Do(func() { builtDir, buildErr = build() })
	return builtDir, buildErr
}

// Root returns the module root (the directory of lychd's go.mod).
func Root() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.HasPrefix(string(data), "module github.com/lychd/lychd\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no lychd go.mod above the working directory")
		}
		dir = parent
	}
}

func build() (string, error) {
	root, err := Root()
	if err != nil {
		return "", err
	}
	key, err := contentKey(root)
	if err != nil {
		return "", err
	}
	cacheRoot, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	dir := filepath.Join(cacheRoot, "lychd-test", "host-ext", key)
	if complete(dir) {
		return dir, nil
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", err
	}
	// go test runs packages in parallel processes; one builds, the others
	// wait for it and then find the binaries in place.
	lock, err := os.OpenFile(filepath.Join(filepath.Dir(dir), ".build.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return "", err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return "", err
	}
	if complete(dir) {
		return dir, nil
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".build-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	args := []string{"build", "-trimpath", "-ldflags=-s -w", "-o", tmp + "/"}
	for _, n := range Names {
		args = append(args, "./host/testdata/ext/"+n)
	}
	cmd := exec.Command("go", args...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build test extensions: %v\n%s", err, out)
	}
	if err := os.Rename(tmp, dir); err != nil && !complete(dir) {
		return "", err
	}
	return dir, nil
}

func complete(dir string) bool {
	for _, n := range Names {
		if _, err := os.Stat(filepath.Join(dir, n)); err != nil {
			return false
		}
	}
	return true
}

// contentKey hashes everything the binaries are built from.
func contentKey(root string) (string, error) {
	h := sha256.New()
	fmt.Fprintln(h, runtime.Version(), runtime.GOOS, runtime.GOARCH)
	for _, f := range []string{"go.mod", "go.sum", "sdk/go.mod", "sdk/go.sum"} {
		if err := hashFile(h, filepath.Join(root, f)); err != nil && !os.IsNotExist(err) {
			return "", err
		}
	}
	for _, d := range []string{"host/testdata/ext", "sdk"} {
		var files []string
		err := filepath.WalkDir(filepath.Join(root, d), func(p string, de fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if !de.IsDir() {
				files = append(files, p)
			}
			return nil
		})
		if err != nil {
			return "", err
		}
		sort.Strings(files)
		for _, f := range files {
			fmt.Fprintln(h, strings.TrimPrefix(f, root))
			if err := hashFile(h, f); err != nil {
				return "", err
			}
		}
	}
	return hex.EncodeToString(h.Sum(nil))[:24], nil
}

func hashFile(w io.Writer, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}

// Proc is a running process found by Leftovers.
type Proc struct {
	Pid     int
	Exe     string
	Cmdline string
}

func (p Proc) String() string { return fmt.Sprintf("pid %d %s (%s)", p.Pid, p.Cmdline, p.Exe) }

// Leftovers lists live processes whose executable lies under one of dirs,
// or whose environment contains marker (when not empty). Zombies count as
// gone.
func Leftovers(marker string, dirs ...string) []Proc {
	ents, _ := os.ReadDir("/proc")
	var out []Proc
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		base := filepath.Join("/proc", e.Name())
		if stat, err := os.ReadFile(filepath.Join(base, "stat")); err == nil {
			if i := strings.LastIndexByte(string(stat), ')'); i > 0 && len(stat) > i+2 && stat[i+2] == 'Z' {
				continue
			}
		}
		exe, _ := os.Readlink(filepath.Join(base, "exe"))
		cmdline, _ := os.ReadFile(filepath.Join(base, "cmdline"))
		p := Proc{Pid: pid, Exe: exe, Cmdline: strings.TrimSpace(strings.ReplaceAll(string(cmdline), "\x00", " "))}
		match := false
		for _, d := range dirs {
			if d != "" && strings.HasPrefix(exe, d+"/") {
				match = true
			}
		}
		if !match && marker != "" {
			env, _ := os.ReadFile(filepath.Join(base, "environ"))
			match = strings.Contains(string(env), "LYCHD_TEST_MARKER="+marker+"\x00")
		}
		if match {
			out = append(out, p)
		}
	}
	return out
}
