package realpodman

import (
	"fmt"
	"path"
	"slices"
	"strings"
	"testing"
	"time"
)

// soloBed binds a Codex of the core runes and one soulstone, solo, and
// starts solo (and with it the pod and the core).
func soloBed(t *testing.T, b *Bed) {
	t.Helper()
	b.WriteCodex(t, map[string]string{
		"lychd.toml": lychdToml(freeCorePorts(t), ""),
		"soulstones/solo.toml": fmt.Sprintf(`[solo]
image = %q
environment = { NAME = "solo", PORT = "8101" }
`, Image),
	})
	lychdInit(t, b)
	b.MustLychd(t, "bind")
	b.MustLychd(t, "start", "solo")
}

// TestReanimation kills a soulstone's and a core rune's container behind
// systemd's back: Restart=always brings each back as a new, running
// container, and the unit counts the restart.
func TestReanimation(t *testing.T) {
	b := bed(t)
	soloBed(t, b)
	for _, c := range []struct{ container, unit string }{
		{"lychd-soulstone-solo", "lychd-soulstone-solo.service"},
		{"lychd-phylactery", "lychd-phylactery.service"},
	} {
		old, ok := ByName(b.Containers(t), c.container)
		if !ok || old.Status != "running" {
			t.Fatalf("%s is not running before the kill: %+v", c.container, old)
		}
		restarts := b.Units(t, c.unit)[c.unit].NRestarts
		b.MustUser(t, "podman", "kill", c.container)

		eventually(t, 30*time.Second, c.unit+" reanimated", func() (bool, string) {
			now, _ := ByName(b.Containers(t), c.container)
			u := b.Units(t, c.unit)[c.unit]
			return now.ID != "" && now.ID != old.ID && now.Status == "running" && u.ActiveState == "active" && u.NRestarts > restarts,
				fmt.Sprintf("container %.12s %s (killed %.12s), unit %s/%s NRestarts %d (was %d)", now.ID, now.Status, old.ID, u.ActiveState, u.SubState, u.NRestarts, restarts)
		})
		now, _ := ByName(b.Containers(t), c.container)
		t.Logf("%s: killed %.12s, systemd restarted it as %.12s", c.unit, old.ID, now.ID)
	}
}

// TestNoChangeBindRestartsNothing: binding an unchanged Codex again
// reloads systemd but restarts no unit and no container; a bind that
// changes the running soulstone restarts nothing either, and names it as
// running its old definition until restarted.
func TestNoChangeBindRestartsNothing(t *testing.T) {
	b := bed(t)
	soloBed(t, b)
	before := b.Containers(t)
	units := []string{"lychd-pod.service", "lychd-vessel.service", "lychd-phylactery.service", "lychd-oculus.service", "lychd-soulstone-solo.service"}
	unitsBefore := b.Units(t, units...)
	since := time.Now()

	b.MustLychd(t, "bind")

	after := b.Containers(t)
	if len(after) != len(before) {
		t.Fatalf("containers before the bind: %v; after: %v", names(before), names(after))
	}
	for i := range before {
		x, y := before[i], after[i]
		if x.ID != y.ID || !x.StartedAt.Equal(y.StartedAt) || x.Status != y.Status {
			t.Errorf("%s changed: %.12s %s started %v -> %.12s %s started %v", x.Name, x.ID, x.Status, x.StartedAt, y.ID, y.Status, y.StartedAt)
		}
	}
	unitsAfter := b.Units(t, units...)
	for _, u := range units {
		if unitsBefore[u] != unitsAfter[u] {
			t.Errorf("%s changed: %+v -> %+v", u, unitsBefore[u], unitsAfter[u])
		}
	}
	if ev := b.Events(t, since, "type=container", "type=pod"); len(ev) > 0 {
		t.Errorf("Podman recorded events during a no-change bind:\n%s", dumpEvents(ev))
	}

	// A bind that changes the running soulstone restarts nothing, and
	// names it as running its old definition until restarted.
	b.WriteUserFile(t, path.Join(CodexDir, "soulstones/solo.toml"), fmt.Sprintf("[solo]\nimage = %q\nenvironment = { NAME = \"solo2\", PORT = \"8101\" }\n", Image))
	since = time.Now()
	out := b.MustLychd(t, "bind")
	if want := "Still running as they were before this bind (a restart applies the new units; nothing else was restarted): lychd-soulstone-solo.service\nRestart them with: systemctl --user restart lychd-soulstone-solo.service\n"; !strings.HasSuffix(out, want) {
		t.Errorf("bind that changed solo printed:\n%s\nwant it to end with:\n%s", out, want)
	}
	if after := b.Containers(t); !slices.EqualFunc(before, after, func(x, y Container) bool { return x.ID == y.ID && x.StartedAt.Equal(y.StartedAt) }) {
		t.Errorf("containers before the changing bind: %v; after: %v", names(before), names(after))
	}
	if ev := b.Events(t, since, "type=container", "type=pod"); len(ev) > 0 {
		t.Errorf("Podman recorded events during a bind that changed one unit:\n%s", dumpEvents(ev))
	}
}

func names(cs []Container) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.Name+"@"+c.ID[:12])
	}
	return out
}

// TestCDIDevice: a soulstone with devices = ["nvidia.com/gpu=all"] gets the
// fake GPU's device node and its CDI environment; one without does not.
func TestCDIDevice(t *testing.T) {
	b := bed(t)
	b.WriteCodex(t, map[string]string{
		"lychd.toml": lychdToml(freeCorePorts(t), ""),
		"soulstones/gpu.toml": fmt.Sprintf(`[gpu]
image = %[1]q
groups = ["cards"]
devices = ["nvidia.com/gpu=all"]
environment = { NAME = "gpu", PORT = "0" }

[nogpu]
image = %[1]q
groups = ["cards"]
environment = { NAME = "nogpu", PORT = "0" }
`, Image),
	})
	lychdInit(t, b)
	b.MustLychd(t, "bind")
	b.MustLychd(t, "start", "cards")
	if got := runningSoulstones(b.Containers(t)); !slices.Equal(got, []string{"gpu", "nogpu"}) {
		t.Fatalf("running soulstones = %v, want [gpu nogpu]", got)
	}
	for name, want := range map[string]string{
		"gpu":   "name=gpu\nuid=1000\ngid=1000\nnvidia-fake=present\nFAKE_GPU=all\n",
		"nogpu": "name=nogpu\nuid=1000\ngid=1000\nnvidia-fake=absent\nFAKE_GPU=\n",
	} {
		// The entrypoint writes its report first thing; the unit is active
		// once the container runs.
		eventually(t, pageWait, name+" reports its devices", func() (bool, string) {
			got, _, _ := b.User(t, "podman", "exec", soulstonePrefix+name, "cat", "/tmp/www/info")
			return got == want, fmt.Sprintf("%q, want %q", got, want)
		})
	}
	if dev := strings.TrimSpace(b.MustUser(t, "podman", "exec", soulstonePrefix+"gpu", "stat", "-c", "%F %t:%T", "/dev/nvidia-fake")); dev != "character special file 1:3" {
		t.Errorf("/dev/nvidia-fake in the gpu soulstone is %q, want the fake node (character special file 1:3)", dev)
	}
}
