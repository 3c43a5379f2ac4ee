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

// LychdPackage is the import path of the lychd command.
const LychdPackage = "github.com/lychd/lychd/cmd/lychd"

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

// BuildLychdTo builds lychd as a static binary into dir and returns its
// path.
func BuildLychdTo(dir string) (string, error) {
	out := filepath.Join(dir, "lychd")
	if err := goBuild(out, "", LychdPackage); err != nil {
		return "", err
	}
	return out, nil
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

// BuildLychd builds lychd (BuildLychdTo) into the test's temporary
// directory and returns its path.
func BuildLychd(t testing.TB) string {
	t.Helper()
	p, err := BuildLychdTo(t.TempDir())
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	return p
}
