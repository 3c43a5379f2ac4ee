package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestScripts runs the acceptance scripts of testdata/script: lychd as a
// user runs it, in a HOME of its own, with no systemd user manager.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			home := filepath.Join(e.WorkDir, "home")
			run := filepath.Join(e.WorkDir, "run")
			for _, d := range []string{home, run} {
				if err := os.MkdirAll(d, 0o755); err != nil {
					return err
				}
			}
			e.Setenv("HOME", home)
			e.Setenv("XDG_RUNTIME_DIR", run)
			e.Setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path="+filepath.Join(run, "no-bus"))
			return nil
		},
	})
}
