package host

import (
	"os"
	"testing"

	"github.com/lychd/lychd/host/launch"
	"github.com/lychd/lychd/host/spawn"
)

// The test binary is also the fork server (package spawn) of the tests
// that assimilate through one.
func TestMain(m *testing.M) {
	spawn.ServeIfCommanded(os.Args, launch.SysProcAttr)
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
