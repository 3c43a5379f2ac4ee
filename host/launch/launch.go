// Package launch starts one extension binary as a go-plugin gRPC plugin and
// guarantees that it, and every process it forks, is gone when Close
// returns.
//
// Lifecycle: Start verifies the binary against the sha256 recorded at
// install time by hashing an open file descriptor and then executing that
// same descriptor (through /proc/self/fd), so a binary swapped or renamed
// on disk after the check is never the one that runs. (A process running as
// the same user could still rewrite the open file in place between the hash
// and the exec; such a process could as well rewrite the lock file, so the
// check guards against accidents and upgrades behind lychd's back, not
// against the user's own account.)
//
// Isolation: the plugin runs in its own process group with a parent-death
// signal of SIGKILL, so it dies with the host even when the host is
// SIGKILLed, and, where user namespaces are available, as the init of a PID
// namespace of its own inside a user namespace that maps only the user's
// uid and gid. When a PID namespace's init dies the kernel kills every
// process left in it, so nothing the extension forked can outlive it, and
// a program executed as a non-root uid in a user namespace holds no
// capability. Where the kernel refuses user namespaces (disabled, or
// restricted by a security module), the plugin runs without them and
// Process.Isolated is false: then a process the extension moves out of its
// process group (setsid) survives Close.
//
// Output: everything the extension writes (its SDK logger's JSON lines,
// plain stderr, stdout after the handshake) is kept in order as its
// Transcript and passed on to Spec.Logger as lychd.NAME; go-plugin's own
// messages, a kill lychd made on purpose included, are reported at debug
// level only, since lychd explains every failure itself.
//
// Close (after a failure) kills the whole process group at once and lets
// go-plugin reap the plugin; Shutdown (after success) lets the plugin exit
// gracefully for a bounded time first. One of them runs on every path,
// including every error path inside Start.
package launch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"

	"github.com/lychd/lychd/host/failure"
	"github.com/lychd/lychd/host/internal/tail"
	"github.com/lychd/lychd/host/lockfile"
	"github.com/lychd/lychd/sdk/wire"
)

// stderrKeep is how many bytes of an extension's stderr are kept for error
// messages, and stderrLines how many of its last lines are quoted.
const (
	stderrKeep  = 16 << 10
	stderrLines = 12
)

// Spec says which binary to start and how.
type Spec struct {
	// Name is the extension's name, used in messages and as argv[0].
	Name string
	// Path is the binary.
	Path string
	// SHA256 is the expected hex digest of the binary. Empty skips the
	// check (install computes the digest of its own copy).
	SHA256 string
	// Identity is the binary's file identity recorded at install; when the
	// open file still has it, the sha256 check is skipped (the file cannot
	// have been written since). Nil always hashes.
	Identity *lockfile.Identity
	// Source is where the binary was installed from, quoted in the
	// reinstall hint of a checksum mismatch.
	Source string
	// StartTimeout bounds the go-plugin handshake.
	StartTimeout time.Duration
	// Logger receives go-plugin's and the extension's log lines; nil
	// discards them.
	Logger hclog.Logger
	// Env is appended to the minimal environment the plugin gets.
	Env []string
}

// Process is a started extension. End it on every path: Shutdown after
// success, Close otherwise (both are idempotent and the first one wins).
type Process struct {
	// Client talks to the extension.
	Client wire.Client
	// Protocol is the negotiated extension protocol version.
	Protocol int
	// Pid is the plugin's process id (and process group id).
	Pid int
	// Hashed is how long verifying the binary took.
	Hashed time.Duration
	// Isolated is true when the plugin is the init of its own PID
	// namespace (see SysProcAttr).
	Isolated bool

	name       string
	cmd        *exec.Cmd
	client     *plugin.Client
	stderr     *tail.Buffer
	transcript *transcript
	writers    []*lineWriter
	once       sync.Once
}

