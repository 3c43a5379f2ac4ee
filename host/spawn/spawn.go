// Package spawn starts extension processes cheaply: from a small helper
// process, a fork server, or from one thread of a host that runs in a user
// namespace of its own.
//
// Why: an extension runs as the init of its own PID namespace (see package
// launch), which an unprivileged process can only create inside a user
// namespace where it holds CAP_SYS_ADMIN. Given a user namespace of the
// extension's own, Go cannot start it with vfork, because the parent must
// write the child's uid and gid maps while the child waits; so every launch
// fully forked the host: the kernel copies its page tables, write-protects
// every anonymous page of a multi-threaded process (with a TLB shootdown
// on every CPU) and the parent then faults on each page it writes, and the
// kernel creates and tears down one user namespace per extension. Measured
// on a cold bind of 32 extensions, that made the host cost several times
// the CPU of a bare go-plugin client.
//
// So the starter of extensions runs in one user namespace of its own
// (mapping only the user's uid and gid) and keeps CAP_SYS_ADMIN there as
// an ambient capability: an isolated process then needs only a new PID
// namespace, which Go starts with vfork. The starter starts every process
// from one locked OS thread whose ambient and inheritable capabilities it
// cleared, so an extension runs with no capability at all (and its
// parent-death signal is bound to a thread that lives as long as the
// starter). Two forms:
//
//   - StartLocal: the host itself runs in such a user namespace (lychd
//     starts lychd-host so), and a thread of its own starts extensions.
//   - Start: a fork server, the same executable started once per
//     assimilation (in such a user namespace, where user namespaces are
//     allowed; else without one, and isolated processes get both
//     namespaces, as from launch). It stays idle and small, and the host
//     exchanges one message per launch with it.
//
// The fork server's protocol: one SOCK_SEQPACKET socket pair. The host
// sends one message per launch: a JSON request with the arguments, the
// environment and whether to isolate, and three descriptors (SCM_RIGHTS):
// the open binary (executed through /proc/self/fd, like package launch
// does), and the write ends of the stdout and stderr pipes. The server
// answers with the pid or the error of the start (with its errno), and
// later with the wait status when the process ends. The server exits when
// the host closes its end; every process it started has a parent-death
// signal of SIGKILL, as the server itself has towards the host, so nothing
// outlives a killed host.
package spawn

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"

	"github.com/lychd/lychd/internal/userns"
)

// ErrExited is the error of a launch through a server that is gone (it
// exited, crashed or never served); the caller can start the process
// directly instead.
var ErrExited = errors.New("the extension spawner exited")

// Command is the hidden command of the lychd executables that runs Serve
// on descriptor 3.
const Command = "__spawn"

// request asks the server to start one process.
type request struct {
	ID      int      `json:"id"`
	Args    []string `json:"args"`
	Env     []string `json:"env"`
	Isolate bool     `json:"isolate"`
}

// reply answers a request: first Pid or Err, then, for a started process,
// Exited with its wait status.
type reply struct {
	ID     int    `json:"id"`
	Pid    int    `json:"pid,omitempty"`
	Err    string `json:"err,omitempty"`
	Errno  int    `json:"errno,omitempty"`
	Exited bool   `json:"exited,omitempty"`
	Status int    `json:"status,omitempty"`
}

// maxMessage bounds one request (arguments and environment).
const maxMessage = 1 << 20

// ServeIfCommanded makes a program that Start may run as the fork server
// (a test binary standing in for lychd-host, say) serve when args, its
// os.Args, name Command first: it serves descriptor 3 and exits, 1 after
// printing the error on stderr. Otherwise it returns at once.
func ServeIfCommanded(args []string, attr func(isolate bool) *syscall.SysProcAttr) {
	if len(args) < 2 || args[1] != Command {
		return
	}
	if err := ServeFD(3, attr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Exit(0)
}

// ServeFD serves the socket on descriptor fd (3 when started by Start)
// until the host closes it.
func ServeFD(fd uintptr, attr func(isolate bool) *syscall.SysProcAttr) error {
	f := os.NewFile(fd, "spawn")
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return fmt.Errorf("descriptor %d is not the spawn socket (this command is run by lychd, not by hand): %w", fd, err)
	}
	conn, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return fmt.Errorf("descriptor %d is not a unix socket", fd)
	}
	defer conn.Close()
	return serve(conn, attr)
}

