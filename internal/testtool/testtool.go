// Package testtool finds the external programs that lychd's tests run against
// (the real Podman 5.4 Quadlet generator and systemd-analyze) and applies the
// project's rule for missing ones: under CI=true a missing tool fails the
// test, anywhere else the test is skipped with the reason.
package testtool

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// missing fails t under CI=true and skips it otherwise.
func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s (CI=true: a missing test tool is a failure)", msg)
	}
	t.Skipf("%s (set CI=true to make this a failure)", msg)
}

// RepoRoot returns the repository root: the nearest directory above the
// working directory that holds scripts/fetch-quadlet.sh.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("testtool: find repo root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "scripts", "fetch-quadlet.sh")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("testtool: find repo root: no scripts/fetch-quadlet.sh above the working directory; run tests inside the lychd checkout")
		}
		dir = parent
	}
}

// Quadlet returns the path of the real Podman 5.4 Quadlet generator. It runs
// scripts/fetch-quadlet.sh from the repository root, which honours
// $LYCHD_QUADLET, answers from its cache when it can and otherwise downloads
// the binary.
func Quadlet(t testing.TB) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		missing(t, "quadlet: %v", err)
		return ""
	}
	cmd := exec.Command("bash", filepath.Join(root, "scripts", "fetch-quadlet.sh"))
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		missing(t, "quadlet: scripts/fetch-quadlet.sh failed: %v: %s", err, strings.TrimSpace(stderr.String()))
		return ""
	}
	path := strings.TrimSpace(string(out))
	if fi, err := os.Stat(path); err != nil || fi.Mode()&0o111 == 0 {
		missing(t, "quadlet: scripts/fetch-quadlet.sh printed %q, which is not an executable file", path)
		return ""
	}
	return path
}

// SystemdAnalyze returns the path of systemd-analyze from $PATH.
func SystemdAnalyze(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("systemd-analyze")
	if err != nil {
		missing(t, "systemd-analyze not found in $PATH (Debian package systemd): %v", err)
		return ""
	}
	return path
}

// QuadletDryRun writes files (name -> content) into a fresh directory, runs
// "quadlet -dryrun -user -no-kmsg-log" on it and returns the generated units
// by name (e.g. "app.service" -> content), Quadlet's log (stderr) and its
// exit error. Quadlet exits 1 when it skipped a bad unit but still prints the
// others, so callers decide what an error means.
func QuadletDryRun(t testing.TB, files map[string]string) (units map[string]string, log string, err error) {
	t.Helper()
	quadlet := Quadlet(t)
	dir := t.TempDir()
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatalf("testtool: write %s: %v", name, err)
		}
	}
	cmd := exec.Command(quadlet, "-dryrun", "-user", "-no-kmsg-log")
	cmd.Env = append(os.Environ(), "QUADLET_UNIT_DIRS="+dir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	return splitDryRun(stdout.String()), stderr.String(), err
}

// splitDryRun cuts quadlet's dry-run output ("---name---" then the unit) into
// units.
func splitDryRun(out string) map[string]string {
	units := map[string]string{}
	name := ""
	var b strings.Builder
	flush := func() {
		if name != "" {
			units[name] = b.String()
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(out, "\n") {
		trim := strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(trim, "---") && strings.HasSuffix(trim, "---") && len(trim) > 6 {
			flush()
			name = trim[3 : len(trim)-3]
			continue
		}
		b.WriteString(line)
	}
	flush()
	return units
}

// SystemdVerify runs "systemd-analyze --user verify --man=no --generators=no"
// on paths with XDG_RUNTIME_DIR set to a temporary directory, and returns its
// combined output and exit error. systemd-analyze refuses ExecStart= binaries
// that do not exist, so when /usr/bin/podman is missing it runs inside a
// private mount namespace (unshare -m, needs root) where /usr/bin is an
// overlay holding a stub podman; nothing outside that namespace changes.
// systemd-analyze only warns (exit 0) about unknown keys and bad values, so
// callers should treat any output as a finding.
func SystemdVerify(t testing.TB, paths ...string) (string, error) {
	t.Helper()
	analyze := SystemdAnalyze(t)
	runtime := t.TempDir()
	args := append([]string{analyze, "--user", "verify", "--man=no", "--generators=no"}, paths...)
	var cmd *exec.Cmd
	if _, err := os.Stat("/usr/bin/podman"); err == nil {
		cmd = exec.Command(args[0], args[1:]...)
	} else {
		unshare, err := exec.LookPath("unshare")
		if err != nil {
			missing(t, "systemd-analyze verify needs /usr/bin/podman or unshare(1) to overlay a stub: %v", err)
			return "", nil
		}
		if os.Geteuid() != 0 {
			missing(t, "systemd-analyze verify needs /usr/bin/podman, or root to overlay a stub in a private mount namespace")
			return "", nil
		}
		ov := t.TempDir()
		upper, work := filepath.Join(ov, "upper"), filepath.Join(ov, "work")
		for _, d := range []string{upper, work} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatalf("testtool: %v", err)
			}
		}
		if err := os.WriteFile(filepath.Join(upper, "podman"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
			t.Fatalf("testtool: write podman stub: %v", err)
		}
		script := `mount -t overlay overlay -o "lowerdir=/usr/bin,upperdir=$1,workdir=$2" /usr/bin || exit 125; shift 2; exec "$@"`
		cmd = exec.Command(unshare, append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", upper, work}, args...)...)
	}
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+runtime, "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() == 125 {
		missing(t, "systemd-analyze verify: cannot overlay a podman stub on /usr/bin in a private mount namespace: %s", out)
	}
	return string(out), err
}
