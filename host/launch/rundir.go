package launch

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// RunDir is a directory private to one assimilation (or install) of this
// process, under a base directory shared by every lychd process of the
// user: extensions create their sockets and temporary files in it
// (PLUGIN_UNIX_SOCKET_DIR and TMPDIR), so that nothing they leave behind,
// even when they or lychd are killed, lands in the system's temporary
// directory. Its name starts with the pid of the process that made it.
type RunDir struct {
	// Path is the directory.
	Path string
}

// NewRunDir creates a RunDir under base (mode 0700, base too). It first
// removes the RunDirs of processes that no longer exist, which is how the
// leftovers of a killed lychd go.
func NewRunDir(base string) (*RunDir, error) {
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("create lychd's process directory: %w", err)
	}
	fi, err := os.Lstat(base)
	if err != nil {
		return nil, fmt.Errorf("inspect lychd's process directory: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); !fi.IsDir() || (ok && int(st.Uid) != os.Geteuid()) || fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("lychd's process directory %s must be a directory of yours that only you can read (mode 0700); remove it, and lychd creates it again", base)
	}
	sweep(base)
	dir, err := os.MkdirTemp(base, strconv.Itoa(os.Getpid())+"-")
	if err != nil {
		return nil, fmt.Errorf("create a process directory for the extensions: %w", err)
	}
	return &RunDir{Path: dir}, nil
}

// Remove deletes the directory and what the extensions left in it.
func (d *RunDir) Remove() {
	if d != nil {
		_ = os.RemoveAll(d.Path)
	}
}

// Env is what an extension's environment gets for d.
func (d *RunDir) Env() []string {
	if d == nil {
		return nil
	}
	return []string{"PLUGIN_UNIX_SOCKET_DIR=" + d.Path, "TMPDIR=" + d.Path}
}

// sweep removes the entries of base named "PID-..." whose process is gone.
func sweep(base string) {
	ents, err := os.ReadDir(base)
	if err != nil {
		return
	}
	for _, e := range ents {
		pidText, _, ok := strings.Cut(e.Name(), "-")
		pid, err := strconv.Atoi(pidText)
		if !ok || err != nil || pid <= 0 || !e.IsDir() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			_ = os.RemoveAll(filepath.Join(base, e.Name()))
		}
	}
}
