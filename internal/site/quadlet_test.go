package site

import (
	"bytes"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/testtool"
)

// quadletUnits runs the real Quadlet 5.4 generator in dry-run mode on the
// site's Quadlet directory and returns the generated units' SourcePath= by
// unit name, and the generated content.
func quadletUnits(t *testing.T, quadlet string, s *Site) (sources, units map[string]string) {
	t.Helper()
	cmd := exec.Command(quadlet, "-dryrun", "-user", "-no-kmsg-log")
	cmd.Env = append(os.Environ(), "QUADLET_UNIT_DIRS="+s.QuadletDir)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("quadlet: %v\n%s", err, stderr.String())
	}
	sources, units = map[string]string{}, map[string]string{}
	name := ""
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "---") && strings.HasSuffix(line, "---") && len(line) > 6 {
			name = line[3 : len(line)-3]
			continue
		}
		units[name] += line + "\n"
		if src, ok := strings.CutPrefix(line, "SourcePath="); ok {
			sources[name] = src
		}
	}
	return sources, units
}

// TestRealQuadletFollowsTheLink checks, with the real generator, that
// Quadlet reads lychd's units through the "lychd" link next to the user's
// own units, and sees a new generation after the switch.
func TestRealQuadletFollowsTheLink(t *testing.T) {
	quadlet := testtool.Quadlet(t)
	s := newSite(t)
	mustWrite(t, filepath.Join(s.QuadletDir, "mine.container"), "[Container]\nImage=docker.io/library/mine:1\n")
	pod := "lychd.pod=[Pod]\nPodName=lychd\n"
	apply(t, s, genOf(pod,
		"lychd-a.container=[Container]\nImage=docker.io/library/a:1\nPod=lychd.pod\n",
		"lychd-b.container=[Container]\nImage=docker.io/library/b:1\nPod=lychd.pod\n"))
	sources, units := quadletUnits(t, quadlet, s)
	// Quadlet resolves the symlinked directory: SourcePath= names the file
	// in the generation directory.
	gen := filepath.Join(s.BindingsDir, "gen-1", "quadlet")
	want := map[string]string{
		"mine.service":      filepath.Join(s.QuadletDir, "mine.container"),
		"lychd-pod.service": filepath.Join(gen, "lychd.pod"),
		"lychd-a.service":   filepath.Join(gen, "lychd-a.container"),
		"lychd-b.service":   filepath.Join(gen, "lychd-b.container"),
	}
	if !maps.Equal(sources, want) {
		t.Fatalf("Quadlet generated %v\nwant %v", sources, want)
	}
	if !strings.Contains(units["lychd-a.service"], "docker.io/library/a:1") {
		t.Fatalf("lychd-a.service:\n%s", units["lychd-a.service"])
	}

	apply(t, s, genOf(pod, "lychd-a.container=[Container]\nImage=docker.io/library/a:2\nPod=lychd.pod\n"))
	sources, units = quadletUnits(t, quadlet, s)
	want = map[string]string{
		"mine.service":      filepath.Join(s.QuadletDir, "mine.container"),
		"lychd-pod.service": filepath.Join(s.BindingsDir, "gen-2", "quadlet", "lychd.pod"),
		"lychd-a.service":   filepath.Join(s.BindingsDir, "gen-2", "quadlet", "lychd-a.container"),
	}
	if !maps.Equal(sources, want) {
		t.Fatalf("after the switch Quadlet generated %v\nwant %v", sources, want)
	}
	if !strings.Contains(units["lychd-a.service"], "docker.io/library/a:2") {
		t.Fatalf("lychd-a.service after the switch:\n%s", units["lychd-a.service"])
	}
}
