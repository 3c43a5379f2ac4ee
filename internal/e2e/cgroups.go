package e2e

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// makeCgroups creates a cgroup named name below the calling process's own
// cgroup in the hierarchies systemd-nspawn uses (cgroup2 and the v1
// name=systemd one) and returns their directories.
func makeCgroups(name string) ([]string, error) {
	own, err := ownCgroups()
	if err != nil {
		return nil, err
	}
	mounts, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	var dirs []string
	for _, line := range strings.Split(string(mounts), "\n") {
		// mountinfo: ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS ... - FSTYPE SOURCE SUPEROPTS
		pre, post, ok := strings.Cut(line, " - ")
		if !ok {
			continue
		}
		f, g := strings.Fields(pre), strings.Fields(post)
		if len(f) < 5 || len(g) < 3 {
			continue
		}
		var key string
		switch {
		case g[0] == "cgroup2":
			key = ""
		case g[0] == "cgroup" && hasOpt(g[2], "name=systemd"):
			key = "name=systemd"
		default:
			continue
		}
		base, ok := own[key]
		if !ok {
			continue
		}
		// The mount's root may itself be a sub-cgroup (inside containers).
		rel, err := filepath.Rel(f[3], base)
		if err != nil || strings.HasPrefix(rel, "..") {
			rel = "."
		}
		dir := filepath.Join(f[4], rel, name)
		if err := os.Mkdir(dir, 0o755); err != nil {
			removeCgroups(dirs)
			return nil, fmt.Errorf("creating cgroup %s: %w", dir, err)
		}
		dirs = append(dirs, dir)
	}
	if len(dirs) == 0 {
		return nil, errors.New("no cgroup2 or name=systemd cgroup hierarchy is mounted")
	}
	return dirs, nil
}

func hasOpt(opts, want string) bool {
	for _, o := range strings.Split(opts, ",") {
		if o == want {
			return true
		}
	}
	return false
}

// ownCgroups maps a hierarchy ("" for cgroup2, "name=systemd", ...) to the
// calling process's cgroup path in it.
func ownCgroups() (map[string]string, error) {
	b, err := os.ReadFile("/proc/self/cgroup")
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		parts := strings.SplitN(sc.Text(), ":", 3)
		if len(parts) != 3 {
			continue
		}
		out[parts[1]] = parts[2]
	}
	return out, nil
}

// removeCgroups kills whatever still runs in the given cgroup trees and
// removes them, deepest first.
func removeCgroups(roots []string) error {
	var errs []error
	for _, root := range roots {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		sort.Slice(dirs, func(i, j int) bool { return len(dirs[i]) > len(dirs[j]) })
		for _, d := range dirs {
			var err error
			for try := 0; try < 100; try++ {
				if err = os.Remove(d); err == nil || errors.Is(err, os.ErrNotExist) {
					err = nil
					break
				}
				killProcs(d)
				time.Sleep(10 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("removing leftover cgroup %s: %w", d, err))
			}
		}
	}
	return errors.Join(errs...)
}

func killProcs(dir string) {
	b, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	for _, s := range strings.Fields(string(b)) {
		if pid, err := strconv.Atoi(s); err == nil {
			_ = killPID(pid)
		}
	}
}

func killPID(pid int) error { return syscall.Kill(pid, syscall.SIGKILL) }
