// Package podman asks the podman command about, and creates, the Podman
// secrets lychd's units name. A secret's value only ever travels on the
// standard input of `podman secret create`; it is never an argument, an
// environment variable, a log line or part of an error.
package podman

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
)

// ErrNoPodman is returned when the podman command is not on $PATH.
var ErrNoPodman = errors.New("podman is not on $PATH")

// Secrets is Podman's secret store.
type Secrets interface {
	// Exists reports whether the secret called name exists.
	Exists(ctx context.Context, name string) (bool, error)
	// Create creates the secret called name with the value read from
	// value.
	Create(ctx context.Context, name string, value io.Reader) error
}

// CLI is Secrets through the podman command at Path.
type CLI struct {
	Path string
}

var _ Secrets = CLI{}

// Find returns the podman command on $PATH, or ErrNoPodman.
func Find() (CLI, error) {
	p, err := exec.LookPath("podman")
	if err != nil {
		return CLI{}, ErrNoPodman
	}
	return CLI{Path: p}, nil
}

// Exists runs `podman secret exists NAME`: exit status 0 means it exists,
// 1 that it does not.
func (c CLI) Exists(ctx context.Context, name string) (bool, error) {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, c.Path, "secret", "exists", name)
	cmd.Stderr = &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return true, nil
	case errors.As(err, &exit) && exit.ExitCode() == 1 && stderr.Len() == 0:
		return false, nil
	}
	return false, fmt.Errorf("podman secret exists %s: %w%s", name, err, detail(&stderr))
}

// Create runs `podman secret create NAME -` with value on its standard
// input.
func (c CLI) Create(ctx context.Context, name string, value io.Reader) error {
	var stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, c.Path, "secret", "create", name, "-")
	cmd.Stdin = value
	cmd.Stdout = io.Discard // the new secret's ID
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("podman secret create %s -: %w%s", name, err, detail(&stderr))
	}
	return nil
}

// CreateCommand is the command a user runs to create the secret called
// name: it reads the value from the standard input (type it, then Ctrl-D),
// so that it stays out of the shell's history.
func CreateCommand(name string) string { return "podman secret create " + name + " -" }

func detail(stderr *bytes.Buffer) string {
	s := strings.TrimSpace(stderr.String())
	if s == "" {
		return ""
	}
	return ": " + s
}