// Start verifies and launches the binary and completes the handshake. The
// returned error is an *failure.Error naming the extension.
func Start(ctx context.Context, s Spec) (*Process, error) {
	fail := func(format string, args ...any) error {
		return &failure.Error{Extension: s.Name, Msg: fmt.Sprintf(format, args...)}
	}
	// O_NOFOLLOW: an installed binary is a regular file lychd wrote; a
	// symbolic link in its place was put there by someone else.
	f, err := os.OpenFile(s.Path, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if errors.Is(err, syscall.ELOOP) {
		return nil, fail("its binary %s was replaced by a symbolic link; reinstall it with: lychd extension install %s", s.Path, failure.InstallSource(s.Source))
	}
	if err != nil {
		return nil, fail("cannot open its binary: %v; reinstall it with: lychd extension install %s", err, failure.InstallSource(s.Source))
	}
	defer f.Close()
	t0 := time.Now()
	if s.SHA256 != "" {
		same, got, err := lockfile.Same(f, s.SHA256, s.Identity)
		if err != nil {
			return nil, fail("cannot read its binary %s: %v", s.Path, err)
		}
		if !same {
			return nil, fail("%s", failure.ChangedBinary(s.Path, got, s.SHA256, s.Source))
		}
	}
	hashed := time.Since(t0)

	timeout := s.StartTimeout
	if timeout <= 0 {
		timeout = wire.DefaultStartTimeout
	}
	if dl, ok := ctx.Deadline(); ok {
		if left := time.Until(dl); left < timeout {
			timeout = max(left, time.Millisecond)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fail("not started: %v", err)
	}

	logger := s.Logger
	if logger == nil {
		logger = hclog.NewNullLogger()
	}
	// A file written a moment ago can fail to execute with ETXTBSY while a
	// concurrent fork elsewhere in this process still holds a copy of its
	// write descriptor (a known Go issue); that clears within milliseconds.
	busyUntil := time.Now().Add(time.Second)
	isolate := true
	for {
		p, err := start(f, s, timeout, logger, isolate)
		if err == nil {
			p.Hashed = hashed
			return p, nil
		}
		switch {
		case isolate && refused(err):
			// No user namespaces here (disabled, restricted by a security
			// module, or out of them): run without the PID namespace.
			isolate = false
		case errors.Is(err, syscall.ETXTBSY) && time.Now().Before(busyUntil):
			time.Sleep(5 * time.Millisecond)
		default:
			return nil, err
		}
	}
}

// execPath is what to execute for the open binary f found at path: the
// descriptor itself through /proc/self/fd, which closes the window between
// the check and the exec (renaming or replacing the path no longer matters
// once the file is open). Without /proc, the path is executed; the lock
// file's flock, held shared by assimilations and exclusively by install and
// remove, still keeps lychd itself from swapping the binary in between.
func execPath(f *os.File, path string) string {
	fdPath := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	if _, err := os.Stat(fdPath); err != nil {
		return path
	}
	return fdPath
}

// SysProcAttr puts the plugin in its own process group, kills it when the
// host dies, and, with isolate, makes it the init of a new PID namespace
// inside a new user namespace that maps only the user's own uid and gid
// (setgroups denied), so that no privilege is needed. When a namespace's
// init dies the kernel kills every process left in it, so even children an
// extension forks cannot outlive a host killed with SIGKILL.
func SysProcAttr(isolate bool) *syscall.SysProcAttr {
	a := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if isolate {
		uid, gid := os.Getuid(), os.Getgid()
		a.Cloneflags = syscall.CLONE_NEWUSER | syscall.CLONE_NEWPID
		a.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		a.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
		a.GidMappingsEnableSetgroups = false
	}
	return a
}

// refused reports whether err is the kernel refusing to start a process in
// new namespaces: user namespaces disabled, restricted by a security module,
// or exhausted.
func refused(err error) bool {
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "fork/exec" {
		return false
	}
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EUSERS)
}

// start launches the open binary f once.
func start(f *os.File, s Spec, timeout time.Duration, logger hclog.Logger, isolate bool) (*Process, error) {
	stderr := tail.New(stderrKeep)
	cmd := &exec.Cmd{
		Path:        execPath(f, s.Path),
		Args:        []string{"lychd-ext-" + s.Name},
		Env:         append(minimalEnv(), s.Env...),
		SysProcAttr: SysProcAttr(isolate),
	}
	tr := newTranscript(logger.Named(s.Name))
	rawErr := &lineWriter{t: tr, stream: StreamStderr}
	syncErr := &lineWriter{t: tr, stream: StreamStderr}
	syncOut := &lineWriter{t: tr, stream: StreamStdout}
	p := &Process{name: s.Name, cmd: cmd, stderr: stderr, transcript: tr, writers: []*lineWriter{rawErr, syncErr, syncOut}, Isolated: isolate}
	cfg := wire.ClientConfig(cmd, machineryLogger{logger.Named(s.Name)})
	cfg.StartTimeout = timeout
	// Stderr gets the raw stderr pipe (the SDK logger's JSON lines, runtime
	// panics, writes to fd 2); SyncStderr and SyncStdout get what the
	// plugin writes to os.Stderr and os.Stdout after the handshake, which
	// go-plugin forwards over gRPC. All of it goes to the transcript, and
	// to the tail quoted in failures.
	cfg.Stderr = io.MultiWriter(stderr, rawErr)
	cfg.SyncStderr = io.MultiWriter(stderr, syncErr)
	cfg.SyncStdout = io.MultiWriter(stderr, syncOut)
	cfg.SkipHostEnv = true
	cfg.Managed = false
	cfg.AutoMTLS = false
	p.client = plugin.NewClient(cfg)
	if err := p.handshake(); err != nil {
		p.Close()
		f := p.Failure(explainStart(err, p.ExitStatus(), timeout))
		f.Err = err
		return nil, f
	}
	return p, nil
}

// handshake starts the process and dispenses the extension client, turning
// a panic inside go-plugin or the wire package into an error.
func (p *Process) handshake() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic in the host while starting it: %v", r)
		}
	}()
	_, err = p.client.Start()
	if p.cmd.Process != nil {
		p.Pid = p.cmd.Process.Pid
	}
	if err != nil {
		return wire.ExplainStartError(err)
	}
	c, err := wire.Dispense(p.client)
	if err != nil {
		return err
	}
	p.Client = c
	p.Protocol = p.client.NegotiatedVersion()
	return nil
}

