package doctor

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"

	"github.com/lychd/lychd/internal/systemd"
)

// System is the Host of the running machine.
type System struct {
	// RuntimeDir is the user's $XDG_RUNTIME_DIR (empty: /run/user/UID).
	RuntimeDir string
}

var _ Host = System{}

// Run runs the program with the caller's environment.
func (System) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.Exited() {
		return out, &ExitError{Code: ee.ExitCode(), Stderr: strings.TrimSpace(stderr.String())}
	}
	if err != nil {
		return out, fmt.Errorf("running %s: %w", name, err)
	}
	return out, nil
}

// ReadFile reads the file.
func (System) ReadFile(name string) ([]byte, error) { return os.ReadFile(name) }

// Exists stats the file.
func (System) Exists(name string) (bool, error) {
	_, err := os.Stat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

// Listen listens on the address and closes the listener.
func (System) Listen(network, address string) error {
	if network == "udp" {
		c, err := net.ListenPacket(network, address)
		if err != nil {
			return unwrapOp(err)
		}
		return c.Close()
	}
	l, err := net.Listen(network, address)
	if err != nil {
		return unwrapOp(err)
	}
	return l.Close()
}

// unwrapOp drops the "listen tcp ADDR: bind:" prefix of a refused
// listen, which the messages already say.
func unwrapOp(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	return err
}

// UserManager connects to the user manager as lychd does.
func (s System) UserManager(ctx context.Context) error {
	c, err := systemd.Connect(ctx, s.RuntimeDir)
	var nm *systemd.NoManagerError
	if errors.As(err, &nm) {
		return fmt.Errorf("nothing answers at %s (%v) nor on the session bus", nm.Socket, nm.PrivateErr)
	}
	if err != nil {
		return err
	}
	return c.Close()
}
