// Package hostproc is how the light lychd command uses lychd-host, the binary
// that links the plugin host (go-plugin, gRPC, the core extension).
//
// lychd built with the lychd_split tag (as make build and make install
// build it) links none of that, so that it starts in a few milliseconds: a
// bind, start or status whose registrations are all in the cache never
// needs more. When the cache misses, lychd runs `lychd-host assimilate`,
// which launches the extensions, refills the cache and answers on stdout
// (Request and Response, JSON); the extension commands are run by
// lychd-host as a whole (Exec). lychd-host is found next to the lychd
// executable (os.Executable, symbolic links resolved).
package hostproc

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/lychd/lychd/host/assimilation"
	"github.com/lychd/lychd/host/cache"
	"github.com/lychd/lychd/internal/model"
	"github.com/lychd/lychd/internal/userns"
)

// Names of the two binaries, which are installed side by side.
const (
	CLIName  = "lychd"
	HostName = "lychd-host"
)

// AssimilateCommand is lychd-host's hidden command that serves a Request.
const AssimilateCommand = "assimilate"

// Binaries locates the two binaries of one installation.
type Binaries struct {
	// Dir holds both binaries.
	Dir string
}

// Here returns the Binaries next to the running executable.
func Here() (Binaries, error) {
	exe, err := os.Executable()
	if err != nil {
		return Binaries{}, fmt.Errorf("cannot find the lychd executable: %w", err)
	}
	if r, err := filepath.EvalSymlinks(exe); err == nil {
		exe = r
	}
	return Binaries{Dir: filepath.Dir(exe)}, nil
}

// Host returns the path of lychd-host, or an error saying how to install
// it when it is missing or not executable.
func (b Binaries) Host() (string, error) {
	p := filepath.Join(b.Dir, HostName)
	st, err := os.Stat(p)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return "", fmt.Errorf("%s is missing: lychd runs it to launch extensions and looks for it next to itself, at %s; install both binaries together (make install, or go install github.com/lychd/lychd/cmd/...)", HostName, p)
	case err != nil:
		return "", fmt.Errorf("cannot use %s: %w", HostName, err)
	case !st.Mode().IsRegular() || st.Mode().Perm()&0o111 == 0:
		return "", fmt.Errorf("%s is not an executable file; reinstall lychd (make install)", p)
	}
	return p, nil
}

// Fingerprint identifies this installation's pair of binaries for the
// registration cache: it changes when either is replaced, since lychd-host
// writes the entries under the rules it was built with and lychd reads
// them with its own.
func (b Binaries) Fingerprint() string {
	return cache.FileFingerprint(filepath.Join(b.Dir, CLIName)) + "|" + cache.FileFingerprint(filepath.Join(b.Dir, HostName))
}

// Exec replaces the running process with lychd-host running args (argv[0]
// is HostName). It returns only on failure.
func Exec(path string, args []string, env []string) error {
	argv := append([]string{HostName}, args...)
	if err := syscall.Exec(path, argv, env); err != nil {
		return fmt.Errorf("cannot run %s: %w", path, err)
	}
	return nil
}

// Request asks lychd-host for one assimilation of the core and every
// installed extension.
type Request struct {
	// ExtensionsDir and CacheDir are lychd's (paths.Paths); lychd-host
	// takes them from here, not from its environment.
	ExtensionsDir string `json:"extensions_dir"`
	CacheDir      string `json:"cache_dir"`
	// Config maps extension names to their configuration JSON; the
	// core's is under assimilation.CoreName.
	Config map[string]json.RawMessage `json:"config"`
	// StartTimeout, Deadline and Parallel are the [assimilation] settings
	// of the Codex (0: the host's defaults).
	StartTimeout time.Duration `json:"start_timeout_ns"`
	Deadline     time.Duration `json:"deadline_ns"`
	Parallel     int           `json:"parallel"`
	// NoCache bypasses the registration cache.
	NoCache bool `json:"no_cache"`
	// HostID is the fingerprint the cache entries are written under
	// (Binaries.Fingerprint of the calling lychd).
	HostID string `json:"host_id"`
}