func serve(conn *net.UnixConn, attr func(isolate bool) *syscall.SysProcAttr) error {
	// Every process starts from this thread (see newStarter).
	runtime.LockOSThread()
	st, err := newStarter(attr)
	if err != nil {
		return err
	}
	var wmu sync.Mutex
	send := func(r reply) {
		data, _ := json.Marshal(r)
		wmu.Lock()
		defer wmu.Unlock()
		_, _ = conn.Write(data)
	}
	buf := make([]byte, maxMessage)
	oob := make([]byte, syscall.CmsgSpace(3*4))
	for {
		n, oobn, _, _, err := conn.ReadMsgUnix(buf, oob)
		if err != nil || n == 0 {
			// The host closed its end (or died): stop serving, without
			// waiting for anything. A process still running dies with
			// this one (parent-death signal); the host closes its end
			// only after every process it started has ended.
			return nil
		}
		files, ferr := receivedFiles(oob[:oobn])
		var req request
		if err := json.Unmarshal(buf[:n], &req); err != nil || ferr != nil || len(files) != 3 || len(req.Args) == 0 {
			for _, f := range files {
				f.Close()
			}
			send(reply{ID: req.ID, Err: fmt.Sprintf("bad spawn request (%v, %v, %d descriptors)", err, ferr, len(files))})
			continue
		}
		id := req.ID
		r := st.start(req, files[0], files[1], files[2], func(ws syscall.WaitStatus) {
			send(reply{ID: id, Exited: true, Status: int(ws)})
		})
		for _, f := range files {
			f.Close()
		}
		r.ID = id
		send(r)
	}
}

// starter starts processes from the calling thread, which must be locked
// to its goroutine (runtime.LockOSThread) and start every process: a
// parent-death signal is bound to the thread that started the process, and
// the capabilities a process inherits are that thread's. In a user
// namespace of this process's own with CAP_SYS_ADMIN, the thread drops its
// inheritable and ambient capabilities, so that no process inherits any,
// and an isolated process gets only a new PID namespace (see
// pidNamespaceOnly).
type starter struct {
	attr func(isolate bool) *syscall.SysProcAttr
}

func newStarter(attr func(isolate bool) *syscall.SysProcAttr) (*starter, error) {
	if userns.HoldsSysAdmin() {
		// A process started from this thread must not inherit the
		// capability; if it cannot be dropped, start nothing.
		if err := userns.DropInheritable(); err != nil {
			return nil, fmt.Errorf("spawn: %w", err)
		}
		attr = pidNamespaceOnly(attr)
	}
	return &starter{attr: attr}, nil
}

// start starts the binary bin (executed through /proc/self/fd) with req's
// arguments and environment and the pipes' write ends as stdout and stderr.
// It answers with the pid or the error; exited gets the wait status when
// the process ends. The caller keeps and closes the three descriptors.
func (st *starter) start(req request, bin, stdout, stderr *os.File, exited func(syscall.WaitStatus)) reply {
	cmd := &exec.Cmd{
		Path:        fmt.Sprintf("/proc/self/fd/%d", bin.Fd()),
		Args:        req.Args,
		Env:         req.Env,
		Stdout:      stdout,
		Stderr:      stderr,
		SysProcAttr: st.attr(req.Isolate),
	}
	if err := cmd.Start(); err != nil {
		r := reply{Err: err.Error()}
		var errno syscall.Errno
		if errors.As(err, &errno) {
			r.Errno = int(errno)
		}
		return r
	}
	go func() {
		_ = cmd.Wait()
		ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
		exited(ws)
	}()
	return reply{Pid: cmd.Process.Pid}
}

// pidNamespaceOnly adapts attr for a process that holds CAP_SYS_ADMIN in a
// user namespace of its own: an isolated process gets its new PID
// namespace there instead of a user namespace of its own as well.
func pidNamespaceOnly(attr func(isolate bool) *syscall.SysProcAttr) func(isolate bool) *syscall.SysProcAttr {
	return func(isolate bool) *syscall.SysProcAttr {
		a := attr(isolate)
		if a.Cloneflags&syscall.CLONE_NEWUSER != 0 {
			a.Cloneflags &^= syscall.CLONE_NEWUSER
			a.UidMappings, a.GidMappings = nil, nil
			a.GidMappingsEnableSetgroups = false
		}
		return a
	}
}

