package bind

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/lychd/lychd/internal/bound"
	"github.com/lychd/lychd/sdk"
)

// TestExtensionOneShotAndReadiness: an installed extension (the actor,
// over gRPC) registers a one-shot and an always-on rune that requires it,
// with a health check, a memory limit and the host user; bind writes the
// one-shot as Type=oneshot without Restart=, the other with the Codex
// soulstone's health lines, and records the one-shot's unit as such. The
// core's migrate one-shot is bound beside them.
func TestExtensionOneShotAndReadiness(t *testing.T) {
	e, p := withActor(t)
	const img = "docker.io/library/busybox:1.36"
	runes := []sdk.Rune{
		{Name: "notes-migrate", Kind: sdk.OneShot, Image: img, Exec: []string{"migrate"}, HostUser: true},
		{Name: "notes", Kind: sdk.AlwaysOn, Image: img, Port: 9300, HostUser: true, Memory: "2g", ShmSize: "1g",
			Requires: []string{"lychd-notes-migrate.service"}, After: []string{"lychd-notes-migrate.service"},
			HealthCmd: []string{"wget", "-q", "-O", "/dev/null", "http://127.0.0.1:9300/health"}},
	}
	cfg, err := json.Marshal(map[string]any{"Runes": runes})
	if err != nil {
		t.Fatal(err)
	}
	toml, err := tomlTable(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.writeCodex(t, map[string]string{"lychd.toml": "[extensions.actor]\n" + toml})
	if err := e.run(t); err != nil {
		t.Fatalf("bind: %v\n%s", err, e.err)
	}
	read := func(name string) string {
		data, err := os.ReadFile(filepath.Join(p.CurrentGeneration(), bound.QuadletDir, name))
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	for file, lines := range map[string][]string{
		"lychd-notes-migrate.container": {"StartWithPod=false", "Exec=migrate", "User=%U", "Group=%G", "Type=oneshot"},
		"lychd-notes.container": {"Requires=lychd-notes-migrate.service", "HealthStartupCmd=[\"wget\",\"-q\",\"-O\",\"/dev/null\",\"http://127.0.0.1:9300/health\"]",
			"HealthInterval=10s", "HealthTimeout=5s", "HealthRetries=3", "Notify=healthy", "PodmanArgs=--memory=2g", "User=%U", "Restart=always"},
		"lychd-migrate.container": {"Type=oneshot", "Exec=lychd database --wait-seconds 60 upgrade head --no-prompt"},
		"lychd-vessel.container":  {"Requires=lychd-migrate.service", "User=%U", "Group=%G"},
		"lychd.pod":               {"ShmSize=1g"},
	} {
		data := read(file)
		for _, l := range lines {
			if !strings.Contains(data, "\n"+l+"\n") {
				t.Errorf("%s lacks %s:\n%s", file, l, data)
			}
		}
	}
	if data := read("lychd-notes-migrate.container"); strings.Contains(data, "Restart=") {
		t.Errorf("the one-shot's unit restarts:\n%s", data)
	}
	rec, _, err := bound.Load(p.CurrentGeneration())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lychd-notes-migrate.service", "lychd-migrate.service"} {
		if u, ok := rec.Unit(name); !ok || u.Kind != bound.KindOneShot {
			t.Errorf("the record has %s as %+v (%v), want kind %s", name, u, ok, bound.KindOneShot)
		}
	}
}
