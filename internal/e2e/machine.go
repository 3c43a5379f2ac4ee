// Package e2e boots a throwaway Debian machine with a real systemd (PID 1,
// system and user managers) under systemd-nspawn, with the real Podman
// Quadlet generator installed and a stub podman that logs every call, so that
// tests can drive Quadlet-generated units and lychd itself exactly as a user's
// host would, and prove orderings from the stub's log.
//
// A test calls Boot, writes unit files with WriteFile, runs commands with Run
// (system scope) or UserRun (root's user manager, as `systemctl --user` and
// lychd see it), and reads PodmanLog. Boot registers the teardown with
// t.Cleanup. Prerequisites (root, systemd-nspawn, the cached root file system
// and Quadlet, all provided by scripts/ensure-deps.sh) are checked first: a
// missing one skips the test, or fails it when CI=true.
package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Paths inside the machine.
const (
	// LogDir is where the host's per-machine log directory is mounted
	// read-write; the stub podman writes podman.log there.
	LogDir = "/mnt/e2e"
	// LychdPath is where Options.Lychd is mounted.
	LychdPath = "/usr/local/bin/lychd"
	// UserRuntimeDir is root's XDG_RUNTIME_DIR.
	UserRuntimeDir = "/run/user/0"
	// QuadletUnitDir is root's rootless Quadlet directory.
	QuadletUnitDir = "/root/.config/containers/systemd"
	// SystemdUserUnitDir is root's systemd user unit directory.
	SystemdUserUnitDir = "/root/.config/systemd/user"
)

// Bind is a host path mounted into the machine.
type Bind struct {
	// Host is an existing file or directory on the host.
	Host string
	// Machine is the absolute mount point inside the machine (e.g. /mnt/codex).
	Machine string
	// ReadOnly mounts it read-only.
	ReadOnly bool
}

// Options configure Boot. The zero value boots a machine with the stub podman
// and the cached Quadlet.
type Options struct {
	// Binds are extra mounts.
	Binds []Bind
	// Lychd is a host path to a static lychd binary (see BuildLychd),
	// mounted at LychdPath. Empty mounts none.
	Lychd string
	// Quadlet is the Quadlet generator binary; empty means $LYCHD_QUADLET or
	// the cache of scripts/fetch-quadlet.sh.
	Quadlet string
	// StubPodman is the binary mounted as /usr/bin/podman; empty builds
	// ./stubpodman (see BuildStubPodman).
	StubPodman string
	// RootFS is the root file system to boot (used read-only through an
	// overlay); empty means $LYCHD_E2E_ROOTFS or the cache of
	// scripts/ensure-deps.sh.
	RootFS string
	// BootTimeout bounds the boot, user manager included; default 60s.
	BootTimeout time.Duration
	// NspawnEnv is extra environment for systemd-nspawn, e.g.
	// SYSTEMD_NSPAWN_UNIFIED_HIERARCHY=1 for a pure cgroup v2 machine.
	NspawnEnv []string
	// OwnPodman boots a root file system that brings its own podman and
	// Quadlet: neither the stub podman nor the Quadlet generator is
	// mounted (StubPodman and Quadlet are ignored), and root's user
	// manager is not started: the caller sets up the user that runs
	// rootless Podman.
	OwnPodman bool
}

// Machine is a booted systemd-nspawn machine. Its methods may be called from
// one goroutine at a time.
type Machine struct {
	// Name is the nspawn machine name.
	Name string
	// PID1 is the host pid of the machine's systemd.
	PID1 int
	// LogDir is the host side of LogDir.
	LogDir string
	// BootTime is how long Boot took from starting nspawn until the user
	// manager was running.
	BootTime time.Duration

	nspawn  *exec.Cmd
	done    chan struct{}
	output  *lockedBuffer
	cgroups []string
}

// Boot starts a machine and waits until the system and root's user manager
// (unless Options.OwnPodman) are running. It skips (or fails under CI=true)
// when a prerequisite is missing, and registers the teardown with t.Cleanup
// (logging the machine's last journal lines when the test failed).
func Boot(t testing.TB, opts Options) *Machine {
	t.Helper()
	opts = withDefaults(t, opts)
	m, err := Start(opts)
	if m != nil {
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("e2e: last journal lines of machine %s:\n%s", m.Name, m.Journal(150))
			}
			if err := m.Close(); err != nil {
				t.Error(err)
			}
		})
	}
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	return m
}