// Failure ends the process (Close), so that everything it wrote has been
// read, and builds the error for this extension with msg and the tail of
// its stderr.
func (p *Process) Failure(msg string) *failure.Error {
	p.Close()
	return &failure.Error{Extension: p.name, Msg: msg, Stderr: p.stderr.Lines(stderrLines)}
}

// FailureRepeating is Failure (the process ends first) for an error the
// extension returned with text errText: stderr lines that only repeat
// errText (an extension may log the error it returns) are left out.
func (p *Process) FailureRepeating(msg, errText string) *failure.Error {
	p.Close()
	quoted, _ := json.Marshal(errText)
	inner := strings.TrimSuffix(strings.TrimPrefix(string(quoted), `"`), `"`)
	var keep []string
	for _, l := range p.stderr.Lines(stderrLines) {
		if errText == "" || !strings.Contains(l, inner) {
			keep = append(keep, l)
		}
	}
	return &failure.Error{Extension: p.name, Msg: msg, Stderr: keep}
}

// Transcript returns what the extension wrote while it ran, in the order
// it arrived: its log lines, its plain stderr and its stdout (at most
// MaxTranscriptLines, the last ones). Call it once the process has ended
// (after Close or Shutdown) to have everything.
func (p *Process) Transcript() []Line {
	for _, w := range p.writers {
		w.flush()
	}
	return p.transcript.Lines()
}

// Name is the extension's name.
func (p *Process) Name() string { return p.name }

// StderrTail returns the last lines the extension wrote to stderr.
func (p *Process) StderrTail() []string { return p.stderr.Lines(stderrLines) }

