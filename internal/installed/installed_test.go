package installed

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lychd/lychd/internal/paths"
)

// siteLayout lays out what lychd bind writes: a generation with Quadlet files and a
// target, the current link, the Quadlet link and the target's link, every
// file and link dated at, plus a user's own Quadlet file dated now.
func siteLayout(t *testing.T, at time.Time) paths.Paths {
	t.Helper()
	home := t.TempDir()
	p, err := paths.FromEnv(func(k string) string { return map[string]string{"HOME": home}[k] })
	if err != nil {
		t.Fatal(err)
	}
	gen := filepath.Join(p.BindingsDir(), "gen-1")
	files := map[string]string{
		filepath.Join(gen, "quadlet", "lychd.pod"):                       "[Pod]\n",
		filepath.Join(gen, "quadlet", "lychd-soulstone-a.container"):     "[Container]\n",
		filepath.Join(gen, "systemd", "lychd-coven-c.target"):            "[Unit]\n",
		filepath.Join(p.QuadletDir(), "mine.container"):                  "[Container]\n",
		filepath.Join(p.SystemdUserDir(), "unrelated-user-unit.service"): "[Service]\n",
	}
	for f, data := range files {
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	links := map[string]string{
		filepath.Join(p.BindingsDir(), "current"):                 "gen-1",
		filepath.Join(p.QuadletDir(), "lychd"):                    filepath.Join(p.BindingsDir(), "current", "quadlet"),
		filepath.Join(p.SystemdUserDir(), "lychd-coven-c.target"): filepath.Join(p.BindingsDir(), "current", "systemd", "lychd-coven-c.target"),
	}
	for l, target := range links {
		if err := os.Symlink(target, l); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []string{gen, filepath.Join(gen, "quadlet"), filepath.Join(gen, "systemd"),
		filepath.Join(gen, "quadlet", "lychd.pod"), filepath.Join(gen, "quadlet", "lychd-soulstone-a.container"), filepath.Join(gen, "systemd", "lychd-coven-c.target")} {
		touch(t, f, at)
	}
	for l := range links {
		touchLink(t, l, at)
	}
	return p
}

func touch(t *testing.T, f string, at time.Time) {
	t.Helper()
	if err := os.Chtimes(f, at, at); err != nil {
		t.Fatal(err)
	}
}

// touchLink dates a symbolic link itself, not its target.
func touchLink(t *testing.T, l string, at time.Time) {
	t.Helper()
	if err := lutimes(l, at); err != nil {
		t.Fatal(err)
	}
}

func TestChangedSinceNothingChanged(t *testing.T) {
	loaded := time.Now().Add(-time.Minute)
	p := siteLayout(t, loaded.Add(-time.Hour))
	ch, err := ChangedSince(p, loaded)
	if err != nil {
		t.Fatal(err)
	}
	if ch.Any() {
		t.Errorf("changes = %+v, want none (the user's own files do not count)", ch)
	}
}

func TestChangedSinceChangedSourceAndTarget(t *testing.T) {
	loaded := time.Now().Add(-time.Minute)
	p := siteLayout(t, loaded.Add(-time.Hour))
	gen := filepath.Join(p.BindingsDir(), "gen-1")
	touch(t, filepath.Join(gen, "quadlet", "lychd-soulstone-a.container"), loaded.Add(time.Second))
	touch(t, filepath.Join(gen, "systemd", "lychd-coven-c.target"), loaded.Add(time.Second))
	// A unit systemd has never seen.
	if err := os.WriteFile(filepath.Join(gen, "quadlet", "lychd-soulstone-new.container"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	ch, err := ChangedSince(p, loaded)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(ch.Units, " "); got != "lychd-coven-c.target lychd-soulstone-a.service lychd-soulstone-new.service" || ch.Removed {
		t.Errorf("changes = %+v", ch)
	}
}

func TestChangedSinceRemovedUnit(t *testing.T) {
	loaded := time.Now().Add(-time.Minute)
	p := siteLayout(t, loaded.Add(-time.Hour))
	gen := filepath.Join(p.BindingsDir(), "gen-1", "quadlet")
	if err := os.Remove(filepath.Join(gen, "lychd-soulstone-a.container")); err != nil {
		t.Fatal(err)
	}
	ch, err := ChangedSince(p, loaded)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Removed || len(ch.Units) != 0 || !ch.Any() {
		t.Errorf("changes = %+v, want a removal", ch)
	}
}

func TestChangedSinceNewGeneration(t *testing.T) {
	loaded := time.Now().Add(-time.Minute)
	p := siteLayout(t, loaded.Add(-time.Hour))
	// A bind that only dropped a unit: the current link is new, every
	// remaining file is old.
	cur := filepath.Join(p.BindingsDir(), "current")
	touchLink(t, cur, loaded.Add(time.Second))
	ch, err := ChangedSince(p, loaded)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Removed {
		t.Errorf("changes = %+v, want the new generation noticed", ch)
	}
}

func TestChangedSinceNoSite(t *testing.T) {
	p, err := paths.FromEnv(func(k string) string { return map[string]string{"HOME": t.TempDir()}[k] })
	if err != nil {
		t.Fatal(err)
	}
	if ch, err := ChangedSince(p, time.Now()); err != nil || ch.Any() {
		t.Errorf("Since on an empty home = %+v, %v", ch, err)
	}
}

func TestQuadletUnit(t *testing.T) {
	for in, want := range map[string]string{
		"lychd.pod": "lychd-pod.service", "lychd-x.container": "lychd-x.service", "lychd-v.volume": "lychd-v-volume.service",
		"lychd-n.network": "lychd-n-network.service", "lychd-k.kube": "lychd-k.service", "lychd-i.image": "lychd-i-image.service",
	} {
		if got, ok := quadletUnit(in); !ok || got != want {
			t.Errorf("quadletUnit(%s) = %s, %v; want %s", in, got, ok, want)
		}
	}
	if _, ok := quadletUnit("README.md"); ok {
		t.Error("README.md is no unit")
	}
}

func TestUnits(t *testing.T) {
	p := siteLayout(t, time.Now().Add(-time.Hour))
	// A hand-written lychd Quadlet file next to the binding site's link
	// counts; the user's own files do not.
	if err := os.WriteFile(filepath.Join(p.QuadletDir(), "lychd-soulstone-hand.container"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Units(p)
	if err != nil {
		t.Fatal(err)
	}
	if want := "lychd-coven-c.target lychd-pod.service lychd-soulstone-a.service lychd-soulstone-hand.service"; strings.Join(got, " ") != want {
		t.Errorf("Units = %v, want %s", got, want)
	}
}