// Start boots a machine as Boot does, for callers that share one machine
// beyond a single test (e.g. from TestMain): opts must name an existing
// RootFS and, unless OwnPodman, StubPodman and Quadlet (Boot fills these
// in). The caller must Close the machine, also when Start returns an error
// with a non-nil machine.
func Start(opts Options) (*Machine, error) {
	if opts.BootTimeout == 0 {
		opts.BootTimeout = 60 * time.Second
	}
	if opts.RootFS == "" || (!opts.OwnPodman && (opts.StubPodman == "" || opts.Quadlet == "")) {
		return nil, errors.New("e2e: Start needs Options.RootFS, and StubPodman and Quadlet unless OwnPodman")
	}
	start := time.Now()

	var suffix [4]byte
	_, _ = rand.Read(suffix[:])
	name := fmt.Sprintf("lychd-e2e-%d-%s", os.Getpid(), hex.EncodeToString(suffix[:]))
	logDir, err := os.MkdirTemp("", name+"-log-")
	if err != nil {
		return nil, fmt.Errorf("e2e: %w", err)
	}
	m := &Machine{
		Name:   name,
		LogDir: logDir,
		done:   make(chan struct{}),
		output: &lockedBuffer{},
	}
	// The log dir is written by services running as root inside.
	if err := os.Chmod(m.LogDir, 0o777); err != nil {
		os.RemoveAll(logDir)
		return nil, fmt.Errorf("e2e: %w", err)
	}
	cgroups, err := makeCgroups(m.Name)
	if err != nil {
		os.RemoveAll(logDir)
		return nil, fmt.Errorf("e2e: creating cgroups for machine %s: %w", m.Name, err)
	}
	m.cgroups = cgroups

	args := []string{
		"-q", "-D", opts.RootFS, "-M", m.Name, "-b",
		"--register=no", "--keep-unit", "--console=passive", "--volatile=overlay",
		"--bind=" + m.LogDir + ":" + LogDir,
	}
	if !opts.OwnPodman {
		args = append(args,
			"--bind-ro="+opts.StubPodman+":/usr/bin/podman",
			"--bind-ro="+opts.Quadlet+":/usr/libexec/podman/quadlet",
			"--bind-ro="+opts.Quadlet+":/usr/lib/systemd/system-generators/podman-system-generator",
			"--bind-ro="+opts.Quadlet+":/usr/lib/systemd/user-generators/podman-user-generator")
	}
	if opts.Lychd != "" {
		args = append(args, "--bind-ro="+opts.Lychd+":"+LychdPath)
	}
	for _, b := range opts.Binds {
		flag := "--bind="
		if b.ReadOnly {
			flag = "--bind-ro="
		}
		if !path.IsAbs(b.Machine) || strings.Contains(b.Host+b.Machine, ":") {
			m.release()
			return nil, fmt.Errorf("e2e: bind %s -> %s: need an absolute machine path and no ':' in either", b.Host, b.Machine)
		}
		args = append(args, flag+b.Host+":"+b.Machine)
	}
	// nspawn --keep-unit puts the machine's cgroups under its own cgroup:
	// move it into a fresh one first so that machines booted in parallel do
	// not share .../payload and the teardown removes exactly ours.
	script := `for f in $LYCHD_E2E_CGROUP_PROCS; do echo $$ >"$f" || exit 1; done; exec systemd-nspawn "$@"`
	cmd := exec.Command("/bin/sh", append([]string{"-c", script, "sh"}, args...)...)
	procs := make([]string, len(cgroups))
	for i, c := range cgroups {
		procs[i] = filepath.Join(c, "cgroup.procs")
	}
	cmd.Env = append(append(os.Environ(), opts.NspawnEnv...), "LYCHD_E2E_CGROUP_PROCS="+strings.Join(procs, " "))
	cmd.Stdout = m.output
	cmd.Stderr = m.output
	// A test binary killed before its cleanup (a timeout, Ctrl-C twice)
	// must not leave the machine running: on SIGTERM nspawn powers it off.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		m.release()
		return nil, fmt.Errorf("e2e: starting systemd-nspawn: %w", err)
	}
	m.nspawn = cmd
	go func() { _ = cmd.Wait(); close(m.done) }()

	deadline := start.Add(opts.BootTimeout)
	if err := m.waitPID1(deadline); err != nil {
		return m, fmt.Errorf("%w\nnspawn output:\n%s", err, m.output.String())
	}
	if err := m.waitRunning(deadline, false); err != nil {
		return m, fmt.Errorf("%w\nnspawn output:\n%s", err, m.output.String())
	}
	if opts.OwnPodman {
		m.BootTime = time.Since(start)
		return m, nil
	}
	if _, stderr, err := m.Exec(nil, "systemctl", "start", "user@0.service"); err != nil {
		return m, fmt.Errorf("starting root's user manager: %w\n%s", err, stderr)
	}
	if err := m.waitRunning(deadline, true); err != nil {
		return m, err
	}
	// Podman's podman-user-wait-network-online.service (wanted by every
	// Quadlet unit) waits up to 90 s unless network-online.target is up. The
	// root file system has neither unit, so this only matters with a real
	// podman installed.
	if _, _, err := m.Exec(userEnv, "systemctl", "--user", "cat", "network-online.target"); err == nil {
		if _, stderr, err := m.Exec(userEnv, "systemctl", "--user", "start", "network-online.target"); err != nil {
			return m, fmt.Errorf("%w\n%s", err, stderr)
		}
	}
	m.BootTime = time.Since(start)
	return m, nil
}

