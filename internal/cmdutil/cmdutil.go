// Package cmdutil holds what every lychd command shares: injected IO streams,
// paths and the exit-code conventions. Commands live in one package each under
// internal/cmd/<noun>/<verb>, each with an Options struct and a NewCmd
// constructor taking a *Factory.
package cmdutil

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/podman"
	"github.com/lychd/lychd/internal/systemd"
)

// IOStreams are the standard streams a command writes to; tests inject
// buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
	// CanPrompt is true when In and ErrOut are a terminal, so that a
	// command may ask the user a question.
	CanPrompt bool
}

// SystemIO returns the process's standard streams. Output to a reader that
// went away (`lychd bind --dry-run | head`) is discarded instead of
// killing lychd with SIGPIPE or failing the command: what lychd does must
// not depend on whether anyone reads all of its output.
func SystemIO() IOStreams {
	signal.Ignore(syscall.SIGPIPE)
	return IOStreams{
		In: os.Stdin, Out: &closedPipeOK{w: os.Stdout}, ErrOut: &closedPipeOK{w: os.Stderr},
		CanPrompt: isTerminal(os.Stdin) && isTerminal(os.Stderr),
	}
}

// isTerminal reports whether f is a terminal.
func isTerminal(f *os.File) bool {
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// Confirm asks question on ErrOut and reads a yes or no from In; anything
// but y or yes (in any case) is no.
func (s IOStreams) Confirm(question string) (bool, error) {
	fmt.Fprintf(s.ErrOut, "%s [y/N] ", question)
	line, err := bufio.NewReader(s.In).ReadString('\n')
	if err != nil && line == "" {
		if errors.Is(err, io.EOF) {
			return false, nil
		}
		return false, fmt.Errorf("reading the answer: %w", err)
	}
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes", nil
}

// closedPipeOK writes to w until w reports a broken pipe, and from then on
// discards everything.
type closedPipeOK struct {
	w      io.Writer
	closed bool
}

func (c *closedPipeOK) Write(p []byte) (int, error) {
	if c.closed {
		return len(p), nil
	}
	n, err := c.w.Write(p)
	if errors.Is(err, syscall.EPIPE) {
		c.closed = true
		return len(p), nil
	}
	return n, err
}

// Factory gives commands their dependencies.
type Factory struct {
	IO IOStreams
	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string
	// Paths resolves lychd's directories from the environment.
	Paths func() (paths.Paths, error)
	// Assimilate runs the core and the installed extensions with their
	// configuration from cx (package factory; tests inject fakes).
	Assimilate func(ctx context.Context, cx *codex.Codex) (*host.Result, error)
	// Reload asks the systemd user manager to reload its units; the error
	// matches systemd.ErrNoManager when no manager is reachable.
	Reload func(ctx context.Context) error
	// Manager connects to the systemd user manager.
	Manager func(ctx context.Context) (systemd.Manager, error)
	// Secrets is Podman's secret store; podman.ErrNoPodman when podman is
	// not installed.
	Secrets func() (podman.Secrets, error)
}

// Exit codes of the lychd command.
const (
	ExitOK    = 0
	ExitError = 1
	// ExitUsage is returned for bad flags or arguments.
	ExitUsage = 2
)

// FlagError is a usage error: the command prints its usage after it.
type FlagError struct{ Err error }

func (e *FlagError) Error() string { return e.Err.Error() }
func (e *FlagError) Unwrap() error { return e.Err }

// FlagErrorf builds a FlagError.
func FlagErrorf(format string, args ...any) error {
	return &FlagError{Err: fmt.Errorf(format, args...)}
}

// ErrSilent is returned when the command already printed its error.
var ErrSilent = errors.New("error already reported")

// ExactArgs returns a cobra argument check that requires exactly n
// arguments and otherwise fails with a FlagError carrying msg.
func ExactArgs(n int, msg string) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		if len(args) != n {
			return FlagErrorf("%s", msg)
		}
		return nil
	}
}

// MinimumArgs returns a cobra argument check that requires at least n
// arguments and otherwise fails with a FlagError carrying msg.
func MinimumArgs(n int, msg string) func(*cobra.Command, []string) error {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < n {
			return FlagErrorf("%s", msg)
		}
		return nil
	}
}
