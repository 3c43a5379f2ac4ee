package main

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestDoctor runs the scripts of testdata/doctor: lychd doctor in a HOME
// of its own, with the fake podman each script puts first on PATH, and
// $TAKEN_PORT a TCP port on 127.0.0.1 that something listens on. What the
// machine itself provides (Quadlet, cgroups, lingering, subordinate ids)
// differs between machines: the scripts assert the lines lychd's own
// state and the fake podman decide, and internal/e2e/realpodman's
// TestDoctor checks a whole prepared machine.
func TestDoctor(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/doctor",
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
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return err
			}
			e.Defer(func() { l.Close() })
			e.Setenv("TAKEN_PORT", strconv.Itoa(l.Addr().(*net.TCPAddr).Port))
			return nil
		},
	})
}
