package verify_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/testtool"
	"github.com/lychd/lychd/internal/verify"
)

// TestStubPodman runs a probe where the stub podman stands in, once through
// the overlay and once through the farm of links (a scratch path with ':'
// cannot be an overlay lower directory), and checks that the stub and the
// real /usr/bin are both there inside and that nothing changed outside.
func TestStubPodman(t *testing.T) {
	if _, err := os.Stat("/usr/bin/podman"); err == nil {
		t.Skip("/usr/bin/podman exists: StubPodman runs commands directly")
	}
	testtool.Root(t, "a private mount namespace with a stub podman")
	// The stub and a real binary run; then the mounts on /usr/bin.
	probe := `/usr/bin/podman && /usr/bin/env true && awk '$5 == "/usr/bin"' /proc/self/mountinfo`
	for _, tc := range []struct {
		name, scratch string
		overlay       bool
	}{
		{"overlay", "scratch", true},
		{"farm", "scr:atch", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scratch := filepath.Join(t.TempDir(), tc.scratch)
			if err := os.Mkdir(scratch, 0o755); err != nil {
				t.Fatal(err)
			}
			cmd, err := verify.StubPodman(context.Background(), scratch, []string{"sh", "-c", probe})
			if err != nil {
				t.Fatal(err)
			}
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("probe: %v\n%s", err, out)
			}
			lines := strings.Split(strings.TrimSpace(string(out)), "\n")
			if len(lines) != 1 {
				t.Fatalf("want one mount on /usr/bin, got:\n%s", out)
			}
			if overlay := strings.Contains(lines[0], " - overlay "); overlay != tc.overlay {
				t.Errorf("/usr/bin is mounted as %q, want overlay %v", lines[0], tc.overlay)
			}
			if _, err := os.Stat("/usr/bin/podman"); err == nil {
				t.Fatal("/usr/bin/podman exists outside the namespace")
			}
		})
	}
}
