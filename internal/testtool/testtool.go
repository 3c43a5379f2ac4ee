// Package testtool finds the external programs that lychd's tests run against
// (the real Podman 5.4 Quadlet generator and systemd-analyze) and applies the
// project's rule for missing ones: under CI=true a missing tool fails the
// test, anywhere else the test is skipped with the reason.
package testtool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/verify"
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

// Root applies the missing-tool rule to root privileges: a test that needs
// them (why says for what) fails under CI=true and is skipped elsewhere when
// it does not run as root.
func Root(t testing.TB, why string) {
	t.Helper()
	if os.Geteuid() != 0 {
		missing(t, "%s needs root", why)
	}
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
// that do not exist, so when /usr/bin/podman is missing it runs where a stub
// stands in for it (verify.StubPodman: a private mount namespace, which
// needs root); nothing outside that namespace changes. systemd-analyze only
// warns (exit 0) about unknown keys and bad values, so callers should treat
// any output as a finding.
func SystemdVerify(t testing.TB, paths ...string) (string, error) {
	t.Helper()
	analyze := SystemdAnalyze(t)
	if _, err := os.Stat("/usr/bin/podman"); err != nil {
		if _, err := exec.LookPath("unshare"); err != nil {
			missing(t, "systemd-analyze verify needs /usr/bin/podman or unshare(1) to put a stub in its place: %v", err)
			return "", nil
		}
		if os.Geteuid() != 0 {
			missing(t, "systemd-analyze verify needs /usr/bin/podman, or root to put a stub in its place in a private mount namespace")
			return "", nil
		}
	}
	argv := append([]string{analyze, "--user", "verify", "--man=no", "--generators=no"}, paths...)
	cmd, err := verify.StubPodman(context.Background(), t.TempDir(), argv)
	if err != nil {
		t.Fatalf("testtool: %v", err)
	}
	cmd.Env = append(os.Environ(), "XDG_RUNTIME_DIR="+t.TempDir(), "SYSTEMD_LOG_COLOR=0")
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) && exitErr.ExitCode() == verify.ExitNoStub {
		missing(t, "systemd-analyze verify: cannot put a podman stub on /usr/bin in a private mount namespace: %s", out)
	}
	return string(out), err
}

// Promtool returns the path of Prometheus's promtool: $LYCHD_PROMTOOL when
// set, else promtool from $PATH (Debian package prometheus; see
// scripts/ensure-promtool.sh).
func Promtool(t testing.TB) string {
	t.Helper()
	return prometheusTool(t, "LYCHD_PROMTOOL", "promtool")
}

// PrometheusServer returns the path of the Prometheus server binary:
// $LYCHD_PROMETHEUS when set, else prometheus from $PATH (Debian package
// prometheus; see scripts/ensure-promtool.sh).
func PrometheusServer(t testing.TB) string {
	t.Helper()
	return prometheusTool(t, "LYCHD_PROMETHEUS", "prometheus")
}

func prometheusTool(t testing.TB, env, name string) string {
	t.Helper()
	if p := os.Getenv(env); p != "" {
		if fi, err := os.Stat(p); err != nil || fi.Mode()&0o111 == 0 {
			missing(t, "%s=%q is not an executable file", env, p)
			return ""
		}
		return p
	}
	p, err := exec.LookPath(name)
	if err != nil {
		missing(t, "%s not found in $PATH (Debian package prometheus; run scripts/ensure-promtool.sh as root): %v", name, err)
		return ""
	}
	return p
}
