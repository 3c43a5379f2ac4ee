package scribe

import (
	"slices"
	"strings"
	"testing"
)

// TestSoulstonesStopBeforeQuadletRemoves runs the real Quadlet generator
// over a golden case and checks the stop commands of every generated
// service: a soulstone's first ExecStop= is lychd's `podman stop`, which
// runs before Quadlet's `podman rm -f` (systemd runs ExecStop= lines in
// order), so that the stops of several members of the pod run side by
// side; a core rune keeps Quadlet's alone.
func TestSoulstonesStopBeforeQuadletRemoves(t *testing.T) {
	out, err := Compile(goldenCases["vision-coven"])
	if err != nil {
		t.Fatal(err)
	}
	services := generatedServices(t, out)
	const quadletRm = "/usr/bin/podman rm -v -f -i --cidfile=%t/%N.cid"
	soulstones := 0
	for name, p := range services {
		if !strings.HasPrefix(name, "lychd-") || name == "lychd-pod.service" {
			continue
		}
		got := p.Get("Service", "ExecStop")
		want := []string{quadletRm}
		if strings.HasPrefix(name, "lychd-soulstone-") {
			soulstones++
			want = []string{stopFirst, quadletRm}
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s: ExecStop = %q, want %q", name, got, want)
		}
	}
	if soulstones < 2 {
		t.Fatalf("the case generated %d soulstone services, want at least 2: %v", soulstones, services)
	}
}
