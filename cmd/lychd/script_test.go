package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/lychd/lychd/host/hosttest"
)

// TestScripts runs the acceptance scripts of testdata/scripts: every
// command's main path and its main errors, as a user types them, by the
// lychd this test binary is, in a HOME of its own with no systemd user
// manager (userSandbox). $EXT holds the test extensions of
// host/testdata/ext, built.
func TestScripts(t *testing.T) {
	ext, err := hosttest.Dir()
	if err != nil {
		t.Fatalf("building the test extensions: %v", err)
	}
	testscript.Run(t, testscript.Params{
		Dir:                 filepath.Join("testdata", "scripts"),
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			e.Setenv("EXT", ext)
			return userSandbox(e)
		},
	})
}

// userSandbox sets a script up as a user runs lychd: a HOME of its own
// ($WORK/home), no systemd user manager (bind leaves the units for the
// next daemon-reload and never reaches the manager of the user running the
// test), and $WORK/bin first on $PATH, where a script puts the fake podman
// or journalctl it needs.
func userSandbox(e *testscript.Env) error {
	home := filepath.Join(e.WorkDir, "home")
	run := filepath.Join(e.WorkDir, "run")
	bin := filepath.Join(e.WorkDir, "bin")
	for _, d := range []string{home, run, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	e.Setenv("HOME", home)
	e.Setenv("XDG_RUNTIME_DIR", run)
	e.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(run, "no-bus"))
	e.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	return nil
}
