package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RootFSStamp is the file scripts/ensure-deps.sh writes last into a complete
// root file system.
const RootFSStamp = ".lychd-e2e-rootfs-recipe"

// Unavailable skips the test with reason, or fails it when CI=true: in CI
// every prerequisite must be installed (by scripts/ensure-deps.sh).
func Unavailable(t testing.TB, reason string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("e2e: %s (CI=true: run scripts/ensure-deps.sh before the tests)", reason)
	}
	t.Skipf("e2e: %s; run scripts/ensure-deps.sh as root to enable booted-systemd tests", reason)
}

// CacheDir is lychd's cache directory, where scripts/ensure-deps.sh keeps the
// root file systems and Quadlet: $XDG_CACHE_HOME/lychd or ~/.cache/lychd.
func CacheDir() string {
	if d := os.Getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return filepath.Join(d, "lychd")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "lychd")
}

// DefaultRootFS is $LYCHD_E2E_ROOTFS or the root file system cached by
// scripts/ensure-deps.sh.
func DefaultRootFS() string {
	if p := os.Getenv("LYCHD_E2E_ROOTFS"); p != "" {
		return p
	}
	return filepath.Join(CacheDir(), "e2e-rootfs")
}

// DefaultQuadlet is $LYCHD_QUADLET or the generator cached by
// scripts/fetch-quadlet.sh.
func DefaultQuadlet() string {
	if p := os.Getenv("LYCHD_QUADLET"); p != "" {
		return p
	}
	return filepath.Join(CacheDir(), "quadlet", "quadlet")
}

// CheckHost reports what the host lacks to boot a machine: root, or
// systemd-nspawn or nsenter on $PATH. It returns nil when nothing is missing.
func CheckHost() error {
	if os.Geteuid() != 0 {
		return errors.New("booting a machine needs root")
	}
	for _, tool := range []string{"systemd-nspawn", "nsenter"} {
		if _, err := exec.LookPath(tool); err != nil {
			return fmt.Errorf("%s is not installed", tool)
		}
	}
	return nil
}

// withDefaults checks the prerequisites and fills in Options' defaults.
func withDefaults(t testing.TB, opts Options) Options {
	t.Helper()
	if err := CheckHost(); err != nil {
		Unavailable(t, err.Error())
	}
	if opts.RootFS == "" {
		opts.RootFS = DefaultRootFS()
	}
	if _, err := os.Stat(filepath.Join(opts.RootFS, RootFSStamp)); err != nil {
		Unavailable(t, fmt.Sprintf("no complete e2e root file system at %s", opts.RootFS))
	}
	if opts.OwnPodman {
		return opts
	}
	if opts.Quadlet == "" {
		opts.Quadlet = DefaultQuadlet()
	}
	if _, err := os.Stat(opts.Quadlet); err != nil {
		Unavailable(t, fmt.Sprintf("no Quadlet generator at %s", opts.Quadlet))
	}
	if opts.StubPodman == "" {
		opts.StubPodman = BuildStubPodman(t)
	}
	return opts
}