func receivedFiles(oob []byte) ([]*os.File, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, err
	}
	var files []*os.File
	for _, m := range msgs {
		fds, err := syscall.ParseUnixRights(&m)
		if err != nil {
			continue
		}
		for _, fd := range fds {
			files = append(files, os.NewFile(uintptr(fd), "received"))
		}
	}
	return files, nil
}

// Spawner is the host's end of a running fork server, or of a thread of
// the host's own that starts processes (StartLocal).
type Spawner struct {
	conn *net.UnixConn
	proc *exec.Cmd
	// local is set for a Spawner made by StartLocal.
	local *localStarter

	mu      sync.Mutex
	nextID  int
	waiting map[int]chan reply
	dead    error
	done    chan struct{}
}

// Start starts exe with Command as its fork server, in a user namespace of
// its own with CAP_SYS_ADMIN there (or, where user namespaces are refused,
// without one). The server gets a parent-death signal of SIGKILL, and so do
// the processes it starts.
func Start(exe string) (*Spawner, error) {
	s, err := start(exe, true)
	if err != nil && userns.Refused(err) {
		s, err = start(exe, false)
	}
	return s, err
}

// ErrNoUserNS is StartLocal's error in a process that does not hold
// CAP_SYS_ADMIN in a user namespace of its own.
var ErrNoUserNS = errors.New("spawn: this process holds no CAP_SYS_ADMIN in a user namespace of its own")

// StartLocal is the fork server's job done by this process itself, from
// one thread of its own, when the process runs in a user namespace of its
// own with CAP_SYS_ADMIN there (lychd starts lychd-host so): isolated
// processes then need only a new PID namespace, which Go starts with vfork
// however large this process is, so a separate server would only add a
// process start and a message round trip per launch. attr is as for
// ServeFD. Elsewhere it returns ErrNoUserNS; use Start.
func StartLocal(attr func(isolate bool) *syscall.SysProcAttr) (*Spawner, error) {
	if !userns.HoldsSysAdmin() {
		return nil, ErrNoUserNS
	}
	l := &localStarter{jobs: make(chan localJob), done: make(chan struct{})}
	ready := make(chan error, 1)
	go l.run(attr, ready)
	if err := <-ready; err != nil {
		return nil, err
	}
	return &Spawner{local: l, done: l.done}, nil
}

// localStarter runs a starter on a goroutine locked to its thread.
type localStarter struct {
	jobs chan localJob
	done chan struct{}

	mu     sync.Mutex
	closed bool
}

type localJob struct {
	req                 request
	bin, stdout, stderr *os.File
	exited              func(syscall.WaitStatus)
	started             chan reply
}

// run serves jobs until the channel closes; the goroutine then exits
// still locked, which ends its thread (and, by their parent-death signal,
// any process it started that still runs).
func (l *localStarter) run(attr func(isolate bool) *syscall.SysProcAttr, ready chan<- error) {
	defer close(l.done)
	runtime.LockOSThread()
	if err := userns.DropInheritable(); err != nil {
		ready <- err
		return
	}
	st := &starter{attr: pidNamespaceOnly(attr)}
	ready <- nil
	for j := range l.jobs {
		j.started <- st.start(j.req, j.bin, j.stdout, j.stderr, j.exited)
	}
}

func start(exe string, userNS bool) (*Spawner, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("spawn: socket pair: %w", err)
	}
	host, child := os.NewFile(uintptr(fds[0]), "spawn-host"), os.NewFile(uintptr(fds[1]), "spawn-server")
	cmd := exec.Command(exe, Command)
	cmd.Args[0] = "lychd-spawn"
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"}
	cmd.ExtraFiles = []*os.File{child}
	cmd.Stderr = os.Stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if userNS {
		userns.Isolate(cmd.SysProcAttr, true)
	}
	err = cmd.Start()
	child.Close()
	if err != nil {
		host.Close()
		if userNS && userns.Refused(err) {
			return nil, err
		}
		return nil, fmt.Errorf("spawn: start %s: %w", exe, err)
	}
	c, err := net.FileConn(host)
	host.Close()
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return nil, fmt.Errorf("spawn: %w", err)
	}
	s := &Spawner{conn: c.(*net.UnixConn), proc: cmd, waiting: map[int]chan reply{}, done: make(chan struct{})}
	go s.read()
	return s, nil
}

