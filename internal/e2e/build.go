package e2e

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// StubPodmanPackage is the import path of the stub podman program.
const StubPodmanPackage = "github.com/lychd/lychd/internal/e2e/stubpodman"

// LychdPackage and LychdHostPackage are the import paths of the lychd
// command and of lychd-host, which lychd runs from its own directory.
const (
	LychdPackage     = "github.com/lychd/lychd/cmd/lychd"
	LychdHostPackage = "github.com/lychd/lychd/cmd/lychd-host"
)

// BuildStatic builds the Go main package pkg as a static binary (CGO_ENABLED=0)
// into the test's temporary directory and returns its path. The Go build
// cache makes repeated builds cheap.
func BuildStatic(t testing.TB, pkg string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), filepath.Base(pkg))
	if err := BuildStaticTo(pkg, out); err != nil {
		t.Fatalf("e2e: %v", err)
	}
	return out
}

// BuildStaticTo builds the Go main package pkg as a static binary at out;
// for binaries shared by a package's tests (build once in TestMain or a
// sync.Once, remove after m.Run).
func BuildStaticTo(pkg, out string) error {
	return goBuild(out, "", pkg)
}

// SplitTag is the build tag of the installed form of lychd: light, with
// lychd-host beside it (see cmd/lychd).
const SplitTag = "lychd_split"

// BuildLychdTo builds lychd (with SplitTag) and lychd-host as static
// binaries side by side in dir, as `make install` installs them, and
// returns the path of lychd.
func BuildLychdTo(dir string) (string, error) {
	if err := goBuild(dir+"/", SplitTag, LychdPackage, LychdHostPackage); err != nil {
		return "", err
	}
	return filepath.Join(dir, "lychd"), nil
}

// BuildSelfContainedLychd builds lychd as a plain `go build ./cmd/lychd`
// does (one binary, plugin host linked in) into the test's temporary
// directory and returns its path.
func BuildSelfContainedLychd(t testing.TB) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "lychd")
	if err := goBuild(out, "", LychdPackage); err != nil {
		t.Fatalf("e2e: %v", err)
	}
	return out
}

// goBuild runs `go build -trimpath [-tags tags] -o out pkgs...` with cgo
// disabled; out ending in a slash is a directory receiving one binary per
// package.
func goBuild(out, tags string, pkgs ...string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	args := []string{"build", "-trimpath", "-o", out}
	if tags != "" {
		args = append(args, "-tags", tags)
	}
	cmd := exec.CommandContext(ctx, "go", append(args, pkgs...)...)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %v\n%s", strings.Join(pkgs, " "), err, b)
	}
	return nil
}

// BuildStubPodman builds the stub podman (package stubpodman).
func BuildStubPodman(t testing.TB) string {
	t.Helper()
	return BuildStatic(t, StubPodmanPackage)
}

// BuildLychd builds lychd and lychd-host side by side (BuildLychdTo) into
// the test's temporary directory and returns the path of lychd.
func BuildLychd(t testing.TB) string {
	t.Helper()
	p, err := BuildLychdTo(t.TempDir())
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	return p
}
