package realpodman

import (
	"os"
	"testing"
)

// TestCheckMissingRootFS: a root file system without the stamp
// scripts/ensure-deps.sh writes last is missing, and Check says where.
func TestCheckMissingRootFS(t *testing.T) {
	dir := t.TempDir()
	_, err := Check(Options{RootFS: dir})
	want := "no complete real-Podman root file system at " + dir
	if os.Geteuid() != 0 {
		want = "booting a machine needs root"
	}
	if err == nil || err.Error() != want {
		t.Errorf("Check = %v, want %q", err, want)
	}
}