// Response is lychd-host's answer: the result, or the error message of a
// failed assimilation (every failing extension, formatted for the user).
type Response struct {
	Runes      []model.Rune         `json:"runes"`
	Animators  []model.Animator     `json:"animators"`
	Extensions []assimilation.Stats `json:"extensions"`
	Error      string               `json:"error,omitempty"`
}

// Assimilate runs `lychd-host assimilate` at path with req and returns its
// result. lychd-host's stderr (warnings, the extensions' log lines) goes to
// stderr as it comes. Cancelling ctx, or the death of this process, kills
// lychd-host, and with it every extension it launched.
func Assimilate(ctx context.Context, path string, req Request, stderr io.Writer) (*assimilation.Result, error) {
	in, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encode the request to %s: %w", HostName, err)
	}
	resp, runErr := runHost(ctx, path, in, stderr, true)
	if runErr != nil && userns.Refused(runErr) {
		resp, runErr = runHost(ctx, path, in, stderr, false)
	}
	if runErr != nil && resp == nil {
		return nil, runErr
	}
	if resp.Error != "" {
		return nil, errors.New(resp.Error)
	}
	if runErr != nil {
		return nil, fmt.Errorf("%s failed after answering: %v", HostName, runErr)
	}
	return &assimilation.Result{Runes: resp.Runes, Animators: resp.Animators, Extensions: resp.Extensions}, nil
}

// runHost runs lychd-host once and reads its response. With userNS,
// lychd-host starts in a user namespace of its own that maps only this
// user, holding CAP_SYS_ADMIN there: it then starts every extension in a
// PID namespace of the extension's own with vfork, without a fork server
// (spawn.StartLocal). A nil response comes with the error to report; a
// start refused for the namespace is returned as it is (userns.Refused).
func runHost(ctx context.Context, path string, in []byte, stderr io.Writer, userNS bool) (*Response, error) {
	cmd := exec.CommandContext(ctx, path, AssimilateCommand)
	cmd.Args[0] = HostName
	cmd.Stdin = bytes.NewReader(in)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = stderr
	cmd.WaitDelay = 5 * time.Second
	// lychd-host, and through it every extension, dies with lychd, however
	// lychd ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if userNS {
		userns.Isolate(cmd.SysProcAttr, true)
	}
	runErr := cmd.Run()
	if runErr != nil && userNS && userns.Refused(runErr) {
		return nil, runErr
	}
	var resp Response
	if err := json.Unmarshal(out.Bytes(), &resp); err != nil {
		if runErr != nil {
			return nil, fmt.Errorf("%s failed (%v) before it could answer; its messages, if any, are above", HostName, runErr)
		}
		return nil, fmt.Errorf("%s answered something that is not a response (%v); is it the same version as lychd? reinstall both (make install)", HostName, err)
	}
	return &resp, runErr
}

// ErrFailed is Serve's error when the assimilation failed: the failure is
// in the Response it wrote, and lychd-host exits with status 1 without
// printing it again.
var ErrFailed = errors.New("the assimilation failed; the response says why")

// Serve reads one Request from in, runs it with run and writes the
// Response to out. A failed assimilation is part of the Response, and then
// Serve returns ErrFailed; any other error is a failure to read the
// request or write the response.
func Serve(ctx context.Context, in io.Reader, out io.Writer, run func(context.Context, Request) (*assimilation.Result, error)) error {
	var req Request
	dec := json.NewDecoder(in)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		return fmt.Errorf("read the assimilation request on stdin (this command is run by lychd, not by hand): %w", err)
	}
	var resp Response
	res, err := run(ctx, req)
	if err != nil {
		resp.Error = err.Error()
	} else {
		resp.Runes, resp.Animators, resp.Extensions = res.Runes, res.Animators, res.Extensions
	}
	data, err := json.Marshal(resp)
	if err != nil {
		return fmt.Errorf("encode the assimilation response: %w", err)
	}
	if _, err := out.Write(data); err != nil {
		return fmt.Errorf("write the assimilation response: %w", err)
	}
	if resp.Error != "" {
		return ErrFailed
	}
	return nil
}
