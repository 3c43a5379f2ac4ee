// Package cmdtest helps the tests of lychd's commands: a sandbox HOME
// with a bound Sepulcher, bound exactly as lychd bind binds it.
package cmdtest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/host"
	"github.com/lychd/lychd/internal/cmd/bind"
	"github.com/lychd/lychd/internal/cmdutil"
	"github.com/lychd/lychd/internal/codex"
	"github.com/lychd/lychd/internal/paths"
)

// Env is a sandbox: a HOME of its own and buffers for the streams.
type Env struct {
	Home     string
	Paths    paths.Paths
	Out, Err bytes.Buffer
}

// New returns a sandbox with an empty HOME.
func New(t testing.TB) *Env {
	t.Helper()
	e := &Env{Home: t.TempDir()}
	p, err := paths.FromEnv(e.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	e.Paths = p
	return e
}

// Getenv is the sandbox's environment: HOME only.
func (e *Env) Getenv(k string) string {
	if k == "HOME" {
		return e.Home
	}
	return ""
}

// Factory returns a Factory with the sandbox's streams and paths.
func (e *Env) Factory() *cmdutil.Factory {
	return &cmdutil.Factory{
		IO:     cmdutil.IOStreams{In: strings.NewReader(""), Out: &e.Out, ErrOut: &e.Err},
		Getenv: e.Getenv,
		Paths:  func() (paths.Paths, error) { return e.Paths, nil },
	}
}

// WriteCodex writes a Codex file, e.g. "lychd.toml" or
// "soulstones/vision.toml", into the sandbox.
func (e *Env) WriteCodex(t testing.TB, name, content string) {
	t.Helper()
	p := filepath.Join(e.Paths.CodexDir(), name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// Bind runs lychd bind in the sandbox, with res as what the core and the
// extensions registered (nil: nothing) and no systemd to reload.
func (e *Env) Bind(t testing.TB, res *host.Result) {
	t.Helper()
	if res == nil {
		res = &host.Result{}
	}
	var out bytes.Buffer
	err := bind.Run(context.Background(), &bind.Options{
		IO:         cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &out},
		Paths:      func() (paths.Paths, error) { return e.Paths, nil },
		NoReload:   true,
		Assimilate: func(context.Context, *codex.Codex) (*host.Result, error) { return res, nil },
	})
	if err != nil {
		t.Fatalf("lychd bind: %v\n%s", err, out.String())
	}
}
