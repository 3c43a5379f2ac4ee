package realpodman

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// corePorts are the host ports of a test's pod: the machine shares the
// host's network, so each test takes free ones.
type corePorts struct{ vessel, oculus int }

func freeCorePorts(t testing.TB) corePorts {
	return corePorts{vessel: FreePort(t), oculus: FreePort(t)}
}

// lychdToml is a lychd.toml that runs the core runes from the test image
// on p and adds extra (alliances, [pod]) at the top.
func lychdToml(p corePorts, extra string) string {
	return extra + fmt.Sprintf(`
[core.vessel]
image = %q
host_port = %d

[core.phylactery]
image = %q

[core.oculus]
image = %q
host_port = %d
`, VesselImage, p.vessel, PhylacteryImage, OculusImage, p.oculus)
}

// pageWait bounds how long a started container's server may take to
// listen.
const pageWait = 10 * time.Second

// coreContainers are the containers lychd's core puts in the pod, with the
// pod's infra container.
var coreContainers = []string{"lychd-infra", "lychd-oculus", "lychd-phylactery", "lychd-vessel"}

// TestBindStartCore: lychd bind and lychd start of a soulstone bring up
// the pod with the three core runes, from the Codex's image overrides;
// every container is in the one pod, and the ports the pod publishes
// answer on the host.
func TestBindStartCore(t *testing.T) {
	b := bed(t)
	ports := freeCorePorts(t)
	solo := FreePort(t)
	b.WriteCodex(t, map[string]string{
		"lychd.toml": lychdToml(ports, ""),
		"soulstones/solo.toml": fmt.Sprintf(`[solo]
image = %q
port = 8101
expose_port = true
host_port = %d
environment = { NAME = "solo", PORT = "8101" }
`, Image, solo),
	})
	createCrypt(t, b)
	b.MustLychd(t, "bind")
	b.MustLychd(t, "start", "solo")

	cs := b.Containers(t)
	want := append(slices.Clone(coreContainers), "lychd-soulstone-solo")
	slices.Sort(want)
	if got := Running(cs); !slices.Equal(got, want) {
		t.Fatalf("running containers = %v, want %v", got, want)
	}
	infra, _ := ByName(cs, "lychd-infra")
	if !infra.Infra || infra.Pod == "" {
		t.Fatalf("lychd-infra is not a pod's infra container: %+v", infra)
	}
	images := map[string]string{
		"lychd-vessel": VesselImage, "lychd-phylactery": PhylacteryImage,
		"lychd-oculus": OculusImage, "lychd-soulstone-solo": Image,
	}
	for name, image := range images {
		c, _ := ByName(cs, name)
		if c.Pod != infra.Pod {
			t.Errorf("%s is in pod %.12q, want lychd's pod %.12q", name, c.Pod, infra.Pod)
		}
		if c.Image != image {
			t.Errorf("%s runs image %s, want %s (the Codex's override)", name, c.Image, image)
		}
	}
	pods := strings.Fields(b.MustUser(t, "podman", "pod", "ps", "--format", "{{.Name}}:{{.Status}}"))
	if !slices.Equal(pods, []string{"lychd:Running"}) {
		t.Errorf("pods = %v, want [lychd:Running]", pods)
	}

	WaitPage(t, ports.vessel, "/", "hello from vessel\n", pageWait)
	WaitPage(t, ports.oculus, "/", "hello from oculus\n", pageWait)
	WaitPage(t, solo, "/", "hello from solo\n", pageWait)

	out, errOut, err := b.Lychd(t, "status")
	if err != nil {
		t.Fatalf("lychd status: %v\n%s%s", err, out, errOut)
	}
	for _, re := range []string{
		`lychd-pod.service +pod +- +active/running `,
		`lychd-vessel.service +core +- +active/running `,
		`lychd-soulstone-solo.service +soulstone +solo +active/running `,
	} {
		if !regexpMatch(re, out) {
			t.Errorf("lychd status does not match %q:\n%s", re, out)
		}
	}
}