// Run runs a command inside the machine (all its namespaces, root in the
// system scope) and returns its output. err is non-nil when it did not exit 0.
func (m *Machine) Run(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return m.Exec(nil, args...)
}

// UserRun is Run with root's user session environment (XDG_RUNTIME_DIR), as
// `systemctl --user` and lychd need it.
func (m *Machine) UserRun(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return m.Exec(userEnv, args...)
}

// MustRun is Run that fails the test when the command fails, and returns its
// standard output.
func (m *Machine) MustRun(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := m.Run(t, args...)
	if err != nil {
		t.Fatalf("e2e: %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// MustUserRun is UserRun that fails the test when the command fails.
func (m *Machine) MustUserRun(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := m.UserRun(t, args...)
	if err != nil {
		t.Fatalf("e2e: %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, out, errOut)
	}
	return out
}

// userEnv is what root's login session would add for the user manager.
var userEnv = []string{"XDG_RUNTIME_DIR=" + UserRuntimeDir}

// Exec runs a command inside the machine (all its namespaces, as root) with
// a minimal root login environment plus extraEnv, and returns its output.
// err is non-nil when it did not exit 0 or ran longer than two minutes.
func (m *Machine) Exec(extraEnv []string, args ...string) (stdout, stderr string, err error) {
	if len(args) == 0 {
		return "", "", errors.New("e2e: Run needs a command")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "nsenter", append([]string{"-t", strconv.Itoa(m.PID1), "-a", "--"}, args...)...)
	cmd.Env = append([]string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "USER=root", "LOGNAME=root", "LANG=C.UTF-8", "TERM=dumb",
		"SYSTEMD_PAGER=", "SYSTEMD_COLORS=0",
	}, extraEnv...)
	var out, errOut bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &errOut
	if err = cmd.Run(); err != nil {
		err = fmt.Errorf("in machine %s: %s: %w", m.Name, strings.Join(args, " "), err)
	}
	return out.String(), errOut.String(), err
}

// HostPath returns the host path through which path inside the running
// machine is reachable (/proc/PID1/root/...).
func (m *Machine) HostPath(p string) string {
	return filepath.Join(fmt.Sprintf("/proc/%d/root", m.PID1), p)
}

// WriteFile writes a file inside the machine, creating its directories.
func (m *Machine) WriteFile(t testing.TB, p, content string) {
	t.Helper()
	hp := m.HostPath(p)
	if err := os.MkdirAll(filepath.Dir(hp), 0o755); err != nil {
		t.Fatalf("e2e: %v", err)
	}
	if err := os.WriteFile(hp, []byte(content), 0o644); err != nil {
		t.Fatalf("e2e: %v", err)
	}
}

// ReadFile reads a file inside the machine.
func (m *Machine) ReadFile(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(m.HostPath(p))
	if err != nil {
		t.Fatalf("e2e: %v", err)
	}
	return string(b)
}

// UserDaemonReload runs `systemctl --user daemon-reload` (which reruns the
// Quadlet generator) and returns how long it took.
func (m *Machine) UserDaemonReload(t testing.TB) time.Duration {
	t.Helper()
	start := time.Now()
	m.MustUserRun(t, "systemctl", "--user", "daemon-reload")
	return time.Since(start)
}

func (m *Machine) waitPID1(deadline time.Time) error {
	pid := m.nspawn.Process.Pid
	for {
		for _, c := range children(pid) {
			if comm, _ := os.ReadFile(fmt.Sprintf("/proc/%d/comm", c)); strings.TrimSpace(string(comm)) == "systemd" {
				m.PID1 = c
				return nil
			}
		}
		select {
		case <-m.done:
			return fmt.Errorf("systemd-nspawn exited before the machine's systemd started")
		case <-time.After(5 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("machine %s: no systemd child of nspawn (pid %d) before the boot timeout", m.Name, pid)
		}
	}
}

// waitRunning polls `systemctl is-system-running` in the system or user scope
// until it says running or degraded.
func (m *Machine) waitRunning(deadline time.Time, user bool) error {
	scope := "system"
	for {
		var state string
		if user {
			scope = "root's user manager"
			state, _, _ = m.Exec(userEnv, "systemctl", "--user", "is-system-running")
		} else {
			state, _, _ = m.Exec(nil, "systemctl", "is-system-running")
		}
		state = strings.TrimSpace(state)
		if state == "running" || state == "degraded" {
			return nil
		}
		select {
		case <-m.done:
			return fmt.Errorf("machine %s: systemd-nspawn exited while waiting for the %s to run", m.Name, scope)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("machine %s: the %s is %q, not running, at the boot timeout", m.Name, scope, state)
		}
	}
}

// Journal returns the last n lines of the machine's journal (empty when
// the machine is not running).
func (m *Machine) Journal(n int) string {
	select {
	case <-m.done:
		return ""
	default:
	}
	if m.PID1 == 0 {
		return ""
	}
	out, _, _ := m.Exec(nil, "journalctl", "--no-pager", "-q", "-n", strconv.Itoa(n), "-o", "short-precise")
	return out
}

// Close powers the machine off, waits for nspawn and removes what nspawn
// leaves behind (cgroups, its state under /run/systemd/nspawn) and the log
// directory. It returns what it could not clean up.
func (m *Machine) Close() error {
	var errs []error
	select {
	case <-m.done:
	default:
		if m.PID1 != 0 {
			// --force --force: no orderly service stop, the kernel ends the
			// PID namespace at once (a graceful poweroff takes ~1.8 s).
			_, _, _ = m.Exec(nil, "systemctl", "poweroff", "--force", "--force")
		}
		select {
		case <-m.done:
		case <-time.After(15 * time.Second):
			errs = append(errs, fmt.Errorf("e2e: machine %s did not power off within 15s; killed it", m.Name))
			if m.PID1 != 0 {
				_ = killPID(m.PID1)
			}
			_ = m.nspawn.Process.Kill()
			<-m.done
		}
	}
	if err := m.release(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// release removes the machine's cgroups, nspawn's state and the log
// directory; the machine must not be running.
func (m *Machine) release() error {
	var errs []error
	if err := removeCgroups(m.cgroups); err != nil {
		errs = append(errs, fmt.Errorf("e2e: %w", err))
	}
	for _, p := range []string{"/run/systemd/nspawn/propagate/" + m.Name, "/run/systemd/nspawn/locks/machine-" + m.Name, m.LogDir} {
		if err := os.RemoveAll(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("e2e: removing %s: %w", p, err))
		}
	}
	return errors.Join(errs...)
}

func children(pid int) []int {
	tasks, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	var out []int
	for _, f := range tasks {
		b, _ := os.ReadFile(f)
		for _, s := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(s); err == nil {
				out = append(out, n)
			}
		}
	}
	return out
}
