package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// binaries are built once for all tests of this package (each link of
// lychd takes seconds) and removed by TestMain.
var binaries struct {
	once               sync.Once
	dir, lychd, podman string
	err                error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if binaries.dir != "" {
		os.RemoveAll(binaries.dir)
	}
	os.Exit(code)
}

// shared returns Options with the shared lychd and stub podman binaries.
func shared(t testing.TB) Options {
	t.Helper()
	binaries.once.Do(func() {
		binaries.dir, binaries.err = os.MkdirTemp("", "lychd-e2e-bin-")
		if binaries.err != nil {
			return
		}
		binaries.podman = filepath.Join(binaries.dir, "podman")
		if binaries.lychd, binaries.err = BuildLychdTo(binaries.dir); binaries.err != nil {
			return
		}
		binaries.err = BuildStaticTo(StubPodmanPackage, binaries.podman)
	})
	if binaries.err != nil {
		t.Fatal(fmt.Errorf("e2e: building the test binaries: %w", binaries.err))
	}
	return Options{Lychd: binaries.lychd, StubPodman: binaries.podman}
}
