package spawn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"syscall"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin/runner"
)

// Runner is a process started through a Spawner, as go-plugin's
// runner.Runner.
type Runner struct {
	s       *Spawner
	bin     *os.File
	args    []string
	env     []string
	isolate bool

	stdout, stderr *os.File
	closePipes     sync.Once
	pid            int
	exited         chan struct{}
	status         syscall.WaitStatus
}

var _ runner.Runner = (*Runner)(nil)

// RunnerFunc returns a go-plugin ClientConfig.RunnerFunc that starts the
// open binary bin with args through s, with env before the variables
// go-plugin adds, isolated as launch does when isolate is set. The Runner
// it made is passed to made, so that the caller can ask it for the pid and
// the exit status.
func (s *Spawner) RunnerFunc(bin *os.File, args, env []string, isolate bool, made func(*Runner)) func(hclog.Logger, *exec.Cmd, string) (runner.Runner, error) {
	return func(_ hclog.Logger, cmd *exec.Cmd, _ string) (runner.Runner, error) {
		r := &Runner{s: s, bin: bin, args: args, env: append(append([]string(nil), env...), cmd.Env...), isolate: isolate, exited: make(chan struct{})}
		made(r)
		return r, nil
	}
}

// Start starts the process.
func (r *Runner) Start(context.Context) error {
	outR, outW, err := os.Pipe()
	if err != nil {
		return err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return err
	}
	pid, done, err := r.s.spawn(r.args, r.env, r.isolate, r.bin, outW, errW)
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return err
	}
	r.stdout, r.stderr, r.pid = outR, errR, pid
	go func() {
		rep := <-done
		r.status = syscall.WaitStatus(rep.Status)
		close(r.exited)
	}()
	return nil
}

// Wait waits for the process to end, then closes the read ends of its
// pipes (go-plugin calls it once it read both to the end, as with
// exec.Cmd.Wait); a non-zero exit is an error.
func (r *Runner) Wait(context.Context) error {
	if r.pid == 0 {
		return errors.New("not started")
	}
	<-r.exited
	r.closePipes.Do(func() {
		r.stdout.Close()
		r.stderr.Close()
	})
	if r.status.Exited() && r.status.ExitStatus() == 0 {
		return nil
	}
	return errors.New(StatusString(r.status))
}

// Exited reports whether the process ended.
func (r *Runner) Exited() bool {
	select {
	case <-r.exited:
		return true
	default:
		return false
	}
}

// Status describes how the process ended, as os.ProcessState.String does
// ("exit status 3", "signal: killed"); "" while it runs.
func (r *Runner) Status() string {
	if !r.Exited() {
		return ""
	}
	return StatusString(r.status)
}

// StatusString phrases a wait status as os.ProcessState.String does.
func StatusString(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return "exit status " + strconv.Itoa(ws.ExitStatus())
	case ws.Signaled():
		s := "signal: " + ws.Signal().String()
		if ws.CoreDump() {
			s += " (core dumped)"
		}
		return s
	}
	return fmt.Sprintf("wait status %#x", int(ws))
}

// Kill sends SIGKILL to the process unless it already ended.
func (r *Runner) Kill(context.Context) error {
	if r.pid == 0 || r.Exited() {
		return nil
	}
	if err := syscall.Kill(r.pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return err
	}
	return nil
}

// Pid is the process id (0 before Start).
func (r *Runner) Pid() int { return r.pid }

// Stdout is the read end of the process's stdout.
func (r *Runner) Stdout() io.ReadCloser { return r.stdout }

// Stderr is the read end of the process's stderr.
func (r *Runner) Stderr() io.ReadCloser { return r.stderr }

// Name names the process in go-plugin's logs.
func (r *Runner) Name() string { return r.args[0] }

// ID is the pid.
func (r *Runner) ID() string { return strconv.Itoa(r.pid) }

// Diagnose has nothing to add.
func (r *Runner) Diagnose(context.Context) string { return "" }

// PluginToHost keeps addresses as they are: the process shares the host's
// file system and network.
func (r *Runner) PluginToHost(n, a string) (string, string, error) { return n, a, nil }

// HostToPlugin keeps addresses as they are.
func (r *Runner) HostToPlugin(n, a string) (string, string, error) { return n, a, nil }
