package main

import (
	"net"
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
			if err := userSandbox(e); err != nil {
				return err
			}
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
