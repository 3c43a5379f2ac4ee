// Package verify runs the real tools lychd's output must satisfy over a set of
// generated files: the Podman Quadlet generator (dry run and generator mode)
// and `systemd-analyze --user verify`. Tests and benchmarks use it; any
// warning either tool prints counts as a failure, since both tools exit 0 on
// misspelled keys and bad values.
package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
)

// Dirs is an installed-looking layout of generated files.
type Dirs struct {
	// Quadlet holds .pod/.container files (QUADLET_UNIT_DIRS).
	Quadlet string
	// Systemd holds .target files.
	Systemd string
}

// QuadletDryRun runs `quadlet -dryrun -user -no-kmsg-log` over d.Quadlet and
// fails on a non-zero exit or any line on stderr.
func QuadletDryRun(ctx context.Context, quadlet string, d Dirs) error {
	cmd := exec.CommandContext(ctx, quadlet, "-dryrun", "-user", "-no-kmsg-log")
	cmd.Env = append(os.Environ(), "QUADLET_UNIT_DIRS="+d.Quadlet)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("quadlet -dryrun over %s: %w\n%s", d.Quadlet, err, stderr.String())
	}
	if s := warnings(stderr.String()); s != "" {
		return fmt.Errorf("quadlet -dryrun over %s printed warnings:\n%s", d.Quadlet, s)
	}
	return nil
}

// QuadletGenerate runs Quadlet in generator mode, writing services into out.
func QuadletGenerate(ctx context.Context, quadlet string, d Dirs, out string) error {
	cmd := exec.CommandContext(ctx, quadlet, "-user", "-no-kmsg-log", out)
	cmd.Env = append(os.Environ(), "QUADLET_UNIT_DIRS="+d.Quadlet)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("quadlet generator over %s: %w\n%s", d.Quadlet, err, stderr.String())
	}
	if s := warnings(stderr.String()); s != "" {
		return fmt.Errorf("quadlet generator over %s printed warnings:\n%s", d.Quadlet, s)
	}
	return nil
}

// SystemdVerify generates services from d with Quadlet and runs
// `systemd-analyze --user verify` over them and the targets, in a private
// mount namespace where /usr/bin/podman exists (systemd-analyze checks that
// ExecStart binaries exist). Any output line is a failure.
func SystemdVerify(ctx context.Context, quadlet string, d Dirs) error {
	tmp, err := os.MkdirTemp("", "lychd-verify-")
	if err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	defer os.RemoveAll(tmp)
	gen := filepath.Join(tmp, "gen")
	if err := os.Mkdir(gen, 0o755); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	if err := QuadletGenerate(ctx, quadlet, d, gen); err != nil {
		return err
	}
	var units []string
	for _, dir := range []string{gen, d.Systemd} {
		if dir == "" {
			continue
		}
		ents, err := os.ReadDir(dir)
		if err != nil {
			return fmt.Errorf("verify: %w", err)
		}
		for _, e := range ents {
			if strings.HasSuffix(e.Name(), ".service") || strings.HasSuffix(e.Name(), ".target") {
				units = append(units, filepath.Join(dir, e.Name()))
			}
		}
	}
	sort.Strings(units)
	if len(units) == 0 {
		return errors.New("verify: no units to verify")
	}
	return AnalyzeUnits(ctx, tmp, units)
}

// AnalyzeUnits runs systemd-analyze --user verify over unit files, where
// /usr/bin/podman exists (see StubPodman). scratch is a writable directory
// for the stub and the runtime directory.
func AnalyzeUnits(ctx context.Context, scratch string, units []string) error {
	runtime := filepath.Join(scratch, "runtime")
	if err := os.MkdirAll(runtime, 0o700); err != nil {
		return fmt.Errorf("verify: %w", err)
	}
	// systemd-analyze resolves the names it verifies through its search
	// path; put every file's directory on it.
	dirs := map[string]bool{}
	for _, u := range units {
		dirs[filepath.Dir(u)] = true
	}
	var path []string
	for dir := range dirs {
		path = append(path, dir)
	}
	sort.Strings(path)
	argv := append([]string{"systemd-analyze", "--user", "verify", "--man=no", "--generators=no"}, units...)
	cmd, err := StubPodman(ctx, scratch, argv)
	if err != nil {
		return err
	}
	cmd.Env = append(os.Environ(),
		"XDG_RUNTIME_DIR="+runtime,
		"SYSTEMD_UNIT_PATH="+strings.Join(path, ":")+":",
	)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if err != nil {
		return fmt.Errorf("systemd-analyze --user verify: %w\n%s", err, out.String())
	}
	if s := strings.TrimSpace(out.String()); s != "" {
		return fmt.Errorf("systemd-analyze --user verify printed warnings:\n%s", s)
	}
	return nil
}

// ExitNoStub is the exit status of a StubPodman command that could not put
// a stub podman on /usr/bin.
const ExitNoStub = 125

// StubPodman returns a command running argv where /usr/bin/podman exists, as
// systemd-analyze verify requires of every ExecStart= binary: argv itself
// when it does, otherwise argv inside a private mount namespace (unshare -m,
// which needs root) whose /usr/bin is a read-only overlay of a directory
// holding a stub podman over the real /usr/bin. Where overlayfs is refused,
// /usr/bin is replaced by a bind-mounted farm of links to the real one plus
// the stub (about 0.3 s for 1,000 binaries, so only as a fallback). Nothing
// outside the namespace changes; the command exits ExitNoStub when neither
// works. scratch is a writable directory for the stub.
func StubPodman(ctx context.Context, scratch string, argv []string) (*exec.Cmd, error) {
	if _, err := os.Stat("/usr/bin/podman"); err == nil {
		return exec.CommandContext(ctx, argv[0], argv[1:]...), nil
	}
	stub := filepath.Join(scratch, "podman-stub")
	if err := os.MkdirAll(stub, 0o755); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	if err := os.WriteFile(filepath.Join(stub, "podman"), []byte("#!/bin/sh\nexit 0\n"), 0o755); err != nil {
		return nil, fmt.Errorf("verify: %w", err)
	}
	// overlayfs splits lowerdir= at ':' and ','; such a scratch path
	// gets the farm.
	script := `ok=
case "$1" in
*[:,]*) ;;
*) mount -t overlay lychd-stub -o "lowerdir=$1:/usr/bin" /usr/bin 2>/dev/null && ok=1 ;;
esac
if [ -z "$ok" ]; then
	mkdir -p "$2/realbin" "$2/bin" &&
	mount --bind /usr/bin "$2/realbin" &&
	ln -s "$2"/realbin/* "$2/bin/" &&
	cp "$1/podman" "$2/bin/podman" &&
	mount --bind "$2/bin" /usr/bin || exit ` + fmt.Sprint(ExitNoStub) + `
fi
shift 2
exec "$@"`
	args := append([]string{"-m", "--propagation", "private", "sh", "-c", script, "sh", stub, filepath.Join(scratch, "farm")}, argv...)
	return exec.CommandContext(ctx, "unshare", args...), nil
}

// warnings drops Quadlet's informational "Loading source unit file" lines
// and returns whatever else it printed.
func warnings(stderr string) string {
	var keep []string
	for _, line := range strings.Split(stderr, "\n") {
		if strings.TrimSpace(line) == "" || strings.Contains(line, "Loading source unit file") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "\n")
}