// read dispatches the server's replies until the connection ends; then
// every waiting launch fails and every started process counts as killed
// (it was: its parent, the server, is gone).
func (s *Spawner) read() {
	defer close(s.done)
	buf := make([]byte, 4096)
	for {
		n, err := s.conn.Read(buf)
		if err != nil || n == 0 {
			s.mu.Lock()
			s.dead = ErrExited
			for id, ch := range s.waiting {
				ch <- reply{ID: id, Err: s.dead.Error(), Exited: true, Status: int(syscall.WaitStatus(syscall.SIGKILL))}
				delete(s.waiting, id)
			}
			s.mu.Unlock()
			return
		}
		var r reply
		if json.Unmarshal(buf[:n], &r) != nil {
			continue
		}
		s.mu.Lock()
		ch := s.waiting[r.ID]
		if r.Exited || r.Err != "" {
			delete(s.waiting, r.ID)
		}
		s.mu.Unlock()
		if ch != nil {
			ch <- r
		}
	}
}

// spawn starts a process; the returned channel receives its exit reply.
func (s *Spawner) spawn(args, env []string, isolate bool, bin, stdout, stderr *os.File) (int, <-chan reply, error) {
	ch := make(chan reply, 2)
	var r reply
	if s.local != nil {
		r = s.local.start(request{Args: args, Env: env, Isolate: isolate}, bin, stdout, stderr, ch)
	} else {
		var err error
		if r, err = s.send(args, env, isolate, bin, stdout, stderr, ch); err != nil {
			return 0, nil, err
		}
	}
	if r.Err == ErrExited.Error() {
		return 0, nil, ErrExited
	}
	if r.Err != "" {
		if r.Errno != 0 {
			return 0, nil, &fs.PathError{Op: "fork/exec", Path: args[0], Err: syscall.Errno(r.Errno)}
		}
		return 0, nil, errors.New(r.Err)
	}
	return r.Pid, ch, nil
}

// send asks the server to start a process and returns its first reply;
// ch gets the exit reply.
func (s *Spawner) send(args, env []string, isolate bool, bin, stdout, stderr *os.File, ch chan reply) (reply, error) {
	s.mu.Lock()
	if s.dead != nil {
		s.mu.Unlock()
		return reply{}, s.dead
	}
	s.nextID++
	id := s.nextID
	s.waiting[id] = ch
	s.mu.Unlock()
	data, err := json.Marshal(request{ID: id, Args: args, Env: env, Isolate: isolate})
	if err != nil {
		return reply{}, err
	}
	rights := syscall.UnixRights(int(bin.Fd()), int(stdout.Fd()), int(stderr.Fd()))
	if _, _, err := s.conn.WriteMsgUnix(data, rights, nil); err != nil {
		s.mu.Lock()
		delete(s.waiting, id)
		s.mu.Unlock()
		return reply{}, fmt.Errorf("spawn: send request: %w (%w)", err, ErrExited)
	}
	return <-ch, nil
}

// start hands one launch to the thread and returns its answer; ch gets the
// exit reply.
func (l *localStarter) start(req request, bin, stdout, stderr *os.File, ch chan reply) reply {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return reply{Err: ErrExited.Error()}
	}
	started := make(chan reply, 1)
	l.jobs <- localJob{req: req, bin: bin, stdout: stdout, stderr: stderr, started: started,
		exited: func(ws syscall.WaitStatus) { ch <- reply{Exited: true, Status: int(ws)} }}
	return <-started
}

// Pid is the server's process id (this process's, for StartLocal).
func (s *Spawner) Pid() int {
	if s.local != nil {
		return os.Getpid()
	}
	return s.proc.Process.Pid
}

// Close stops the server (it exits when its socket closes) and waits for
// it. Call it once every process it started has ended.
func (s *Spawner) Close() error {
	if s.local != nil {
		s.local.mu.Lock()
		if !s.local.closed {
			s.local.closed = true
			close(s.local.jobs)
		}
		s.local.mu.Unlock()
		<-s.done
		return nil
	}
	err := s.conn.Close()
	<-s.done
	if werr := s.proc.Wait(); werr != nil && err == nil {
		err = werr
	}
	return err
}
