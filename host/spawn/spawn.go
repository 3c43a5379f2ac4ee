// Package spawn starts extension processes from a small helper process, a
// fork server, instead of from the host.
//
// Why: an extension runs as the init of its own PID namespace inside a user
// namespace (see package launch), and Go cannot start such a child with
// vfork, because the parent must write the child's uid and gid maps while
// the child waits. So every launch fully forks the starting process: the
// kernel copies its page tables, write-protects every anonymous page of a
// multi-threaded process (with a TLB shootdown on every CPU) and the
// parent then faults on each page it writes. Measured on a cold bind of 32
// extensions, that made the host cost several times the CPU of a bare
// go-plugin client. The fork server is the same executable started once
// per assimilation (with vfork, which is cheap): it stays idle and small,
// so its forks are cheap, and the host only exchanges messages with it.
//
// The server itself runs in a user namespace of its own (mapping only the
// user's uid and gid, as launch does for a direct launch) and keeps
// CAP_SYS_ADMIN there as an ambient capability. So an isolated process
// needs only a new PID namespace, which Go starts with vfork; creating and
// tearing down a user namespace per extension was the larger part of the
// remaining cost (about 4 ms of CPU per launch, measured). The server
// starts processes from one locked OS thread whose ambient and inheritable
// capabilities it cleared, so an extension runs with no capability at
// all, and still as the init of its own PID namespace. Where user
// namespaces are refused, the server runs without one and isolated
// processes get both namespaces, as from launch.
//
// Protocol: one SOCK_SEQPACKET socket pair. The host sends one message per
// launch: a JSON request with the arguments, the environment and whether to
// isolate, and three descriptors (SCM_RIGHTS): the open binary (executed
// through /proc/self/fd, like package launch does), and the write ends of
// the stdout and stderr pipes. The server answers with the pid or the
// error of the start (with its errno), and later with the wait status when
// the process ends. The server exits when the host closes its end; every
// process it started has a parent-death signal of SIGKILL, as the server
// itself has towards the host, so nothing outlives a killed host.
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
	"strings"
	"sync"
	"syscall"
	"unsafe"
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
	// Every process starts from this thread: a parent-death signal is
	// bound to the thread that started the process, and the capabilities
	// a process inherits are that thread's.
	runtime.LockOSThread()
	if ownUserNS() && dropInheritableCaps() == nil {
		attr = pidNamespaceOnly(attr)
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
		bin, stdout, stderr := files[0], files[1], files[2]
		cmd := &exec.Cmd{
			Path:        fmt.Sprintf("/proc/self/fd/%d", bin.Fd()),
			Args:        req.Args,
			Env:         req.Env,
			Stdout:      stdout,
			Stderr:      stderr,
			SysProcAttr: attr(req.Isolate),
		}
		err = cmd.Start()
		bin.Close()
		stdout.Close()
		stderr.Close()
		if err != nil {
			r := reply{ID: req.ID, Err: err.Error()}
			var errno syscall.Errno
			if errors.As(err, &errno) {
				r.Errno = int(errno)
			}
			send(r)
			continue
		}
		send(reply{ID: req.ID, Pid: cmd.Process.Pid})
		go func(id int) {
			_ = cmd.Wait()
			ws, _ := cmd.ProcessState.Sys().(syscall.WaitStatus)
			send(reply{ID: id, Exited: true, Status: int(ws)})
		}(req.ID)
	}
}

// pidNamespaceOnly adapts attr for a server that holds CAP_SYS_ADMIN in a
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

// ownUserNS reports whether this process runs in a user namespace other
// than the initial one, with CAP_SYS_ADMIN in its effective set.
func ownUserNS() bool {
	data, err := os.ReadFile("/proc/self/uid_map")
	if err != nil || strings.Join(strings.Fields(string(data)), " ") == "0 0 4294967295" {
		return false
	}
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(status), "\n") {
		if hex, ok := strings.CutPrefix(line, "CapEff:"); ok {
			var eff uint64
			if _, err := fmt.Sscanf(strings.TrimSpace(hex), "%x", &eff); err != nil {
				return false
			}
			return eff&(1<<capSysAdmin) != 0
		}
	}
	return false
}

