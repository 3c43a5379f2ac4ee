package spawn_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lychd/lychd/host/launch"
	"github.com/lychd/lychd/host/spawn"
)

// The test binary is also the fork server: with spawn.Command as its first
// argument it serves descriptor 3.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == spawn.Command {
		if err := spawn.ServeFD(3, launch.SysProcAttr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// run starts /bin/sh -c script through s and returns its stdout, its
// status and the error of Wait.
func run(t *testing.T, s *spawn.Spawner, isolate bool, script string, kill bool) (string, string, error) {
	t.Helper()
	sh, err := os.Open("/bin/sh")
	if err != nil {
		t.Fatal(err)
	}
	defer sh.Close()
	var r *spawn.Runner
	rf := s.RunnerFunc(sh, []string{"sh", "-c", script}, []string{"A=1"}, isolate, func(x *spawn.Runner) { r = x })
	if _, err := rf(nil, exec.Command(""), ""); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatalf("Start: %v", err)
	}
	if r.Pid() <= 0 || r.ID() == "" {
		t.Errorf("pid %d, id %q", r.Pid(), r.ID())
	}
	if kill {
		if err := r.Kill(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	go io.Copy(io.Discard, r.Stderr())
	out, _ := io.ReadAll(r.Stdout())
	werr := r.Wait(context.Background())
	return string(out), r.Status(), werr
}

func TestSpawnerRunsAndReportsExactly(t *testing.T) {
	s, err := spawn.Start(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	for _, isolate := range []bool{false, true} {
		out, st, err := run(t, s, isolate, `echo "pid=$$ A=$A"; exit 3`, false)
		wantPid := "pid=1 "
		if !isolate {
			wantPid = "pid="
		}
		if !strings.HasPrefix(out, wantPid) || !strings.HasSuffix(out, " A=1\n") || err == nil || err.Error() != "exit status 3" || st != "exit status 3" {
			t.Errorf("isolate=%v: stdout %q, Wait %v, status %q", isolate, out, err, st)
		}
		_, st, err = run(t, s, isolate, `exec sleep 30`, true)
		if err == nil || err.Error() != "signal: killed" || st != "signal: killed" {
			t.Errorf("isolate=%v, killed: Wait %v, status %q", isolate, err, st)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestStatusStringIsProcessStateString(t *testing.T) {
	for _, script := range []string{"exit 0", "exit 7", "kill -KILL $$", "kill -TERM $$", "kill -SEGV $$"} {
		cmd := exec.Command("/bin/sh", "-c", script)
		_ = cmd.Run()
		ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
		if got, want := spawn.StatusString(ws), cmd.ProcessState.String(); got != want {
			t.Errorf("%s: StatusString %q, os.ProcessState %q", script, got, want)
		}
	}
}

func TestGoneServerIsErrExited(t *testing.T) {
	s, err := spawn.Start("/bin/true")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sh, _ := os.Open("/bin/sh")
	defer sh.Close()
	var r *spawn.Runner
	rf := s.RunnerFunc(sh, []string{"sh", "-c", "exit 0"}, nil, false, func(x *spawn.Runner) { r = x })
	if _, err := rf(nil, exec.Command(""), ""); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); !errors.Is(err, spawn.ErrExited) {
		t.Errorf("Start through a gone server: %v, want ErrExited", err)
	}
}

// Closing the server while a process it started still runs does not hang:
// the server exits and the process dies with it (parent-death signal).
func TestCloseWithAProcessStillRunning(t *testing.T) {
	s, err := spawn.Start(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	sh, _ := os.Open("/bin/sh")
	defer sh.Close()
	var r *spawn.Runner
	rf := s.RunnerFunc(sh, []string{"sh", "-c", "exec sleep 30"}, nil, true, func(x *spawn.Runner) { r = x })
	if _, err := rf(nil, exec.Command(""), ""); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Close hung while a process ran")
	}
	deadline := time.Now().Add(5 * time.Second)
	for alive(r.Pid()) {
		if time.Now().After(deadline) {
			syscall.Kill(r.Pid(), syscall.SIGKILL)
			t.Fatalf("pid %d outlived the closed server", r.Pid())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.Wait(context.Background()); err == nil || r.Status() != "signal: killed" {
		t.Errorf("Wait %v, status %q; want it killed", err, r.Status())
	}
}

// alive reports whether pid runs (a zombie, dead but not yet reaped by
// whoever inherited it, does not count).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(data), ')')
	return i > 0 && len(data) > i+2 && data[i+2] != 'Z'
}

// An isolated process started through the server is the init of a PID
// namespace of its own, shares the server's user namespace (not the
// host's), and holds no capability at all, although the server keeps
// CAP_SYS_ADMIN in its namespace to create PID namespaces (root keeps its
// capabilities there, as it would in a user namespace of its own). Run as
// root and, by TestIsolationAsAnUnprivilegedUser, as an unprivileged user,
// where the server's capability is an ambient one.
func TestIsolatedProcessHasNoCapabilities(t *testing.T) {
	s, err := spawn.Start(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The shell is the process; grep, its child, reads its own status.
	out, st, _ := run(t, s, true, `echo "Shell: $$"; grep -E '^(Cap(Inh|Prm|Eff|Amb)|NSpid):' /proc/self/status; readlink /proc/self/ns/user`, false)
	if st != "exit status 0" {
		t.Fatalf("status %q, output:\n%s", st, out)
	}
	fields := map[string]string{}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, l := range lines[:len(lines)-1] {
		k, v, _ := strings.Cut(l, ":")
		fields[k] = strings.Join(strings.Fields(v), " ")
	}
	// Root keeps its capabilities, confined to the namespace (checked
	// below), as in a user namespace of its own.
	if os.Getuid() != 0 {
		for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapAmb"} {
			if fields[k] != "0000000000000000" {
				t.Errorf("%s = %q, want no capability", k, fields[k])
			}
		}
	}
	if nspid := strings.Fields(fields["NSpid"]); fields["Shell"] != "1" || len(nspid) != 2 || nspid[1] != "2" {
		t.Errorf("shell pid %q, its child's NSpid %q; want the shell to be the init (1) of one nested PID namespace", fields["Shell"], fields["NSpid"])
	}
	userNS := lines[len(lines)-1]
	server, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", s.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	own, err := os.Readlink("/proc/self/ns/user")
	if err != nil {
		t.Fatal(err)
	}
	if userNS != server || server == own {
		t.Errorf("process user namespace %s, server's %s, host's %s; want the server's, not the host's", userNS, server, own)
	}
}

// asUserEnv marks the copy of the test binary that
// TestIsolationAsAnUnprivilegedUser runs as nobody.
const asUserEnv = "LYCHD_SPAWN_TEST_AS_USER"

// The server's ambient capability only matters for an unprivileged user
// (root keeps its capabilities in a namespace it maps itself to), which is
// how lychd runs: this runs TestIsolatedProcessHasNoCapabilities as
// nobody, from a copy of the test binary nobody can execute.
func TestIsolationAsAnUnprivilegedUser(t *testing.T) {
	if os.Getenv(asUserEnv) != "" {
		t.Skip("already running as the unprivileged user")
	}
	if os.Getuid() != 0 {
		t.Skip("needs root to switch to an unprivileged user; the tests already run unprivileged")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(dir); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	bin := filepath.Join(dir, "spawn.test")
	data, err := os.ReadFile(os.Args[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bin, data, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-test.run", "^TestIsolatedProcessHasNoCapabilities$", "-test.v", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = []string{asUserEnv + "=1", "PATH=/usr/bin:/bin"}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestIsolatedProcessHasNoCapabilities") {
		t.Fatalf("as uid 65534: %v\n%s", err, out)
	}
}
