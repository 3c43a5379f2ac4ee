// Package cmdutil holds what every lychd command shares: injected IO streams,
// paths and the exit-code conventions. Commands live in one package each under
// internal/cmd/<noun>/<verb>, each with an Options struct and a NewCmd
// constructor taking a *Factory.
package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/lychd/lychd/internal/paths"
	"github.com/lychd/lychd/internal/sepulcher"
	"github.com/lychd/lychd/internal/systemd"
)

// IOStreams are the standard streams a command writes to; tests inject
// buffers.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer
}

// SystemIO returns the process's standard streams.
func SystemIO() IOStreams { return IOStreams{In: os.Stdin, Out: os.Stdout, ErrOut: os.Stderr} }

// Factory gives commands their dependencies.
type Factory struct {
	IO IOStreams
	// Getenv reads the environment (os.Getenv in production).
	Getenv func(string) string
	// Paths resolves lychd's directories from the environment.
	Paths func() (paths.Paths, error)
	// Assimilate runs the core and the installed extensions.
	Assimilate sepulcher.Assimilator
	// Reload asks the systemd user manager to reload its units; the error
	// matches systemd.ErrNoManager when no manager is reachable.
	Reload func(ctx context.Context) error
	// Manager connects to the systemd user manager.
	Manager func(ctx context.Context) (systemd.Manager, error)
	// Delegate hands the whole command line args (without the program
	// name) to lychd-host, which links the plugin host; in production it
	// replaces the process and returns only on failure.
	Delegate func(args []string) error
}

// NewFactory returns a Factory for the real process.
func NewFactory() *Factory {
	f := &Factory{IO: SystemIO(), Getenv: os.Getenv}
	f.Paths = func() (paths.Paths, error) { return paths.FromEnv(f.Getenv) }
	f.Manager = func(ctx context.Context) (systemd.Manager, error) {
		return systemd.Connect(ctx, f.Getenv("XDG_RUNTIME_DIR"))
	}
	f.Reload = func(ctx context.Context) error {
		return systemd.ReloadUser(ctx, f.Getenv("XDG_RUNTIME_DIR"))
	}
	return f
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