const (
	capSysAdmin          = 21
	prCapAmbient         = 47
	prCapAmbientClearAll = 4
	linuxCapabilityV3    = 0x20080522
)

// dropInheritableCaps clears the calling thread's ambient and inheritable
// capabilities, so that a program it executes gets none; the thread keeps
// its effective ones (CAP_SYS_ADMIN, to create PID namespaces).
func dropInheritableCaps() error {
	if _, _, e := syscall.RawSyscall6(syscall.SYS_PRCTL, prCapAmbient, prCapAmbientClearAll, 0, 0, 0, 0); e != 0 {
		return fmt.Errorf("clearing the ambient capabilities: %w", e)
	}
	hdr := struct {
		version uint32
		pid     int32
	}{version: linuxCapabilityV3}
	var data [2]struct{ effective, permitted, inheritable uint32 }
	if _, _, e := syscall.RawSyscall(syscall.SYS_CAPGET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
		return fmt.Errorf("reading the capabilities: %w", e)
	}
	data[0].inheritable, data[1].inheritable = 0, 0
	if _, _, e := syscall.RawSyscall(syscall.SYS_CAPSET, uintptr(unsafe.Pointer(&hdr)), uintptr(unsafe.Pointer(&data[0])), 0); e != 0 {
		return fmt.Errorf("clearing the inheritable capabilities: %w", e)
	}
	return nil
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

// Spawner is the host's end of a running fork server.
type Spawner struct {
	conn *net.UnixConn
	proc *exec.Cmd

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
	if err != nil && refusedNamespaces(err) {
		s, err = start(exe, false)
	}
	return s, err
}

// refusedNamespaces reports whether err is the kernel refusing to create a
// user namespace.
func refusedNamespaces(err error) bool {
	var pe *fs.PathError
	if !errors.As(err, &pe) || pe.Op != "fork/exec" {
		return false
	}
	return errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EACCES) || errors.Is(err, syscall.EUSERS)
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
		uid, gid := os.Getuid(), os.Getgid()
		cmd.SysProcAttr.Cloneflags = syscall.CLONE_NEWUSER
		cmd.SysProcAttr.UidMappings = []syscall.SysProcIDMap{{ContainerID: uid, HostID: uid, Size: 1}}
		cmd.SysProcAttr.GidMappings = []syscall.SysProcIDMap{{ContainerID: gid, HostID: gid, Size: 1}}
		cmd.SysProcAttr.AmbientCaps = []uintptr{capSysAdmin}
	}
	err = cmd.Start()
	child.Close()
	if err != nil {
		host.Close()
		if userNS && refusedNamespaces(err) {
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
	s.mu.Lock()
	if s.dead != nil {
		s.mu.Unlock()
		return 0, nil, s.dead
	}
	s.nextID++
	id := s.nextID
	s.waiting[id] = ch
	s.mu.Unlock()
	data, err := json.Marshal(request{ID: id, Args: args, Env: env, Isolate: isolate})
	if err != nil {
		return 0, nil, err
	}
	rights := syscall.UnixRights(int(bin.Fd()), int(stdout.Fd()), int(stderr.Fd()))
	if _, _, err := s.conn.WriteMsgUnix(data, rights, nil); err != nil {
		s.mu.Lock()
		delete(s.waiting, id)
		s.mu.Unlock()
		return 0, nil, fmt.Errorf("spawn: send request: %w (%w)", err, ErrExited)
	}
	r := <-ch
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

// Pid is the server's process id.
func (s *Spawner) Pid() int { return s.proc.Process.Pid }

// Close stops the server (it exits when its socket closes) and waits for
// it. Call it once every process it started has ended.
func (s *Spawner) Close() error {
	err := s.conn.Close()
	<-s.done
	if werr := s.proc.Wait(); werr != nil && err == nil {
		err = werr
	}
	return err
}