// Exited waits up to wait for the plugin process to exit on its own and
// reports whether it did.
func (p *Process) Exited(wait time.Duration) bool {
	deadline := time.Now().Add(wait)
	for {
		if p.client.Exited() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// ExitStatus describes how the process ended ("exit status 3", "signal:
// killed"), or "" while it runs or when it never started. Call it after
// Close or after Exited returned true.
func (p *Process) ExitStatus() string {
	if !p.client.Exited() {
		return ""
	}
	if st := p.cmd.ProcessState; st != nil {
		return st.String()
	}
	return ""
}

// Close kills the plugin's whole process group with SIGKILL, then lets
// go-plugin reap the plugin and drain its pipes. Killing the group first
// matters: a child the extension forked holds the stdout and stderr pipes
// open, and go-plugin's Kill waits for them to close. Close is idempotent
// and safe on a plugin that already exited.
//
// The group is addressed by the plugin's pid. If the plugin already exited
// and was reaped, the group only survives while a forked child is still in
// it, and Linux does not reuse a pid that is still some group's id, so the
// signal cannot reach an unrelated process group.
func (p *Process) Close() {
	p.once.Do(func() {
		p.killGroup()
		p.client.Kill()
		// A child forked between the first kill and the plugin's death.
		p.killGroup()
	})
}

// gracePeriod is how long Shutdown lets go-plugin's graceful shutdown run
// before it kills the process group.
const gracePeriod = 500 * time.Millisecond

// Shutdown ends a plugin that did its job: go-plugin's graceful shutdown
// (the plugin exits on its own, so nothing logs a kill), bounded by
// gracePeriod, then a SIGKILL of the process group for anything the plugin
// forked or anything still running. Use Close on failure paths.
func (p *Process) Shutdown() {
	p.once.Do(func() {
		done := make(chan struct{})
		go func() {
			p.client.Kill()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(gracePeriod):
			// A forked child holding the plugin's pipes keeps Kill waiting.
			p.killGroup()
			<-done
		}
		p.killGroup()
	})
}

func (p *Process) killGroup() {
	if p.Pid > 0 {
		_ = syscall.Kill(-p.Pid, syscall.SIGKILL)
	}
}

// minimalEnv is the environment every extension gets instead of the host's:
// enough to run helper programs, nothing secret.
func minimalEnv() []string {
	env := []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	for _, k := range []string{"HOME", "TMPDIR"} {
		if v := os.Getenv(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	return env
}

var (
	reCoreVersion = regexp.MustCompile(`incompatible core API version with plugin\. Plugin version: (\S+), Core version: (\d+)`)
)

// explainStart turns a go-plugin start error into what the extension did.
func explainStart(err error, status string, timeout time.Duration) string {
	msg := err.Error()
	ended := ""
	if status != "" {
		ended = " (" + status + ")"
	}
	switch {
	case strings.Contains(msg, "timeout while waiting for plugin to start"):
		return fmt.Sprintf("did not complete the plugin handshake within %s and was killed; raise start_timeout_seconds in the [assimilation] table of lychd.toml if the machine is just slow", fmtDuration(timeout))
	case strings.Contains(msg, "plugin exited before we could connect"),
		strings.Contains(msg, "Failed to read any lines from plugin's stdout"):
		return "exited before completing the plugin handshake" + ended + "; is it a lychd extension built with the lychd SDK (sdk.Serve)?"
	case strings.HasPrefix(msg, "Unrecognized remote plugin message: "):
		line := strings.TrimPrefix(msg, "Unrecognized remote plugin message: ")
		if i := strings.IndexByte(line, '\n'); i >= 0 {
			line = line[:i]
		}
		if len(line) > 200 {
			line = line[:200] + "..."
		}
		return fmt.Sprintf("wrote %s to stdout instead of the plugin handshake; an extension must not print to stdout (log with the SDK logger or to stderr)", strconv.Quote(line))
	}
	var perr *wire.ProtocolError
	if errors.As(err, &perr) {
		return strings.TrimPrefix(perr.Error(), "the extension ")
	}
	if m := reCoreVersion.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("uses go-plugin core protocol %s, but this lychd uses %s; rebuild the extension with a current lychd SDK", m[1], m[2])
	}
	if strings.Contains(msg, "unsupported plugin protocol") {
		return "does not speak gRPC (" + msg + "); rebuild it with the lychd SDK"
	}
	return "failed to start" + ended + ": " + msg
}

func fmtDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", int(d/time.Second))
	}
	return d.Round(time.Millisecond).String()
}

// IsCanceled reports whether err is a context cancellation or deadline.
func IsCanceled(err error) bool {
	return errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}
