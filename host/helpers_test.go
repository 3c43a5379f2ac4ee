package host

import (
	"crypto/sha256"
	"encoding/hex"
	"github.com/lychd/lychd/sdk"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/host/hosttest"
	"github.com/lychd/lychd/host/lockfile"
)

// extBin returns the path of a built test extension.
func extBin(t testing.TB, name string) string {
	t.Helper()
	dir, err := hosttest.Dir()
	if err != nil {
		t.Fatalf("building the test extensions: %v", err)
	}
	return filepath.Join(dir, name)
}

// plant installs a test extension under name without probing it, as if it
// had been installed while it still behaved: copy plus lock entry.
func plant(t testing.TB, dir, bin, name string) string {
	t.Helper()
	src := extBin(t, bin)
	dst, err := BinaryPath(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	in, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	err = lockfile.Update(dir, func(l *lockfile.Lock) error {
		l.Extensions[name] = lockfile.Entry{Version: "1.0.0", Protocol: sdk.ProtocolVersion, SHA256: hex.EncodeToString(h.Sum(nil)), Size: n, Installed: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Source: src}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// norm replaces the variable parts of a message (temporary directories,
// the build cache) with placeholders.
func norm(t testing.TB, s string, repl ...string) string {
	t.Helper()
	dir, err := hosttest.Dir()
	if err != nil {
		t.Fatal(err)
	}
	pairs := []string{dir, "$EXT"}
	for i := 0; i+1 < len(repl); i += 2 {
		if repl[i] != "" {
			pairs = append(pairs, repl[i], repl[i+1])
		}
	}
	return strings.NewReplacer(pairs...).Replace(s)
}

// noLeftovers fails when a process of a test extension (an executable
// under one of dirs, or a child carrying marker) is still alive. Killed
// processes take a moment to die, so it polls for up to five seconds.
func noLeftovers(t testing.TB, marker string, dirs ...string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		left := hosttest.Leftovers(marker, dirs...)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			for _, p := range left {
				t.Errorf("leftover process: %s", p)
				_ = killPid(p.Pid)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tempDir is t.TempDir on a tmpfs when there is one: the host fsyncs every
// binary and lock file it writes, and on a busy disk each fsync can take
// seconds, which says nothing about the host. The code paths are the same.
func tempDir(t testing.TB) string {
	t.Helper()
	if st, err := os.Stat("/dev/shm"); err != nil || !st.IsDir() {
		return t.TempDir()
	}
	dir, err := os.MkdirTemp("/dev/shm", "lychd-host-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
