package spawn_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
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
