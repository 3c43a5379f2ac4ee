package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs the acceptance scripts testdata/*.txtar: lychd, this
// test binary, in a HOME of its own with $WORK/bin first on $PATH, where
// a script puts the fake podman or journalctl it needs.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			run := filepath.Join(e.WorkDir, "run")
			bin := filepath.Join(e.WorkDir, "bin")
			for _, d := range []string{home, run, bin} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return err
				}
			}
			e.Setenv("HOME", home)
			// No systemd user manager: bind leaves the units for the next
			// daemon-reload, and never reaches the manager of the user
			// running the test.
			e.Setenv("XDG_RUNTIME_DIR", run)
			e.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(run, "no-bus"))
			e.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
			return nil
		},
	})
}
