package host

import (
	"fmt"
	"os"
	"testing"

	"github.com/lychd/lychd/host/launch"
	"github.com/lychd/lychd/host/spawn"
)

// The test binary is also the fork server (package spawn) of the tests
// that assimilate through one.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == spawn.Command {
		if err := spawn.ServeFD(3, launch.SysProcAttr); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// testExecutable is this test binary, as a fork server.
func testExecutable(t testing.TB) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe
}
