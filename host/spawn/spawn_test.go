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
	"github.com/lychd/lychd/internal/userns"
)

// The test binary is also the fork server: with spawn.Command as its first
// argument it serves descriptor 3.
func TestMain(m *testing.M) {
	if os.Getenv(intoUserNSEnv) != "" {
		os.Exit(runInUserNS())
	}
	spawn.ServeIfCommanded(os.Args, launch.SysProcAttr)
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

// An isolated process started through a Spawner is the init of a PID
// namespace of its own, shares the user namespace of the process that
// started it (the fork server, or this process with StartLocal) but not
// the host's, and holds no capability at all, although its starter keeps
// CAP_SYS_ADMIN in that namespace to create PID namespaces (root keeps its
// capabilities there, as it would in a user namespace of its own).
// TestIsolationEveryWay runs it as root and as an unprivileged user, each
// with a fork server and with StartLocal.
func TestIsolatedProcessHasNoCapabilities(t *testing.T) {
	local := os.Getenv(localEnv) != ""
	var s *spawn.Spawner
	var err error
	if local {
		s, err = spawn.StartLocal(launch.SysProcAttr)
	} else {
		s, err = spawn.Start(os.Args[0])
	}
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
	if os.Getuid() != 0 {
		for _, k := range []string{"CapInh", "CapPrm", "CapEff", "CapAmb"} {
			if fields[k] != "0000000000000000" {
				t.Errorf("%s = %q, want no capability", k, fields[k])
			}
		}
	}
	if nspid := strings.Fields(fields["NSpid"]); fields["Shell"] != "1" || len(nspid) < 2 || nspid[len(nspid)-1] != "2" {
		t.Errorf("shell pid %q, its child's NSpid %q; want the shell to be the init (1) of a nested PID namespace", fields["Shell"], fields["NSpid"])
	}
	userNS := lines[len(lines)-1]
	starter, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/user", s.Pid()))
	if err != nil {
		t.Fatal(err)
	}
	if userNS != starter {
		t.Errorf("process user namespace %s, its starter's %s; want the starter's", userNS, starter)
	}
	if own, _ := os.Readlink("/proc/self/ns/user"); !local && own == starter {
		t.Errorf("the fork server runs in the host's user namespace %s", own)
	}
}

const (
	// localEnv makes TestIsolatedProcessHasNoCapabilities use StartLocal.
	localEnv = "LYCHD_SPAWN_TEST_LOCAL"
	// intoUserNSEnv makes the test binary run itself again in a user
	// namespace of its own, holding CAP_SYS_ADMIN there, as lychd starts
	// lychd-host, with localEnv set.
	intoUserNSEnv = "LYCHD_SPAWN_TEST_INTO_USERNS"
)

// runInUserNS is TestMain's part for intoUserNSEnv: it runs the test
// binary again with the same arguments in a user namespace of its own and
// returns its exit code.
func runInUserNS() int {
	cmd := exec.Command(os.Args[0], os.Args[1:]...)
	cmd.Env = []string{localEnv + "=1", "PATH=/usr/bin:/bin"}
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{}
	userns.Isolate(cmd.SysProcAttr, true)
	if err := cmd.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

// The starter's ambient capability only matters for an unprivileged user
// (root keeps its capabilities in a namespace it maps itself to), which is
// how lychd runs. This runs TestIsolatedProcessHasNoCapabilities as root
// and as nobody (from a copy of the test binary nobody can execute), each
// through a fork server and through StartLocal in a user namespace.
func TestIsolationEveryWay(t *testing.T) {
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
	for _, c := range []struct {
		name   string
		nobody bool
		local  bool
	}{{"root/local", false, true}, {"nobody/fork-server", true, false}, {"nobody/local", true, true}} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(bin, "-test.run", "^TestIsolatedProcessHasNoCapabilities$", "-test.v", "-test.count=1")
			cmd.Dir = dir
			cmd.Env = []string{"PATH=/usr/bin:/bin"}
			if c.local {
				cmd.Env = append(cmd.Env, intoUserNSEnv+"=1")
			}
			cmd.SysProcAttr = &syscall.SysProcAttr{}
			if c.nobody {
				cmd.SysProcAttr.Credential = &syscall.Credential{Uid: 65534, Gid: 65534}
			}
			out, err := cmd.CombinedOutput()
			if err != nil || !strings.Contains(string(out), "--- PASS: TestIsolatedProcessHasNoCapabilities") {
				t.Fatalf("%v\n%s", err, out)
			}
		})
	}
}
